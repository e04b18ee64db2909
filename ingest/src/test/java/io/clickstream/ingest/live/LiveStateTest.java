package io.clickstream.ingest.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LiveStateTest {
    private static final long NOW = 1_796_500_000_000L;
    private final ObjectMapper mapper = new ObjectMapper();
    private final LiveState state = new LiveState(mapper, Duration.ofMinutes(5));

    @Test
    void aStudentCountsOnceWithTheirNewestPageWhateverOrderTheRecordsCameIn() throws Exception {
        apply("{\"kind\":\"presence\",\"student\":\"p1\",\"last_seen\":%d,\"page_url\":\"/b\",\"event_name\":\"click\"}".formatted(NOW - 1000));
        // An older minute's record of the same student arriving later changes nothing.
        apply("{\"kind\":\"presence\",\"student\":\"p1\",\"last_seen\":%d,\"page_url\":\"/a\",\"event_name\":\"page_view\"}".formatted(NOW - 70_000));
        apply("{\"kind\":\"presence\",\"student\":\"p2\",\"last_seen\":%d,\"page_url\":\"/b\",\"event_name\":\"scroll\"}".formatted(NOW - 299_000));
        apply("{\"kind\":\"presence\",\"student\":\"p3\",\"last_seen\":%d,\"page_url\":\"/a\",\"event_name\":\"scroll\"}".formatted(NOW - 301_000));

        JsonNode snapshot = state.snapshot(NOW, 10, 30);
        assertEquals(2, snapshot.get("active_users").asInt(), "p3 was last seen more than five minutes ago");
        assertEquals(1, snapshot.get("active_pages").size());
        assertEquals("/b", snapshot.get("active_pages").get(0).get("page_url").asText());
        assertEquals(2, snapshot.get("active_pages").get(0).get("students").asInt());
    }

    @Test
    void secondsGiveTheSeriesTheRateAndTheBadEventRate() throws Exception {
        long second = NOW / 1000 * 1000;
        for (int ago = 2; ago < 12; ago++) {
            apply("{\"kind\":\"second\",\"second\":%d,\"accepted\":4,\"rejected\":1}".formatted(second - ago * 1000L));
        }
        // An upsert of the same second replaces its count.
        apply("{\"kind\":\"second\",\"second\":%d,\"accepted\":9,\"rejected\":1}".formatted(second - 2000));
        JsonNode snapshot = state.snapshot(NOW, 10, 30);

        JsonNode series = snapshot.get("events_per_second");
        assertEquals(120, series.size());
        assertEquals(second, series.get(119).get("t").asLong());
        assertEquals(0, series.get(119).get("accepted").asInt(), "zero-filled");
        // The rate leaves out the last two seconds and averages the ten before them.
        assertEquals((9 + 4 * 9) / 10.0, snapshot.get("events_per_second_now").asDouble(), 1e-9);
        assertEquals(10.0 / (45 + 10), snapshot.get("bad_event_rate").asDouble(), 1e-4);
    }

    @Test
    void topPagesSumTheMinutesOfTheWindow() throws Exception {
        long minute = NOW / 60_000 * 60_000;
        apply("{\"kind\":\"page\",\"minute\":%d,\"page_url\":\"/a\",\"page_views\":2,\"events\":3}".formatted(minute));
        apply("{\"kind\":\"page\",\"minute\":%d,\"page_url\":\"/a\",\"page_views\":1,\"events\":1}".formatted(minute - 60_000));
        apply("{\"kind\":\"page\",\"minute\":%d,\"page_url\":\"/b\",\"page_views\":2,\"events\":9}".formatted(minute));
        apply("{\"kind\":\"page\",\"minute\":%d,\"page_url\":\"/old\",\"page_views\":50,\"events\":50}".formatted(minute - 600_000));
        JsonNode pages = state.topPages(NOW, 10);

        assertEquals(2, pages.size());
        assertEquals("/a", pages.get(0).get("page_url").asText());
        assertEquals(3, pages.get(0).get("page_views").asInt());
        assertEquals(4, pages.get(0).get("events").asInt());
        assertEquals("/b", pages.get(1).get("page_url").asText());
    }

    @Test
    void pipelineIsUpWhileEveryQueryReportsAndShowsTheLargestLag() throws Exception {
        assertFalse(state.pipeline(NOW).get("live_job_up").asBoolean(), "no report yet");
        apply("{\"kind\":\"status\",\"query\":\"live_presence\",\"at\":%d,\"state\":\"running\",\"lag_records\":12}".formatted(NOW - 1000));
        apply("{\"kind\":\"status\",\"query\":\"live_pages\",\"at\":%d,\"state\":\"idle\",\"lag_records\":3}".formatted(NOW - 2000));
        JsonNode pipeline = state.pipeline(NOW);
        assertTrue(pipeline.get("live_job_up").asBoolean());
        assertEquals(12, pipeline.get("lag_records").asLong());
        assertEquals(NOW - 1000, pipeline.get("last_batch_at").asLong());

        assertFalse(state.pipeline(NOW + 60_000).get("live_job_up").asBoolean(), "silent for a minute");
        apply("{\"kind\":\"status\",\"query\":\"live_pages\",\"at\":%d,\"state\":\"failed\"}".formatted(NOW));
        assertFalse(state.pipeline(NOW).get("live_job_up").asBoolean(), "a failed query");
    }

    @Test
    void recentActionsAreNewestFirstAndPruningForgetsTheOld() throws Exception {
        for (int i = 0; i < 40; i++) {
            apply("{\"kind\":\"action\",\"event_id\":\"e%d\",\"time\":%d,\"student\":\"p\",\"event_name\":\"click\",\"page_url\":\"/x\"}"
                    .formatted(i, NOW - 1_000_000 + i * 25_000L));
        }
        JsonNode actions = state.recentActions(30);
        assertEquals(30, actions.size());
        assertEquals(NOW - 1_000_000 + 39 * 25_000L, actions.get(0).get("time").asLong());
        state.prune(NOW);
        // The look-back is the five-minute window plus two minutes: 420 s, so the 16 newest (i = 24..39) remain.
        assertEquals(16, state.recentActions(100).size());
    }

    @Test
    void unknownKindsAreIgnored() throws Exception {
        apply("{\"kind\":\"from-a-newer-job\",\"x\":1}");
        assertEquals(0, state.snapshot(NOW, 10, 30).get("active_users").asInt());
    }

    private void apply(String json) throws Exception {
        state.apply(mapper.readTree(json));
    }
}
