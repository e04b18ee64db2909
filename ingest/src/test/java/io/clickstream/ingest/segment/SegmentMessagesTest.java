package io.clickstream.ingest.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SegmentMessagesTest {
    private final ObjectMapper mapper = new ObjectMapper();
    private final SegmentMessages messages = new SegmentMessages(mapper);
    private final Instant receivedAt = Instant.parse("2026-11-20T10:02:05Z");

    @Test
    void trackMapsSpecNamesIdsPropertiesAndCorrectsTheClientClock() throws Exception {
        JsonNode message = mapper.readTree("""
                {"type":"track","event":"Video Playback Started","userId":"student-9","anonymousId":"anon-1",
                 "messageId":"m-1","timestamp":"2026-11-20T10:00:00Z","sentAt":"2026-11-20T10:00:05Z",
                 "properties":{"url":"https://lms.example.edu/courses/algebra/chapter-2","chapter_id":"algebra-ch2","position":42},
                 "context":{"userAgent":"Mozilla/5.0","ip":"198.51.100.7","device":{"type":"ios"}}}""");
        SegmentMessages.Mapped mapped = messages.map(message, "track", receivedAt, null);
        assertEquals(0, mapped.violations().size());
        JsonNode event = mapped.event();
        assertEquals("m-1", event.get("event_id").asText());
        assertEquals("student-9", event.get("student_id").asText());
        assertEquals("video_play", event.get("event_name").asText());
        assertEquals("https://lms.example.edu/courses/algebra/chapter-2", event.get("page_url").asText());
        assertEquals("algebra-ch2", event.get("chapter_id").asText());
        assertEquals("unknown", event.get("session_id").asText(), "no id may stand in for a missing session");
        // The client's clock was 2 minutes behind (sent 10:00:05, received 10:02:05): shift by that.
        assertEquals("2026-11-20T10:02:00Z", event.get("timestamp").asText());
        assertEquals("other", event.get("device_type").asText());
        assertEquals("198.51.100.7", event.get("ip").asText());
        assertEquals(42, event.get("metadata").get("position").asInt());
        assertNull(event.get("metadata").get("url"));
    }

    @Test
    void pageUsesContextPageAndAnonymousId() throws Exception {
        JsonNode message = mapper.readTree("""
                {"anonymousId":"a-7","messageId":"m-2","timestamp":"2026-11-20T10:00:00Z",
                 "context":{"page":{"url":"https://lms.example.edu/courses","referrer":"https://search.example"}}}""");
        JsonNode event = messages.map(message, "page", receivedAt, null).event();
        assertEquals("page_view", event.get("event_name").asText());
        assertEquals("anonymous:a-7", event.get("student_id").asText());
        assertEquals("https://lms.example.edu/courses", event.get("page_url").asText());
        assertEquals("https://search.example", event.get("referrer").asText());
    }

    @Test
    void identifyAndUnknownTypesAreRefusedWithAReason() throws Exception {
        SegmentMessages.Mapped identify = messages.map(mapper.readTree("{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{\"email\":\"x@y\"}}"),
                "identify", receivedAt, null);
        assertNull(identify.event());
        assertEquals("type", identify.violations().get(0).field());
        assertTrue(identify.violations().get(0).problem().contains("not stored"));
        assertEquals("type", messages.map(mapper.readTree("{\"type\":\"teleport\"}"), null, receivedAt, null).violations().get(0).field());
        assertEquals("event", messages.map(mapper.readTree("{\"type\":\"track\",\"userId\":\"u\"}"), "track", receivedAt, null)
                .violations().get(0).field());
    }

    @Test
    void lmsErrorFieldsAreNamedAsTheSegmentClientSentThem() {
        assertEquals("properties.url", SegmentMessages.segmentField("page_url"));
        assertEquals("event", SegmentMessages.segmentField("event_name"));
        assertEquals("properties.scroll_depth", SegmentMessages.segmentField("metadata.scroll_depth"));
    }
}
