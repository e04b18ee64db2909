package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.clickstream.testing.Await;
import io.clickstream.testing.Chromium;
import io.clickstream.testing.LmsEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real headless Chromium on pages of other origins than the collector's, as an LMS embeds the tracker: a page on
 * an allowed origin sends through its preflight and reads the answers (Retry-After included); a page on any other
 * origin is stopped by the browser at the preflight, and nothing of it is stored.
 */
class CrossOriginBrowserIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static HttpServer lms;
    private static HttpServer elsewhere;
    private static InProcessIngest ingest;
    private static Chromium browser;

    @BeforeAll
    static void start() throws Exception {
        assertNotNull(Chromium.executable(), "headless Chromium is needed (apt-get install chromium)");
        lms = pageServer();
        elsewhere = pageServer();
        // The allowed origin is configured in another spelling than the browser's: case, default-less port, a slash.
        ingest = new InProcessIngest(List.of("HTTP://127.0.0.1:" + lms.getAddress().getPort() + "/"));
        browser = Chromium.start(1024, 768);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (ingest != null) {
            ingest.close();
        }
        for (HttpServer server : new HttpServer[] {lms, elsewhere}) {
            if (server != null) {
                server.stop(0);
            }
        }
    }

    @Test
    void theTrackerOnAnAllowedOriginSendsAndReadsRetryAfter() throws Exception {
        try (Chromium.Tab tab = browser.open(origin(lms) + "/course.html")) {
            tab.waitFor("window.tracker", Duration.ofSeconds(10));
            String eventId = tab.evaluate("window.tracker.track('click', {metadata: {label: 'cross-origin'}})").asText();
            tab.evaluate("window.tracker.flush()");
            Await.until("the click from the LMS page", Duration.ofSeconds(15), () -> storedIds().contains(eventId), true);
            tab.waitFor("window.tracker.queueLength() === 0", Duration.ofSeconds(10));

            // The slow key's limit (5 events/s) answers 429: the page can read its Retry-After, as the tracker does.
            String retryAfter = tab.evaluate(sendUntil429(InProcessIngest.SLOW_WRITE_KEY)).asText();
            assertTrue(retryAfter.matches("[1-9][0-9]*"), "Retry-After as the page sees it: " + retryAfter);
        }
    }

    @Test
    void aPageOnAnotherOriginIsStoppedAtThePreflightAndNothingIsStored() throws Exception {
        int before = ingest.sink.on("good").size();
        try (Chromium.Tab tab = browser.open(origin(elsewhere) + "/course.html")) {
            tab.waitFor("window.tracker", Duration.ofSeconds(10));
            String outcome = tab.evaluate("""
                    fetch('%s/v1/track', {method: 'POST', credentials: 'omit', headers: {'Content-Type': 'application/json',
                        Authorization: 'Bearer %s'}, body: %s}).then(r => 'answered ' + r.status, e => 'blocked: ' + e.name)"""
                    .formatted(ingest.url(), InProcessIngest.WRITE_KEY, MAPPER.writeValueAsString(LmsEvent.pageView("s-elsewhere", "/x").json())))
                    .asText();
            assertEquals("blocked: TypeError", outcome);
            // The collector is reachable from this page (an opaque answer, not a network error): the POST was refused by CORS.
            assertEquals("opaque", tab.evaluate("fetch('%s/health', {mode: 'no-cors'}).then(r => r.type, e => 'unreachable: ' + e.name)"
                    .formatted(ingest.url())).asText());
        }
        assertEquals(before, ingest.sink.on("good").size(), "the browser sent no event after the refused preflight");
    }

    /** A script that posts batches with {@code key} until one is answered 429, and yields that answer's Retry-After. */
    private static String sendUntil429(String key) throws IOException {
        String body = MAPPER.writeValueAsString(LmsEvent.batch(LmsEvent.pageView("s1", "/a"), LmsEvent.pageView("s2", "/b"),
                LmsEvent.pageView("s3", "/c")));
        return """
                (async () => {
                  for (let i = 0; i < 10; i++) {
                    const r = await fetch('%s/v1/track', {method: 'POST', credentials: 'omit',
                        headers: {'Content-Type': 'application/json', Authorization: 'Bearer %s'}, body: %s});
                    if (r.status === 429) return String(r.headers.get('Retry-After'));
                    if (r.status !== 200) return 'answered ' + r.status;
                  }
                  return 'never limited';
                })()""".formatted(ingest.url(), key, body);
    }

    private static List<String> storedIds() {
        return ingest.sink.on("good").stream().map(record -> {
            try {
                JsonNode event = MAPPER.readTree(record.value());
                return event.path("event_id").asText();
            }
            catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }

    private static String origin(HttpServer server) {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Serves an LMS page that loads the tracker from the collector and sends to it. */
    private static HttpServer pageServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] page = """
                    <!doctype html><html><head><title>Course</title></head><body><h1>Algebra</h1>
                    <script src="%1$s/tracker/clickstream.js"></script>
                    <script>window.tracker = Clickstream.init({writeKey: '%2$s', endpoint: '%1$s', flushInterval: 200, maxBatch: 3,
                      autoPageViews: false});</script>
                    </body></html>""".formatted(ingest.url(), InProcessIngest.WRITE_KEY).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            try (exchange) {
                exchange.getResponseBody().write(page);
            }
        });
        server.start();
        return server;
    }
}
