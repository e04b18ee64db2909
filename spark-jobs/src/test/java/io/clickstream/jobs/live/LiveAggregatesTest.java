package io.clickstream.jobs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.jobs.SharedSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveAggregatesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Instant MINUTE = Instant.parse("2026-12-05T10:00:00Z");
    private final LiveAggregates aggregates = new LiveAggregates("lms_clickstream", Duration.ofSeconds(30));
    private final List<Row> rows = new ArrayList<>();

    @Test
    void presenceKeepsEachStudentsLastArrivalPageAndActionPerMinute() throws Exception {
        accepted(0, "e1", "s1", "page_view", "/course");
        accepted(20_000, "e2", "s1", "click", "/chapter/1");
        accepted(5_000, "e3", "s2", "page_view", "/course");
        accepted(70_000, "e4", "s1", "scroll", "/chapter/2");
        Map<String, List<JsonNode>> byKey = collect(aggregates.presence(aggregates.events(records())));

        assertEquals(List.of("presence/s1", "presence/s2"), List.copyOf(byKey.keySet()));
        List<JsonNode> s1 = byKey.get("presence/s1");
        s1.sort((a, b) -> Long.compare(a.get("minute").asLong(), b.get("minute").asLong()));
        assertEquals(2, s1.size(), "one record per minute window");
        assertEquals(MINUTE.toEpochMilli() + 20_000, s1.get(0).get("last_seen").asLong());
        assertEquals("/chapter/1", s1.get(0).get("page_url").asText());
        assertEquals("click", s1.get(0).get("event_name").asText());
        assertEquals(2, s1.get(0).get("events").asInt());
        assertEquals("/chapter/2", s1.get(1).get("page_url").asText());
        assertEquals("presence", s1.get(1).get("kind").asText());
    }

    @Test
    void trafficCountsAcceptedAndDeadLettersPerSecondOfArrival() throws Exception {
        accepted(100, "e1", "s1", "page_view", "/a");
        accepted(900, "e2", "s2", "click", "/a");
        deadLetter(500);
        accepted(1_200, "e3", "s1", "click", "/a");
        rows.add(kafkaRow("not json at all", "lms_clickstream", 1_300));
        Map<String, List<JsonNode>> byKey = collect(aggregates.traffic(aggregates.events(records())));

        JsonNode first = byKey.get("second/" + MINUTE.toEpochMilli()).get(0);
        assertEquals(2, first.get("accepted").asInt());
        assertEquals(1, first.get("rejected").asInt());
        JsonNode second = byKey.get("second/" + (MINUTE.toEpochMilli() + 1000)).get(0);
        // A value that is not JSON still arrived on the accepted topic: it counts as traffic, not as an action.
        assertEquals(2, second.get("accepted").asInt());
        assertEquals(0, second.get("rejected").asInt());
    }

    @Test
    void pagesCountPageViewsAndEventsPerPageAndMinute() throws Exception {
        accepted(0, "e1", "s1", "page_view", "/course");
        accepted(1_000, "e2", "s2", "page_view", "/course");
        accepted(2_000, "e3", "s2", "scroll", "/course");
        accepted(3_000, "e4", "s2", "page_view", "/chapter/1");
        deadLetter(4_000);
        Map<String, List<JsonNode>> byKey = collect(aggregates.pages(aggregates.events(records())));

        assertEquals(2, byKey.size());
        JsonNode course = byKey.get("page/" + MINUTE.toEpochMilli() + "//course").get(0);
        assertEquals(2, course.get("page_views").asInt());
        assertEquals(3, course.get("events").asInt());
        assertEquals(1, byKey.get("page/" + MINUTE.toEpochMilli() + "//chapter/1").get(0).get("page_views").asInt());
    }

    @Test
    void aResentEventCountsOnceButEveryDeadLetterCounts() throws Exception {
        accepted(100, "e1", "s1", "page_view", "/a");
        accepted(400, "e1", "s1", "page_view", "/a");     // the tracker re-sent its queue after a reload
        accepted(600, "e2", "s1", "click", "/a");
        deadLetter(700);
        deadLetter(800);                                   // dead letters carry no event id: each is its own record
        JsonNode second = collect(aggregates.traffic(aggregates.events(records()))).get("second/" + MINUTE.toEpochMilli()).get(0);
        assertEquals(2, second.get("accepted").asInt());
        assertEquals(2, second.get("rejected").asInt());
        JsonNode page = collect(aggregates.pages(aggregates.events(records()))).get("page/" + MINUTE.toEpochMilli() + "//a").get(0);
        assertEquals(1, page.get("page_views").asInt());
        assertEquals(2, page.get("events").asInt());
    }

    @Test
    void theAggregatesRunAsStreamsInUpdateMode(@TempDir Path dir) throws Exception {
        accepted(100, "e1", "s1", "page_view", "/a");
        accepted(400, "e1", "s1", "page_view", "/a");
        accepted(1_600, "e2", "s2", "page_view", "/b");
        records().write().parquet(dir.resolve("in").toString());
        Dataset<Row> stream = SharedSpark.session().readStream().schema(records().schema()).parquet(dir.resolve("in").toString());
        for (String kind : List.of("presence", "traffic", "pages")) {
            Dataset<Row> events = aggregates.events(stream);
            Dataset<Row> keyed = switch (kind) {
                case "presence" -> aggregates.presence(events);
                case "traffic" -> aggregates.traffic(events);
                default -> aggregates.pages(events);
            };
            StreamingQuery query = keyed.writeStream().format("memory").queryName("live_test_" + kind).outputMode("update")
                    .option("checkpointLocation", dir.resolve("checkpoint-" + kind).toString()).trigger(Trigger.AvailableNow()).start();
            query.awaitTermination();
            assertTrue(query.exception().isEmpty(), () -> kind + ": " + query.exception().get());
        }
        Map<String, List<JsonNode>> pages = collect(SharedSpark.session().table("live_test_pages"));
        assertEquals(1, pages.get("page/" + MINUTE.toEpochMilli() + "//a").get(0).get("page_views").asInt());
        assertEquals(2, collect(SharedSpark.session().table("live_test_presence")).size());
        assertEquals(2, collect(SharedSpark.session().table("live_test_traffic")).size());
    }

    @Test
    void recentActionsAreTheNewestAcceptedEventsOfABatch() throws Exception {
        for (int i = 0; i < 5; i++) {
            accepted(i * 1000L, "e" + i, "s" + i, "click", "/p" + i);
        }
        deadLetter(9_000);
        Map<String, List<JsonNode>> byKey = collect(aggregates.recentActions(aggregates.events(records()), 3));

        assertEquals(List.of("action/e2", "action/e3", "action/e4"), List.copyOf(byKey.keySet()));
        JsonNode newest = byKey.get("action/e4").get(0);
        assertEquals(MINUTE.toEpochMilli() + 4000, newest.get("time").asLong());
        assertEquals("s4", newest.get("student").asText());
        assertEquals("/p4", newest.get("page_url").asText());
    }

    @Test
    void lagIsNewestOffsetMinusReadOffsetPerPartition() {
        Map<String, Long> byPartition = new TreeMap<>();
        long lag = io.clickstream.jobs.monitoring.ConsumerLag.lag("{\"lms_clickstream\":{\"0\":100,\"1\":50}}",
                "{\"lms_clickstream\":{\"0\":130,\"1\":50},\"lms_clickstream_dlq\":{\"0\":7}}", byPartition);

        assertEquals(37, lag);
        assertEquals(30, byPartition.get("lms_clickstream-0"));
        assertEquals(0, byPartition.get("lms_clickstream-1"));
        assertEquals(7, byPartition.get("lms_clickstream_dlq-0"), "a partition never read is behind by all of it");
        assertEquals(0, io.clickstream.jobs.monitoring.ConsumerLag.lag(null, "{}", byPartition));
    }

    private void accepted(long millisAfterMinute, String eventId, String student, String eventName, String page) {
        ObjectNode event = MAPPER.createObjectNode().put("event_id", eventId).put("student_id", student).put("event_name", eventName)
                .put("page_url", page).put("session_id", "x").put("timestamp", "2026-12-05T09:59:00Z");
        rows.add(kafkaRow(event.toString(), "lms_clickstream", millisAfterMinute));
    }

    private void deadLetter(long millisAfterMinute) {
        rows.add(kafkaRow("{\"reason\":\"validation\",\"payload\":{\"event_id\":\"bad\",\"student_id\":\"p\"}}", "lms_clickstream_dlq",
                millisAfterMinute));
    }

    private Row kafkaRow(String value, String topic, long millisAfterMinute) {
        return RowFactory.create(null, value.getBytes(StandardCharsets.UTF_8), topic, 0, (long) rows.size(),
                Timestamp.from(MINUTE.plusMillis(millisAfterMinute)), 0);
    }

    private Dataset<Row> records() {
        return SharedSpark.session().createDataFrame(rows, SharedSpark.KAFKA_RECORD);
    }

    private static Map<String, List<JsonNode>> collect(Dataset<Row> keyed) throws Exception {
        Map<String, List<JsonNode>> byKey = new TreeMap<>();
        for (Row row : keyed.collectAsList()) {
            byKey.computeIfAbsent(row.getString(0), key -> new ArrayList<>()).add(MAPPER.readTree(row.getString(1)));
        }
        return byKey;
    }
}
