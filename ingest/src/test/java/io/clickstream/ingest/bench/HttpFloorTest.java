package io.clickstream.ingest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The benchmark's floor sends each posted event as it was posted, keyed by its student: what the raw producer sends. */
class HttpFloorTest {
    @Test
    void eachElementIsSentAsItsPostedBytesKeyedByItsStudent() throws IOException {
        String first = "{\"event_id\":\"e1\",\"metadata\":{\"student_id\":\"nested\",\"tags\":[1,{\"a\":2}]},\"student_id\":\"s1\"}";
        String second = "{\"student_id\":\"s2\",\"page_url\":\"/a?x=\\\"}\"}";
        List<ProducerRecord<String, byte[]>> records = HttpFloor.split("topic", ("[" + first + ",\n " + second + "]").getBytes(StandardCharsets.UTF_8));

        assertEquals(2, records.size());
        assertEquals(List.of("s1", "s2"), records.stream().map(ProducerRecord::key).toList());
        assertEquals(first, new String(records.get(0).value(), StandardCharsets.UTF_8));
        assertEquals(second, new String(records.get(1).value(), StandardCharsets.UTF_8));
        assertEquals("topic", records.get(1).topic());
    }

    @Test
    void aBodyThatIsNotAnArrayIsRefused() {
        assertThrows(IOException.class, () -> HttpFloor.split("topic", "{\"student_id\":\"s1\"}".getBytes(StandardCharsets.UTF_8)));
    }
}
