package io.clickstream.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.EventField;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The events of simulated visits, as the demo and the benchmarks send them (no endpoint needed). */
class TrafficGeneratorTest {
    private static final Instant NOW = Instant.parse("2026-12-06T15:30:00Z");

    @Test
    void visitsFollowTheCourseFunnelWithDropOffsAndCarryTheContractsFields() {
        List<ObjectNode> events = new TrafficGenerator(null, null, 50, 7, Clock.fixed(NOW, ZoneOffset.UTC)).validEvents(5_000);
        EventContract contract = EventContract.current();
        Set<String> names = Set.copyOf(contract.eventNames());
        List<String> required = contract.fields().stream().filter(EventField::required).map(EventField::name).toList();
        Map<String, List<ObjectNode>> sessions = new LinkedHashMap<>();
        for (ObjectNode event : events) {
            assertTrue(names.contains(event.path("event_name").asText()), "a contract event: " + event);
            required.forEach(field -> assertTrue(event.hasNonNull(field), field + " in " + event));
            Instant at = Instant.parse(event.path("timestamp").asText());
            assertFalse(at.isAfter(NOW), "never after now: " + event);
            assertTrue(at.isAfter(NOW.minusSeconds(4 * 3600)), "within the last hours: " + event);
            String page = event.path("page_url").asText();
            if (page.contains("/chapter-")) {
                String chapter = page.replaceAll(".*/chapter-([0-9]+).*", "$1");
                assertTrue(event.path("chapter_id").asText().endsWith("-ch" + chapter), "chapter of " + page + ": " + event);
            }
            sessions.computeIfAbsent(event.path("session_id").asText(), session -> new ArrayList<>()).add(event);
        }
        assertEquals(5_000, events.stream().map(event -> event.path("event_id").asText()).distinct().count(), "new ids");
        assertTrue(events.stream().map(event -> event.path("student_id").asText()).distinct().count() > 40, "many students");

        List<List<ObjectNode>> whole = new ArrayList<>(sessions.values());
        whole.remove(whole.size() - 1);                     // the last visit may be cut off by the count
        for (List<ObjectNode> visit : whole) {
            ObjectNode first = visit.get(0);
            assertEquals("page_view", first.path("event_name").asText(), "a visit opens the course page: " + visit);
            assertTrue(first.path("page_url").asText().matches("/courses/[a-z-]+"), first.toString());
            assertEquals(1, visit.stream().map(event -> event.path("student_id").asText()).distinct().count(), "one student per session");
            for (int i = 1; i < visit.size(); i++) {
                assertFalse(Instant.parse(visit.get(i).path("timestamp").asText()).isBefore(Instant.parse(visit.get(i - 1).path("timestamp").asText())),
                        "in order: " + visit);
            }
        }
        Map<Integer, Long> lengths = whole.stream().collect(Collectors.groupingBy(List::size, Collectors.counting()));
        assertTrue(lengths.getOrDefault(1, 0L) > 0, "some leave on the course page: " + lengths);
        long reachQuiz = whole.stream().filter(visit -> visit.stream().anyMatch(event -> event.path("event_name").asText().equals("quiz_start"))).count();
        long submit = whole.stream().filter(visit -> visit.stream().anyMatch(event -> event.path("event_name").asText().equals("quiz_submit"))).count();
        assertTrue(reachQuiz > 0 && submit > 0 && submit < reachQuiz, "the funnel narrows: " + reachQuiz + " start a quiz, " + submit + " submit");

        Map<String, String> metadataKey = Map.of("scroll", "scroll_depth", "heartbeat", "duration", "video_complete", "duration", "search", "query",
                "quiz_submit", "score");
        for (ObjectNode event : events) {
            String key = metadataKey.get(event.path("event_name").asText());
            if (key != null) {
                JsonNode metadata = event.path("metadata");
                assertTrue(metadata.has(key), key + " in " + event);
            }
            if (event.path("event_name").asText().equals("scroll")) {
                double depth = event.path("metadata").path("scroll_depth").asDouble();
                assertTrue(depth >= 0 && depth <= 100, event.toString());
            }
        }
        assertTrue(events.stream().anyMatch(event -> event.has("referrer")), "page views after the first name the page before");
    }
}
