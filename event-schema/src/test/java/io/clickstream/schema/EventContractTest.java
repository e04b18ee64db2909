package io.clickstream.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class EventContractTest {
    private final EventContract contract = EventContract.current();

    @Test
    void declaresEveryFieldOfTheSeedsWithItsType() {
        Map<String, FieldType> types = contract.fields().stream()
                .collect(Collectors.toMap(EventField::name, EventField::type));
        assertEquals(FieldType.STRING, types.get("event_id"));
        assertEquals(FieldType.STRING, types.get("student_id"));
        assertEquals(FieldType.STRING, types.get("event_name"));
        assertEquals(FieldType.STRING, types.get("page_url"));
        assertEquals(FieldType.STRING, types.get("chapter_id"));
        assertEquals(FieldType.STRING, types.get("session_id"));
        assertEquals(FieldType.STRING, types.get("device_type"));
        assertEquals(FieldType.STRING, types.get("browser"));
        assertEquals(FieldType.TIMESTAMP, types.get("timestamp"));
        assertEquals(FieldType.JSON_OBJECT, types.get("metadata"));
        assertEquals(FieldType.STRING, types.get("referrer"));
        assertEquals(FieldType.STRING, types.get("user_agent"));
        assertEquals(FieldType.STRING, types.get("ip"));
        assertEquals(13, types.size());
    }

    @Test
    void marksRequiredFields() {
        List<String> required = contract.fields().stream().filter(EventField::required).map(EventField::name).toList();
        assertEquals(List.of("event_id", "student_id", "event_name", "page_url", "session_id", "timestamp"), required);
    }

    @Test
    void typesKnownMetadataKeys() {
        Map<String, FieldType> types = contract.metadataFields().stream()
                .collect(Collectors.toMap(EventField::name, EventField::type));
        assertEquals(Map.of("scroll_depth", FieldType.NUMBER, "duration", FieldType.NUMBER, "query", FieldType.STRING), types);
    }

    @Test
    void listsEventNames() {
        assertTrue(contract.eventNames().containsAll(List.of("page_view", "click", "scroll", "search", "video_play",
                "video_pause", "quiz_submit", "heartbeat")));
    }

    @Test
    void unknownVersionIsAClearError() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> EventContract.load(99));
        assertTrue(error.getMessage().contains("no event schema version 99"), error.getMessage());
    }

    @Test
    void pseudonymIsStableKeyedAndHidesTheId() {
        Pseudonymiser first = new Pseudonymiser("k".repeat(32));
        Pseudonymiser otherKey = new Pseudonymiser("x".repeat(32));
        String pseudonym = first.pseudonymise("student-42");
        assertEquals(pseudonym, first.pseudonymise("student-42"));
        assertNotEquals(pseudonym, otherKey.pseudonymise("student-42"));
        assertNotEquals(pseudonym, first.pseudonymise("student-43"));
        assertEquals(64, pseudonym.length());
        assertTrue(pseudonym.matches("[0-9a-f]{64}"), pseudonym);
    }

    @Test
    void shortKeyIsRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> new Pseudonymiser("short"));
        assertTrue(error.getMessage().contains("at least 32 bytes"), error.getMessage());
    }
}
