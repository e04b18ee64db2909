package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.clickstream.ingest.sink.SinkRecord;
import io.clickstream.schema.Pseudonymiser;
import io.clickstream.testing.Await;
import io.clickstream.testing.Chromium;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Segment's own browser library ({@code @segment/analytics-next}, analytics.js, installed from npm with the committed
 * lockfile) in a real headless Chromium, on an LMS page of another origin than the collector's, changed only in its
 * API host: it posts to the short routes ({@code /v1/t}, {@code /v1/p}, {@code /v1/i}) as {@code text/plain} with the
 * write key in the body, and its events land.
 */
class SegmentBrowserClientIT {
    private static final Path CLIENT = Path.of("src/test/node/segment-browser");

    @Test
    void segmentsBrowserLibrarySendsUnchanged() throws Exception {
        assertNotNull(Chromium.executable(), "headless Chromium is needed (apt-get install chromium)");
        Path work = Path.of("target/segment-browser").toAbsolutePath();
        SegmentClientIT.copy(CLIENT, work);
        SegmentClientIT.run(work, 300, "npm", "ci", "--no-audit", "--no-fund");
        Path bundle = work.resolve("node_modules/@segment/analytics-next/dist/umd");
        assertTrue(Files.isRegularFile(bundle.resolve("index.js")), "analytics.js's browser bundle was not installed");

        HttpServer lms = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String origin = "http://127.0.0.1:" + lms.getAddress().getPort();
        try (InProcessIngest ingest = new InProcessIngest(List.of(origin)); Chromium browser = Chromium.start(1024, 768)) {
            lms.createContext("/", exchange -> serve(exchange, bundle, ingest.url()));
            lms.start();
            try (Chromium.Tab tab = browser.open(origin + "/courses/algebra?chapter=3")) {
                tab.waitFor("window.analyticsReady === true", Duration.ofSeconds(20));
                String trackId = tab.evaluate("""
                        analytics.track('Video Playback Started', {url: '/courses/algebra/chapter-3', chapter_id: 'algebra-ch3', position: 12})
                            .then(ctx => ctx.event.messageId)""").asText();
                String pageId = tab.evaluate("analytics.page().then(ctx => ctx.event.messageId)").asText();
                tab.evaluate("analytics.identify('student-77', {email: 's77@example.edu'}).then(ctx => ctx.event.messageId)");
                Await.until("the track and page calls", Duration.ofSeconds(20), () -> ingest.sink.on("good").size(), 2);
                Await.until("the identify call, refused", Duration.ofSeconds(20), () -> ingest.sink.on("bad").size(), 1);

                JsonNode track = stored(ingest, trackId);
                assertEquals("video_play", track.get("event_name").asText());
                assertEquals("/courses/algebra/chapter-3", track.get("page_url").asText());
                assertEquals("algebra-ch3", track.get("chapter_id").asText());
                assertEquals(12, track.get("metadata").get("position").asInt());
                assertTrue(track.get("user_agent").asText().contains("Chrome"), track.toString());
                String anonymousId = tab.evaluate("analytics.user().anonymousId()").asText();
                assertEquals(new Pseudonymiser(InProcessIngest.HMAC_KEY).pseudonymise("anonymous:" + anonymousId), track.get("student_id").asText());
                JsonNode page = stored(ingest, pageId);
                assertEquals("page_view", page.get("event_name").asText());
                assertEquals(origin + "/courses/algebra?chapter=3", page.get("page_url").asText());

                for (SinkRecord record : ingest.sink.records) {
                    String text = new String(record.value(), StandardCharsets.UTF_8);
                    assertFalse(text.contains(InProcessIngest.WRITE_KEY), "the write key was stored: " + text);
                    assertFalse(text.contains("s77@example.edu") || text.contains("student-77"), "the identify call's traits or id were stored: " + text);
                }
                assertTrue(new String(ingest.sink.on("bad").get(0).value(), StandardCharsets.UTF_8).contains("'identify' messages are not stored"));
            }
        }
        finally {
            lms.stop(0);
        }
    }

    private static JsonNode stored(InProcessIngest ingest, String eventId) throws IOException {
        for (SinkRecord record : ingest.sink.on("good")) {
            JsonNode event = ingest.mapper.readTree(record.value());
            if (event.get("event_id").asText().equals(eventId)) {
                return event;
            }
        }
        throw new AssertionError("no stored event " + eventId + " in " + ingest.sink.on("good").size() + " records");
    }

    /**
     * The LMS page, and analytics.js's files: the bundle, and the chunks it loads from its CDN address
     * ({@code cdnURL}, this server).
     */
    private static void serve(HttpExchange exchange, Path bundle, String collector) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try (exchange) {
            for (String prefix : List.of("/ajs/", "/analytics-next/bundles/")) {
                if (path.startsWith(prefix)) {
                    Path file = bundle.resolve(path.substring(prefix.length())).normalize();
                    boolean found = file.startsWith(bundle) && Files.isRegularFile(file);
                    byte[] body = found ? Files.readAllBytes(file) : new byte[0];
                    exchange.getResponseHeaders().set("Content-Type", "application/javascript");
                    exchange.sendResponseHeaders(found ? 200 : 404, found ? body.length : -1);
                    exchange.getResponseBody().write(body);
                    return;
                }
            }
            String apiHost = collector.substring("http://".length()) + "/v1";
            byte[] page = """
                    <!doctype html><html><head><title>Algebra</title></head><body><h1>Algebra, chapter 3</h1>
                    <script src="/ajs/index.js"></script>
                    <script>
                      // Settings as Segment's CDN would serve them, given inline (no CDN here): the API host is the collector.
                      AnalyticsNext.AnalyticsBrowser.load({writeKey: '%1$s', cdnURL: location.origin,
                          cdnSettings: {integrations: {'Segment.io': {apiKey: '%1$s', apiHost: '%2$s', protocol: 'http'}}}})
                        .then(([analytics]) => { window.analytics = analytics; window.analyticsReady = true; });
                    </script>
                    </body></html>""".formatted(InProcessIngest.WRITE_KEY, apiHost).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
        }
    }
}
