package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.clickstream.testing.Await;
import io.clickstream.testing.Chromium;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The browser tracker ({@code tracker/clickstream.js}) in a real headless Chromium, against a small
 * collector that records every request and can be told to fail: retries with backoff, a queue that
 * survives a reload and another tab, sendBeacon when the page goes away, single-page navigation,
 * heartbeats only while the student is active, and a new session after inactivity. (The whole path
 * through ingest and Kafka is LiveBrowserIT's.)
 */
class TrackerBrowserIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String WRITE_KEY = "tracker-test-key";
    private static final Path TRACKER = Path.of("..", "tracker", "clickstream.js");

    private static HttpServer server;
    private static String origin;
    private static Chromium browser;
    private static final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Requests to answer 503 before accepting again; negative: fail until told otherwise. */
    private static final AtomicInteger failNext = new AtomicInteger();

    /** One POST to the collector: when, how it was sent, and the events in it. */
    record Request(long atMillis, String contentType, String authorization, String query, int status, List<JsonNode> events) {}

    @BeforeAll
    static void start() throws Exception {
        assertNotNull(Chromium.executable(), "headless Chromium is needed (apt-get install chromium)");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", TrackerBrowserIT::serve);
        server.start();
        origin = "http://127.0.0.1:" + server.getAddress().getPort();
        browser = Chromium.start(1024, 768);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    @BeforeEach
    void clear() {
        requests.clear();
        failNext.set(0);
    }

    @Test
    void aFailingCollectorIsRetriedWithGrowingPausesAndEachEventArrivesOnce() throws Exception {
        failNext.set(3);
        try (Chromium.Tab tab = open("flushInterval: 600000, autoPageViews: false")) {
            String eventId = tab.evaluate("window.tracker.track('click', {metadata: {label: 'retry-me'}})").asText();
            tab.evaluate("window.tracker.flush()");
            Await.until("the click after three failures", Duration.ofSeconds(30), () -> acceptedIds().contains(eventId), true);
            List<Request> attempts = requests.stream().filter(r -> r.events().stream().anyMatch(e -> e.path("event_id").asText().equals(eventId)))
                    .toList();
            assertEquals(List.of(503, 503, 503, 200), attempts.stream().map(Request::status).toList());
            // Backoff 1 s, 2 s, 4 s, each with +-20 % jitter.
            for (int i = 1; i < attempts.size(); i++) {
                long pause = attempts.get(i).atMillis() - attempts.get(i - 1).atMillis();
                long planned = 1000L << (i - 1);
                assertTrue(pause >= planned * 0.8 - 50 && pause <= planned * 1.2 + 1500, "pause " + i + " was " + pause + " ms, planned " + planned);
            }
            assertEquals("Bearer " + WRITE_KEY, attempts.get(3).authorization());
            assertEquals(1, acceptedIds().stream().filter(eventId::equals).count());
        }
    }

    @Test
    void eventsQueuedWhileTheCollectorIsDownSurviveAReloadAndAnotherTab() throws Exception {
        failNext.set(-1);
        try (Chromium.Tab first = open("flushInterval: 200"); Chromium.Tab second = open("flushInterval: 200")) {
            String fromFirst = first.evaluate("window.tracker.track('click', {metadata: {label: 'first tab'}})").asText();
            String fromSecond = second.evaluate("window.tracker.track('click', {metadata: {label: 'second tab'}})").asText();
            Await.until("both tabs tried to send", Duration.ofSeconds(10), () -> requests.stream().filter(r -> r.status() == 503)
                    .flatMap(r -> r.events().stream()).map(e -> e.path("event_id").asText()).distinct()
                    .filter(id -> id.equals(fromFirst) || id.equals(fromSecond)).count(), 2L);
            String session = first.evaluate("window.tracker.sessionId()").asText();
            first.reload();
            first.waitFor("window.tracker && window.tracker.queueLength() >= 2", Duration.ofSeconds(10));
            failNext.set(0);
            Await.until("both tabs' events after the reload", Duration.ofSeconds(30),
                    () -> acceptedIds().containsAll(List.of(fromFirst, fromSecond)), true);
            assertEquals(session, first.evaluate("window.tracker.sessionId()").asText(), "a reload keeps the session");
            second.waitFor("window.tracker.queueLength() === 0", Duration.ofSeconds(10));
        }
    }

    @Test
    void leavingThePageSendsTheQueueWithSendBeacon() throws Exception {
        try (Chromium.Tab tab = open("flushInterval: 600000")) {
            tab.waitFor("window.tracker.queueLength() > 0", Duration.ofSeconds(5));
            String eventId = tab.evaluate("window.tracker.track('quiz_submit', {metadata: {quiz: 'q1', answered: 2}})").asText();
            tab.navigate(origin + "/elsewhere.html");
            Await.until("the beacon", Duration.ofSeconds(10), () -> acceptedIds().contains(eventId), true);
            Request beacon = requests.stream().filter(r -> r.events().stream().anyMatch(e -> e.path("event_id").asText().equals(eventId)))
                    .findFirst().orElseThrow();
            assertTrue(beacon.contentType().startsWith("text/plain"), beacon.contentType());
            assertEquals("writeKey=" + WRITE_KEY, beacon.query());
            assertTrue(beacon.events().stream().anyMatch(e -> e.path("event_name").asText().equals("page_view")), "the page view went with it");
        }
    }

    @Test
    void singlePageNavigationIsAPageViewWithTheRouteBefore() throws Exception {
        try (Chromium.Tab tab = open("flushInterval: 200")) {
            String landing = tab.evaluate("location.href").asText();
            tab.evaluate("history.pushState({}, '', '/app/course/7')");
            tab.evaluate("location.hash = '#/chapter/2'");
            Await.until("three page views", Duration.ofSeconds(10), () -> accepted("page_view").size(), 3);
            List<JsonNode> views = accepted("page_view");
            assertEquals(landing, views.get(0).path("page_url").asText());
            assertEquals(origin + "/app/course/7", views.get(1).path("page_url").asText());
            assertEquals(landing, views.get(1).path("referrer").asText());
            assertEquals(origin + "/app/course/7#/chapter/2", views.get(2).path("page_url").asText());
            assertEquals(1, views.stream().map(view -> view.path("session_id").asText()).distinct().count());
        }
    }

    @Test
    void heartbeatsAreSentOnlyWhileTheStudentIsActive() throws Exception {
        try (Chromium.Tab tab = open("flushInterval: 200, heartbeatInterval: 500")) {
            Thread.sleep(2500);
            assertEquals(0, accepted("heartbeat").size(), "an untouched page sends no heartbeats");
            for (int i = 0; i < 4; i++) {
                tab.click("#work");
                Thread.sleep(400);
            }
            Await.until("heartbeats while clicking", Duration.ofSeconds(10), () -> accepted("heartbeat").size() >= 2, true);
            for (JsonNode beat : accepted("heartbeat")) {
                double seconds = beat.path("metadata").path("duration").asDouble();
                assertTrue(seconds > 0.3 && seconds < 1.5, "engaged seconds per heartbeat: " + beat);
            }
        }
    }

    @Test
    void aSessionEndsAfterTheInactivityTimeoutButTheAnonymousIdStays() throws Exception {
        try (Chromium.Tab tab = open("flushInterval: 200, sessionTimeout: 1500")) {
            String before = tab.evaluate("window.tracker.sessionId()").asText();
            String anonymous = tab.evaluate("window.tracker.anonymousId()").asText();
            tab.evaluate("window.tracker.track('click', {metadata: {label: 'still here'}})");
            Thread.sleep(1000);
            assertEquals(before, tab.evaluate("window.tracker.sessionId()").asText(), "activity keeps the session");
            Thread.sleep(2000);
            String afterBreak = tab.evaluate("window.tracker.track('click', {metadata: {label: 'back'}})").asText();
            Await.until("the click after the break", Duration.ofSeconds(10), () -> acceptedIds().contains(afterBreak), true);
            JsonNode back = accepted("click").stream().filter(e -> e.path("event_id").asText().equals(afterBreak)).findFirst().orElseThrow();
            assertNotEquals(before, back.path("session_id").asText());
            assertEquals(anonymous, back.path("student_id").asText());
        }
    }

    /** A fresh tab on the test page, its tracker set up with {@code options} (JavaScript object members). */
    private static Chromium.Tab open(String options) {
        Chromium.Tab tab = browser.open(origin + "/page.html?options=" + java.net.URLEncoder.encode(options, StandardCharsets.UTF_8));
        tab.waitFor("window.tracker", Duration.ofSeconds(10));
        return tab;
    }

    private static List<String> acceptedIds() {
        return requests.stream().filter(r -> r.status() == 200).flatMap(r -> r.events().stream()).map(e -> e.path("event_id").asText()).toList();
    }

    private static List<JsonNode> accepted(String eventName) {
        return requests.stream().filter(r -> r.status() == 200).flatMap(r -> r.events().stream())
                .filter(e -> e.path("event_name").asText().equals(eventName)).toList();
    }

    private static void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try (exchange) {
            if (path.equals("/v1/track") && exchange.getRequestMethod().equals("POST")) {
                track(exchange);
            }
            else if (path.equals("/clickstream.js")) {
                answer(exchange, 200, "application/javascript", Files.readString(TRACKER));
            }
            else {
                // Every other path is the test page, so single-page routes reload to it too.
                String query = exchange.getRequestURI().getRawQuery();
                String options = query != null && query.startsWith("options=")
                        ? java.net.URLDecoder.decode(query.substring("options=".length()), StandardCharsets.UTF_8) : "";
                answer(exchange, 200, "text/html", """
                        <!doctype html><html><head><title>Tracker test</title></head><body>
                        <button id="work" style="width:200px;height:60px">Work</button>
                        <div style="height:3000px"></div>
                        <script src="/clickstream.js"></script>
                        <script>window.tracker = Clickstream.init({writeKey: '%s', %s});</script>
                        </body></html>""".formatted(WRITE_KEY, options));
            }
        }
    }

    /** Answers like ingest: 200 with a result per event, or 503 with Retry-After when told to fail. */
    private static void track(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        List<JsonNode> events = new ArrayList<>();
        MAPPER.readTree(body).forEach(events::add);
        int failures = failNext.get();
        boolean fail = failures < 0 || (failures > 0 && failNext.compareAndSet(failures, failures - 1));
        int status = fail ? 503 : 200;
        requests.add(new Request(System.currentTimeMillis(), String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")),
                exchange.getRequestHeaders().getFirst("Authorization"), exchange.getRequestURI().getRawQuery(), status, events));
        if (fail) {
            answer(exchange, 503, "application/json", "{\"error\":\"broker unavailable\"}");
            return;
        }
        ObjectNode answer = MAPPER.createObjectNode().put("accepted", events.size()).put("rejected", 0);
        ArrayNode results = answer.putArray("results");
        for (int i = 0; i < events.size(); i++) {
            results.addObject().put("index", i).put("event_id", events.get(i).path("event_id").asText()).put("status", "accepted");
        }
        answer(exchange, 200, "application/json", answer.toString());
    }

    private static void answer(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
