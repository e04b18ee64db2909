package io.clickstream.ingest.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.ingest.sink.SinkRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpoolTest {
    @TempDir
    Path dir;

    @Test
    void recordsComeBackInOrderAcrossSegmentsAndAfterReopening() throws Exception {
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 64 * 1024);
        for (int batch = 0; batch < 30; batch++) {
            spool.append(records(batch * 100, 100, 200));
        }
        assertEquals(3000, spool.records());
        spool.close();

        DiskSpool reopened = new DiskSpool(dir, 10_000_000, 64 * 1024);
        assertEquals(3000, reopened.records());
        List<String> values = new ArrayList<>();
        while (!reopened.isEmpty()) {
            DiskSpool.Segment segment = reopened.oldest().orElseThrow();
            segment.records().forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8).substring(0, 10)));
            reopened.delete(segment);
        }
        assertEquals(IntStream.range(0, 3000).mapToObj(i -> String.format("event%05d", i)).toList(), values);
        assertEquals(0, reopened.bytes());
    }

    @Test
    void anUnfinishedLastAppendIsIgnoredAndEverythingBeforeItKept() throws Exception {
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 1_000_000);
        spool.append(records(0, 5, 50));
        spool.close();
        Path segment = Files.list(dir).filter(p -> p.toString().endsWith(".spool")).findFirst().orElseThrow();
        byte[] encoded = DiskSpool.encode(records(5, 1, 50)).array();
        // A crash in the middle of an append: only part of the record reached the disk.
        Files.write(segment, java.util.Arrays.copyOf(encoded, encoded.length / 2), StandardOpenOption.APPEND);

        DiskSpool reopened = new DiskSpool(dir, 10_000_000, 1_000_000);
        assertEquals(5, reopened.oldest().orElseThrow().records().size());
        assertTrue(Files.notExists(dir.resolve("corrupt")));
    }

    @Test
    void damageBeforeTheEndIsReportedAndTheSegmentCopiedAside() throws Exception {
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 1_000_000);
        spool.append(records(0, 10, 50));
        spool.close();
        Path segment = Files.list(dir).filter(p -> p.toString().endsWith(".spool")).findFirst().orElseThrow();
        byte[] bytes = Files.readAllBytes(segment);
        int recordLength = bytes.length / 10;
        bytes[recordLength * 3 + 30] ^= 0x55;                 // flip bits inside the 4th record's value
        Files.write(segment, bytes);

        DiskSpool reopened = new DiskSpool(dir, 10_000_000, 1_000_000);
        assertEquals(3, reopened.oldest().orElseThrow().records().size());
        assertTrue(Files.exists(dir.resolve("corrupt").resolve(segment.getFileName())), "the damaged segment must be kept");
    }

    @Test
    void aFullSpoolRefusesTheWholeAppend() throws Exception {
        DiskSpool spool = new DiskSpool(dir, 1024 * 1024, 64 * 1024);
        spool.append(records(0, 900, 1000));
        DiskSpool.SpoolFullException full = assertThrows(DiskSpool.SpoolFullException.class, () -> spool.append(records(900, 200, 1000)));
        assertTrue(full.getMessage().contains("full"));
        assertEquals(900, spool.records());
    }

    static List<SinkRecord> records(int first, int count, int valueBytes) {
        List<SinkRecord> records = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            String value = String.format("event%05d", i) + "x".repeat(Math.max(0, valueBytes - 10));
            records.add(new SinkRecord(i % 7 == 0 ? "dlq" : "events", i % 5 == 0 ? null : "key-" + i, value.getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }
}
