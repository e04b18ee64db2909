package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.live.LiveApi;
import io.clickstream.ingest.live.LiveState;
import io.clickstream.testing.LmsEvent;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real-time API, the pages and the beacon route on the real HTTP server, over a live state fed by hand. */
class LiveApiTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper mapper = new ObjectMapper();
    private final InProcessIngest ingest = new InProcessIngest();

    @AfterEach
    void stop() {
        ingest.close();
    }

    @Test
    void liveUsersTopPagesAndActionsComeFromTheLiveState() throws Exception {
        long now = System.currentTimeMillis();
        long minute = now / 60_000 * 60_000;
        apply("{\"kind\":\"presence\",\"student\":\"p1\",\"minute\":%d,\"last_seen\":%d,\"page_url\":\"/course\",\"event_name\":\"page_view\",\"events\":2}"
                .formatted(minute, now - 1000));
        apply("{\"kind\":\"presence\",\"student\":\"p2\",\"minute\":%d,\"last_seen\":%d,\"page_url\":\"/chapter/1\",\"event_name\":\"scroll\",\"events\":1}"
                .formatted(minute, now - 2000));
        // Ten minutes ago: not online any more.
        apply("{\"kind\":\"presence\",\"student\":\"p3\",\"minute\":%d,\"last_seen\":%d,\"page_url\":\"/course\",\"event_name\":\"click\",\"events\":1}"
                .formatted(minute - 600_000, now - 600_000));
        apply("{\"kind\":\"page\",\"minute\":%d,\"page_url\":\"/course\",\"page_views\":3,\"events\":5}".formatted(minute));
        apply("{\"kind\":\"page\",\"minute\":%d,\"page_url\":\"/chapter/1\",\"page_views\":7,\"events\":9}".formatted(minute));
        apply("{\"kind\":\"action\",\"event_id\":\"e1\",\"time\":%d,\"student\":\"p1\",\"event_name\":\"page_view\",\"page_url\":\"/course\"}"
                .formatted(now - 1000));

        JsonNode users = get("/analytics/live-users");
        assertEquals(2, users.get("active_users").asInt());
        assertEquals(300, users.get("active_window_seconds").asInt());
        JsonNode pages = get("/analytics/top-pages?limit=1").get("pages");
        assertEquals(1, pages.size());
        assertEquals("/chapter/1", pages.get(0).get("page_url").asText());
        assertEquals(7, pages.get(0).get("page_views").asInt());
        assertEquals(1, pages.get(0).get("students").asInt());
        JsonNode actions = get("/analytics/live-actions").get("actions");
        assertEquals("page_view", actions.get(0).get("event_name").asText());
        assertEquals("p1", actions.get(0).get("student").asText());

        HttpResponse<String> badLimit = http.send(HttpRequest.newBuilder(uri("/analytics/top-pages?limit=lots")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, badLimit.statusCode());
        assertTrue(badLimit.body().contains("limit must be a whole number"), badLimit.body());
    }

    @Test
    void streamPushesASnapshotAtOnceAndThenEverySecond() throws Exception {
        apply("{\"kind\":\"presence\",\"student\":\"p1\",\"minute\":0,\"last_seen\":%d,\"page_url\":\"/x\",\"event_name\":\"click\",\"events\":1}"
                .formatted(System.currentTimeMillis()));
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/analytics/stream")).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), stream.headers().map().toString());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            int snapshots = 0;
            long started = System.nanoTime();
            JsonNode last = null;
            while (snapshots < 3) {
                String line = lines.readLine();
                if (line.startsWith("data: ")) {
                    last = mapper.readTree(line.substring(6));
                    snapshots++;
                }
            }
            assertEquals(1, last.get("active_users").asInt());
            assertEquals(120, last.get("events_per_second").size());
            assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() < 5000, "snapshots come about once a second");
        }
    }

    @Test
    void stoppingEndsOpenStreamsInsteadOfWaitingForThem() throws Exception {
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/analytics/stream")).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
        String line;
        do {
            line = lines.readLine();
        } while (line != null && !line.startsWith("data: "));
        assertTrue(line != null, "the stream's first snapshot");
        // The dashboard stays open: the stop ends its stream rather than wait the drain timeout (10 s here) for it.
        long started = System.nanoTime();
        ingest.close();
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() < 5000, "the stop waited for the open stream");
        while (line != null) {
            line = lines.readLine();
        }
    }

    @Test
    void readTokenGuardsTheApiWhenConfigured() throws Exception {
        LiveApi guarded = new LiveApi(new LiveState(mapper, Duration.ofMinutes(5)), mapper, System::currentTimeMillis, "reader-token-42");
        io.javalin.Javalin app = io.javalin.Javalin.create(guarded::addRoutes).start(0);
        try {
            String base = "http://127.0.0.1:" + app.port();
            assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(base + "/analytics/live-users")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/analytics/live-users"))
                    .header("Authorization", "Bearer reader-token-42").build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/analytics/snapshot?token=reader-token-42")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        finally {
            app.stop();
            guarded.close();
        }
    }

    @Test
    void servesTheDashboardTheDemoLmsTheTrackerAndTheDemoKey() throws Exception {
        assertPage("/live/", "data-testid=\"live-users\"");
        assertPage("/live/live.js", "EventSource");
        assertPage("/demo/", "data-testid=\"chapter-link-1\"");
        assertPage("/demo/chapter.html?chapter=2", "clickstream.js");
        assertPage("/tracker/clickstream.js", "sendBeacon");
        JsonNode config = get("/demo/config.json");
        assertEquals(InProcessIngest.WRITE_KEY, config.get("writeKey").asText());
        HttpResponse<String> root = http.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(302, root.statusCode());
        assertEquals("/live/", root.headers().firstValue("Location").orElse(""));
    }

    @Test
    void beaconBodiesWithTheWriteKeyInTheQueryAreAccepted() throws Exception {
        LmsEvent event = LmsEvent.pageView("student-9", "/courses/algebra");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/v1/track?writeKey="
                        + URLEncoder.encode(InProcessIngest.WRITE_KEY, StandardCharsets.UTF_8)))
                .header("Content-Type", "text/plain;charset=UTF-8").POST(HttpRequest.BodyPublishers.ofString("[" + event.json() + "]")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(1, ingest.sink.on("good").size());
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(uri("/v1/track?writeKey=not-a-key-at-all-000"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(event.json())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrong.statusCode());
        assertEquals(1, ingest.sink.on("good").size());
    }

    private void assertPage(String path, String expected) throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), path);
        assertTrue(page.body().contains(expected), path + " lacks " + expected);
    }

    private void apply(String record) throws Exception {
        ingest.liveState.apply(mapper.readTree(record));
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return mapper.readTree(response.body());
    }

    private URI uri(String path) {
        return URI.create(ingest.url() + path);
    }
}
