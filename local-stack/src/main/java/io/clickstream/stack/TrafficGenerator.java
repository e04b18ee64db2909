package io.clickstream.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Realistic LMS traffic sent through the real HTTP endpoint: students open a course, read a
 * chapter (scrolling), watch its video, take its quiz, search, and send time-spent heartbeats.
 * Session start times spread over the last hours of the current UTC day, so a demo run has
 * several sessions per student. A small share of events is invalid or re-sent on purpose, to
 * show that the pipe rejects the first and de-duplicates the second.
 */
public final class TrafficGenerator {
    private static final List<String> COURSES = List.of("algebra", "biology", "world-history", "physics", "literature", "chemistry");
    private static final List<String> SEARCHES = List.of("polynomial", "photosynthesis", "newton laws", "french revolution",
            "sonnet", "covalent bond", "quadratic formula", "cell division");
    private static final List<String> DEVICES = List.of("desktop", "desktop", "desktop", "mobile", "mobile", "tablet");
    private static final List<String> BROWSERS = List.of("Chrome", "Chrome", "Firefox", "Safari", "Edge");

    /** What was sent and what the endpoint said about it. */
    public record Result(long sent, long accepted, long rejected, Set<String> acceptedEventIds, long failedRequests) {}

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI endpoint;
    private final String authorization;
    private final int students;
    private final Random random;
    private final Clock clock;
    private final Deque<ObjectNode> pending = new ArrayDeque<>();
    private final List<ObjectNode> sentSample = new ArrayList<>();

    public TrafficGenerator(URI endpoint, String authorization, int students, long seed, Clock clock) {
        this.endpoint = endpoint;
        this.authorization = authorization;
        this.students = students;
        this.random = new Random(seed);
        this.clock = clock;
    }

    /** Sends for {@code duration} at about {@code eventsPerSecond}, in batches, and reports per-event outcomes. */
    public Result run(Duration duration, int eventsPerSecond) throws InterruptedException {
        int batchSize = Math.max(1, Math.min(50, eventsPerSecond / 4));
        long intervalNanos = 1_000_000_000L * batchSize / Math.max(1, eventsPerSecond);
        long end = System.nanoTime() + duration.toNanos();
        long next = System.nanoTime();
        long sent = 0;
        long accepted = 0;
        long rejected = 0;
        long failedRequests = 0;
        Set<String> acceptedIds = new HashSet<>();
        while (System.nanoTime() < end) {
            ArrayNode batch = mapper.createArrayNode();
            for (int i = 0; i < batchSize; i++) {
                batch.add(nextEvent());
            }
            sent += batch.size();
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(endpoint)
                        .header("Content-Type", "application/json")
                        .header("Authorization", authorization)
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(batch.toString())).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode results = mapper.readTree(response.body()).path("results");
                if (!results.isArray() || results.isEmpty()) {
                    failedRequests++;
                }
                for (JsonNode result : results) {
                    if ("accepted".equals(result.path("status").asText())) {
                        accepted++;
                        acceptedIds.add(result.path("event_id").asText());
                    }
                    else {
                        rejected++;
                    }
                }
            }
            catch (java.io.IOException e) {
                failedRequests++;
            }
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
        }
        return new Result(sent, accepted, rejected, acceptedIds, failedRequests);
    }

    /** {@code count} valid events from simulated sessions (no re-sends, no invalid ones), for benchmarks. */
    public List<ObjectNode> validEvents(int count) {
        List<ObjectNode> events = new ArrayList<>(count);
        while (events.size() < count) {
            if (pending.isEmpty()) {
                simulateSession();
            }
            events.add(pending.poll());
        }
        return events;
    }

    /** The next event: mostly from simulated sessions, now and then a re-send or an invalid one. */
    ObjectNode nextEvent() {
        int dice = random.nextInt(200);
        if (dice == 0 && !sentSample.isEmpty()) {
            return sentSample.get(random.nextInt(sentSample.size())).deepCopy();   // a client retry
        }
        if (pending.isEmpty()) {
            simulateSession();
        }
        ObjectNode event = pending.poll();
        if (dice == 1) {
            event.put("event_name", "teleport");                                   // not in the contract
        }
        else if (sentSample.size() < 1000) {
            sentSample.add(event);
        }
        return event;
    }

    private void simulateSession() {
        String student = "student-" + String.format("%04d", random.nextInt(students));
        String session = UUID.randomUUID().toString();
        String course = COURSES.get(random.nextInt(COURSES.size()));
        String device = DEVICES.get(random.nextInt(DEVICES.size()));
        String browser = BROWSERS.get(random.nextInt(BROWSERS.size()));
        Instant now = clock.instant();
        Instant dayStart = now.truncatedTo(ChronoUnit.DAYS);
        long windowSeconds = Math.max(60, Math.min(Duration.ofHours(3).toSeconds(), Duration.between(dayStart, now).toSeconds()));
        Instant[] time = {now.minusSeconds(windowSeconds).plusSeconds((long) (random.nextDouble() * windowSeconds * 0.8))};
        Session s = new Session(student, session, device, browser, time, now);

        s.add("page_view", "/courses/" + course, null, null);
        int chapters = 1 + random.nextInt(3);
        for (int c = 0; c < chapters; c++) {
            int chapter = 1 + random.nextInt(8);
            String page = "/courses/" + course + "/chapter-" + chapter;
            String chapterId = course + "-ch" + chapter;
            s.add("page_view", page, chapterId, null);
            for (int depth : new int[] {25, 50, 75, 100}) {
                if (random.nextInt(100) < 85) {
                    s.add("scroll", page, chapterId, meta("scroll_depth", depth));
                }
                else {
                    break;
                }
            }
            s.add("heartbeat", page, chapterId, meta("duration", 30));
            if (random.nextInt(100) < 60) {
                s.add("video_play", page, chapterId, meta("duration", 0));
                if (random.nextInt(100) < 40) {
                    s.add("video_pause", page, chapterId, meta("duration", 40 + random.nextInt(200)));
                }
                if (random.nextInt(100) < 70) {
                    s.add("video_complete", page, chapterId, meta("duration", 300 + random.nextInt(300)));
                }
            }
            if (random.nextInt(100) < 40) {
                s.add("quiz_start", page + "/quiz", chapterId, null);
                for (int q = 0; q < 3; q++) {
                    s.add("quiz_answer", page + "/quiz", chapterId, meta("question", q + 1));
                }
                s.add("quiz_submit", page + "/quiz", chapterId, meta("score", random.nextInt(101)));
            }
            if (random.nextInt(100) < 20) {
                ObjectNode query = mapper.createObjectNode().put("query", SEARCHES.get(random.nextInt(SEARCHES.size())));
                s.add("search", "/search", null, query);
            }
            s.add("click", page, chapterId, mapper.createObjectNode().put("element", "next-chapter"));
        }
    }

    private ObjectNode meta(String key, int value) {
        return mapper.createObjectNode().put(key, value);
    }

    /** Events of one session, 5 to 90 seconds apart, never later than now. */
    private final class Session {
        private final String student;
        private final String session;
        private final String device;
        private final String browser;
        private final Instant[] time;
        private final Instant now;
        private String previousPage;

        Session(String student, String session, String device, String browser, Instant[] time, Instant now) {
            this.student = student;
            this.session = session;
            this.device = device;
            this.browser = browser;
            this.time = time;
            this.now = now;
        }

        void add(String name, String page, String chapterId, ObjectNode metadata) {
            time[0] = time[0].plusSeconds(5 + random.nextInt(86));
            Instant at = time[0].isAfter(now) ? now : time[0];
            ObjectNode event = mapper.createObjectNode()
                    .put("event_id", UUID.randomUUID().toString())
                    .put("student_id", student)
                    .put("event_name", name)
                    .put("page_url", page)
                    .put("session_id", session)
                    .put("device_type", device)
                    .put("browser", browser)
                    .put("timestamp", at.truncatedTo(ChronoUnit.MILLIS).toString());
            if (chapterId != null) {
                event.put("chapter_id", chapterId);
            }
            if (previousPage != null && name.equals("page_view")) {
                event.put("referrer", previousPage);
            }
            if (metadata != null) {
                event.set("metadata", metadata);
            }
            if (name.equals("page_view")) {
                previousPage = page;
            }
            pending.add(event);
        }
    }
}
