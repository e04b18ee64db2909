package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.schema.Pseudonymiser;
import io.clickstream.stack.LiveSimulator;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.StackSettings;
import io.clickstream.testing.Await;
import io.clickstream.testing.Chromium;
import io.clickstream.testing.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real headless Chromium on the demo LMS and the live dashboard, against a real broker, two
 * ingest instances and the live aggregates job: what a student does in the page arrives in Kafka
 * with the right fields, and the dashboard shows the students and page views that were sent.
 * Screenshots go to {@code target/screenshots/}.
 */
class LiveBrowserIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final List<String> STUDENT_ACTIONS = List.of("page_view", "search", "click", "scroll", "video_play", "video_pause",
            "video_complete", "quiz_start", "quiz_answer", "quiz_submit");
    private static LocalStack stack;
    private static String secondIngest;
    private static Chromium browser;

    @BeforeAll
    static void start() throws Exception {
        assertNotNull(Chromium.executable(), "headless Chromium is needed (apt-get install chromium)");
        stack = AcceptedEvents.startIngestStack("live-browser", 2, 1);
        secondIngest = stack.startAnotherIngest(FreePorts.next());
        stack.startLiveJob();
        browser = Chromium.start(1280, 900);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void whatAStudentDoesInTheDemoLmsArrivesInKafkaAndTheDashboardShowsTheSimulatedCrowd() throws Exception {
        // 1. A student in the demo LMS: search, enroll, open a chapter, scroll, watch the video, answer the quiz, navigate.
        String demoStudent;
        Set<String> demoPages = new HashSet<>();
        try (Chromium.Tab lms = browser.open(stack.ingestUrl() + "/demo/")) {
            lms.waitFor("window.demoTracker && window.demoTracker.sessionId()", Duration.ofSeconds(20));
            demoStudent = lms.evaluate("localStorage.getItem('demo.student')").asText();
            lms.type("[data-testid=search-input]", "polynomial");
            lms.click("[data-testid=search-button]");
            lms.click("[data-testid=enroll-button]");
            lms.screenshot(SCREENSHOTS.resolve("demo-course.png"));
            demoPages.add(lms.evaluate("location.href").asText());
            lms.click("[data-testid=chapter-link-1]");
            lms.waitFor("location.pathname.endsWith('chapter.html') && window.demoTracker && document.querySelector('[data-testid=lesson-video]')",
                    Duration.ofSeconds(20));
            demoPages.add(lms.evaluate("location.href").asText());
            for (double fraction : new double[] {0.3, 0.55, 0.8, 1.0}) {
                lms.scrollTo(fraction);
            }
            lms.evaluate("document.querySelector('[data-testid=lesson-video]').scrollIntoView()");
            lms.evaluate("document.querySelector('[data-testid=lesson-video]').play()");
            Thread.sleep(1200);
            lms.evaluate("document.querySelector('[data-testid=lesson-video]').pause()");
            lms.evaluate("document.querySelector('[data-testid=lesson-video]').play()");
            lms.waitFor("document.querySelector('[data-testid=lesson-video]').ended", Duration.ofSeconds(30));
            lms.click("[data-testid=q1-a]");
            lms.click("[data-testid=q2-b]");
            lms.click("[data-testid=quiz-submit]");
            lms.waitFor("document.querySelector('[data-testid=quiz-result]').textContent.includes('Quiz submitted')", Duration.ofSeconds(5));
            lms.screenshot(SCREENSHOTS.resolve("demo-chapter.png"));
            lms.click("[data-testid=next-chapter]");
            lms.waitFor("location.search.includes('chapter=2')", Duration.ofSeconds(5));
            demoPages.add(lms.evaluate("location.href").asText());
            lms.evaluate("window.demoTracker.flush()");
            lms.waitFor("window.demoTracker.queueLength() === 0", Duration.ofSeconds(20));
        }

        String pseudonym = new Pseudonymiser(stack.settings().pseudonymisationKey()).pseudonymise(demoStudent);
        Map<String, List<JsonNode>> byName = eventsOf(pseudonym, STUDENT_ACTIONS);
        JsonNode search = byName.get("search").get(0);
        assertEquals("polynomial", search.path("metadata").path("query").asText());
        // Clicks on the course page scroll it too, so milestones are checked per page: each at most once per page view.
        Map<String, List<Integer>> depthsByPage = new HashMap<>();
        byName.get("scroll").forEach(event -> depthsByPage.computeIfAbsent(event.path("page_url").asText(), page -> new ArrayList<>())
                .add(event.path("metadata").path("scroll_depth").asInt()));
        List<Integer> chapterDepths = depthsByPage.entrySet().stream().filter(page -> page.getKey().contains("chapter=1"))
                .findFirst().map(Map.Entry::getValue).orElse(List.of());
        assertEquals(List.of(25, 50, 75, 100), chapterDepths.stream().sorted().toList(), "the chapter's scroll milestones, each once: " + depthsByPage);
        depthsByPage.forEach((page, depths) -> assertEquals(Set.copyOf(depths).size(), depths.size(), "a milestone sent twice on " + page));
        assertEquals("ch-1", byName.get("video_complete").get(0).path("chapter_id").asText());
        assertEquals(2, byName.get("quiz_submit").get(0).path("metadata").path("answered").asInt());
        assertEquals(2, byName.get("quiz_answer").size());
        assertTrue(byName.get("page_view").stream().anyMatch(view -> view.path("page_url").asText().contains("chapter=2")
                && view.path("chapter_id").asText().equals("ch-2")), "the in-page navigation is a page view of chapter 2: " + byName.get("page_view"));
        Set<String> sessions = new HashSet<>();
        byName.values().forEach(events -> events.forEach(event -> sessions.add(event.path("session_id").asText())));
        assertEquals(1, sessions.size(), "one visit, one session id");
        byName.values().forEach(events -> events.forEach(event -> {
            assertEquals(pseudonym, event.path("student_id").asText());
            assertFalse(event.toString().contains(demoStudent), "the raw student id never reaches Kafka");
        }));
        Map<String, Long> demoPageViews = new HashMap<>();
        byName.get("page_view").forEach(view -> demoPageViews.merge(view.path("page_url").asText(), 1L, Long::sum));

        // 2. A simulated crowd through both ingest instances while the dashboard (on the second) watches.
        try (Chromium.Tab dashboard = browser.open(secondIngest + "/live/")) {
            dashboard.waitFor("window.liveDashboard && window.liveDashboard.snapshots > 0", Duration.ofSeconds(20));
            LiveSimulator simulator = new LiveSimulator(List.of(stack.trackEndpoint(), URI.create(secondIngest + "/v1/track")),
                    stack.authorization(), new LiveSimulator.Settings(4, 0, null, Duration.ofSeconds(30), false, 80, 40), 7, Clock.systemUTC());
            CompletableFuture<LiveSimulator.Result> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return simulator.run(Duration.ofSeconds(25), message -> { }, null);
                }
                catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            dashboard.waitFor("window.liveDashboard.lastSnapshot.bad_event_rate > 0 && window.liveDashboard.lastSnapshot.events_per_second_now > 0",
                    Duration.ofSeconds(40));
            LiveSimulator.Result sent = running.get();
            assertTrue(sent.accepted() > 40 && sent.rejected() > 0 && sent.failedRequests() == 0, sent.toString());

            int expectedUsers = sent.lastAcceptedAtByStudent().size() + 1;
            dashboard.waitFor("document.querySelector('[data-testid=live-users]').textContent === '" + expectedUsers + "'", Duration.ofSeconds(60));
            dashboard.waitFor("document.querySelector('[data-testid=connection-status]').textContent === 'live'"
                    + " && document.querySelector('[data-testid=pipeline-status]').textContent === 'up'", Duration.ofSeconds(20));

            Map<String, Long> expectedViews = new HashMap<>(sent.acceptedPageViewsByPage());
            demoPageViews.forEach((page, views) -> expectedViews.merge(page, views, Long::sum));
            // The page-view counts settle once the job has counted the last events.
            Await.until("top pages match what was sent (null: no difference)", Duration.ofSeconds(60), () -> topPagesMatch(dashboard, expectedViews), null);
            dashboard.waitFor("document.querySelectorAll('[data-testid=recent-actions] li').length > 0", Duration.ofSeconds(10));
            dashboard.screenshot(SCREENSHOTS.resolve("live-dashboard.png"));
            dashboard.setViewport(390, 844, true);
            Thread.sleep(500);
            dashboard.screenshot(SCREENSHOTS.resolve("live-dashboard-phone.png"));

            // Several instances, one view: both answer the same count.
            assertEquals(expectedUsers, api(stack.ingestUrl() + "/analytics/live-users").path("active_users").asInt());
            assertEquals(expectedUsers, api(secondIngest + "/analytics/live-users").path("active_users").asInt());
        }
        stack.checkLiveJobAlive();
    }

    /** Null when every row on the dashboard has the expected page views and no page left out has more; else what differs. */
    private static String topPagesMatch(Chromium.Tab dashboard, Map<String, Long> expected) {
        JsonNode rows = dashboard.evaluate("Array.from(document.querySelectorAll('[data-testid=top-pages] tr[data-page-url]')).map(row =>"
                + " ({page: row.getAttribute('data-page-url'), views: Number(row.querySelector('[data-testid=page-views]').textContent)}))");
        if (rows.size() == 0) {
            return "no rows";
        }
        long smallestShown = Long.MAX_VALUE;
        Set<String> shown = new HashSet<>();
        for (JsonNode row : rows) {
            String page = row.path("page").asText();
            long views = row.path("views").asLong();
            if (expected.getOrDefault(page, 0L) != views) {
                return page + " shows " + views + " page views, " + expected.getOrDefault(page, 0L) + " were sent";
            }
            shown.add(page);
            smallestShown = Math.min(smallestShown, views);
        }
        for (Map.Entry<String, Long> page : expected.entrySet()) {
            if (!shown.contains(page.getKey()) && page.getValue() > smallestShown) {
                return page.getKey() + " (" + page.getValue() + " page views) is missing from the top pages";
            }
        }
        return rows.size() == Math.min(10, expected.size()) ? null : "only " + rows.size() + " rows";
    }

    private static JsonNode api(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return MAPPER.readTree(response.body());
    }

    /**
     * Every event of the student in the accepted-events topic, by name, read up to the topic's end as it is now (the
     * tracker's queue is empty, so everything it sent is acknowledged and before that end); fails when one of
     * {@code names} is missing. Events are identified by event_id: a re-sent copy counts once.
     */
    private static Map<String, List<JsonNode>> eventsOf(String pseudonym, List<String> names) throws Exception {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, List<JsonNode>> byName = new HashMap<>();
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(StackSettings.TOPIC).stream()
                    .map(partition -> new TopicPartition(partition.topic(), partition.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(partition -> consumer.position(partition) < end.get(partition))) {
                assertTrue(System.nanoTime() < deadline, "could not read the topic to its end in time");
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode event = MAPPER.readTree(record.value());
                    if (pseudonym.equals(event.path("student_id").asText()) && seen.add(event.path("event_id").asText())) {
                        byName.computeIfAbsent(event.path("event_name").asText(), name -> new ArrayList<>()).add(event);
                    }
                }
            }
        }
        List<String> missing = new ArrayList<>(names);
        missing.removeAll(byName.keySet());
        assertTrue(missing.isEmpty(), "events missing from Kafka: " + missing + "; got " + byName.keySet());
        return byName;
    }
}
