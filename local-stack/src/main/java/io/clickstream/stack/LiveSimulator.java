package io.clickstream.stack;

import static java.util.Objects.requireNonNull;

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
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Live LMS traffic through the real HTTP endpoint, stamped with the current time: students who
 * open a course, read chapters (scrolling, heartbeats), watch the video, take the quiz and move on
 * or drop off at each step, several at once; plus optional bots, traffic spikes and a daily rhythm.
 *
 * <p>The rate is kept by the number of students online: each acts on average every
 * {@link #MEAN_THINK_SECONDS} seconds, so about {@code rate * MEAN_THINK_SECONDS} are online, and
 * their events come in bursts as real ones do. With {@code steady}, events go out one per request
 * at exactly {@code 1 / rate} apart instead; the slowest steady setting (0.5 events/s) is the
 * seed's "send a sample event every 2 seconds".
 */
public final class LiveSimulator {
    static final double MEAN_THINK_SECONDS = 10;
    static final double MIN_RATE = 0.5;
    private static final List<String> COURSES = List.of("algebra", "biology", "world-history", "physics", "literature");
    private static final List<String> SEARCHES = List.of("polynomial", "photosynthesis", "newton laws", "french revolution", "sonnet");
    private static final List<String> DEVICES = List.of("desktop", "desktop", "desktop", "mobile", "mobile", "tablet");
    private static final List<String> BROWSERS = List.of("Chrome", "Chrome", "Firefox", "Safari", "Edge");
    private static final String BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    /**
     * {@code rate}: events/s on average; {@code bots}: students that click the same page twice a
     * second; {@code spikeEvery}: every so often the rate triples for {@code spikeLength} (null:
     * never); {@code dailyRhythm}: the rate follows the hour of day (quiet at night, busiest in
     * the evening); {@code invalidPerMille}: events sent broken on purpose, to show the dead-letter
     * path; {@code studentPool}: how many different students exist (at least as many as are online
     * at the highest rate, so that enough are free to come online); {@code steady}: one event per
     * request, exactly {@code 1 / rate} apart.
     */
    public record Settings(double rate, int bots, Duration spikeEvery, Duration spikeLength, boolean dailyRhythm, int invalidPerMille,
            int studentPool, boolean steady) {
        public Settings(double rate, int bots, Duration spikeEvery, Duration spikeLength, boolean dailyRhythm, int invalidPerMille, int studentPool) {
            this(rate, bots, spikeEvery, spikeLength, dailyRhythm, invalidPerMille, studentPool, false);
        }

        public Settings {
            if (!(rate >= MIN_RATE) || rate > 20_000) {
                throw new IllegalArgumentException("--rate must be between " + MIN_RATE + " and 20000 events/s, got " + rate);
            }
            if (bots < 0 || invalidPerMille < 0 || invalidPerMille > 1000 || studentPool < 1) {
                throw new IllegalArgumentException("bots, invalid per mille (0..1000) and the student pool (>= 1) are out of range");
            }
            requireNonNull(spikeLength, "spikeLength is null");
            long mostOnline = studentsOnline(rate * (spikeEvery == null ? 1 : 3));
            if (studentPool < mostOnline) {
                throw new IllegalArgumentException("a pool of " + studentPool + " students is too small for " + mostOnline
                        + " online at once; use at least that many");
            }
        }

        /** Realistic students at about {@code rate} events/s, nothing else. */
        public static Settings realistic(double rate) {
            return new Settings(rate, 0, null, Duration.ofSeconds(30), false, 0, poolFor(rate, false));
        }

        /** The smallest pool that keeps {@code rate} (with spikes) going. */
        public static int poolFor(double rate, boolean spikes) {
            return (int) Math.max(10_000, 2 * studentsOnline(rate * (spikes ? 3 : 1)));
        }
    }

    static long studentsOnline(double rate) {
        return Math.max(1, Math.round(rate * MEAN_THINK_SECONDS));
    }

    /** What was sent and accepted, per raw student (the caller's own view; the pipeline only sees pseudonyms). */
    public record Result(long sent, long accepted, long rejected, long failedRequests, Map<String, Long> lastAcceptedAtByStudent,
            Map<String, Long> acceptedPageViewsByPage) {}

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<URI> endpoints;
    private final String authorization;
    private final Settings settings;
    private final Random random;
    private final Clock clock;
    private final PriorityQueue<Student> online = new PriorityQueue<>((a, b) -> Long.compare(a.nextAt, b.nextAt));
    private final Set<String> onlineIds = new HashSet<>();
    private int humansOnline;
    private int botsOnline;
    private int endpointTurn;

    /** Several endpoints (ingest instances) take turns, batch by batch, as behind a load balancer. */
    public LiveSimulator(List<URI> endpoints, String authorization, Settings settings, long seed, Clock clock) {
        this.endpoints = List.copyOf(endpoints);
        if (this.endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoint to send to");
        }
        this.authorization = requireNonNull(authorization, "authorization is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.random = new Random(seed);
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Sends until {@code duration} has passed (or the thread is interrupted), printing a line every {@code reportEvery} when not null. */
    public Result run(Duration duration, java.util.function.Consumer<String> report, Duration reportEvery) throws InterruptedException {
        long started = clock.millis();
        long end = started + duration.toMillis();
        long nextReport = reportEvery == null ? Long.MAX_VALUE : started + reportEvery.toMillis();
        Map<String, Long> lastAccepted = new HashMap<>();
        Map<String, Long> pageViews = new HashMap<>();
        long[] totals = new long[4];
        List<ObjectNode> batch = new ArrayList<>();
        long lastFlush = started;
        long nextSteady = started;
        while (clock.millis() < end && !Thread.currentThread().isInterrupted()) {
            long now = clock.millis();
            fillOnline(now);
            Student next = online.peek();
            boolean due = settings.steady() ? now >= nextSteady : next != null && next.nextAt <= now;
            if (next != null && due) {
                online.poll();
                ObjectNode event = next.act(now);
                if (event != null) {
                    batch.add(event);
                }
                if (next.done) {
                    onlineIds.remove(next.id);
                    humansOnline--;
                }
                else {
                    online.add(next);
                }
                // A slow answer delays the next event instead of causing a catch-up burst: steady means evenly spaced.
                nextSteady = Math.max(nextSteady, now) + (long) (1000 / currentRate(now));
            }
            if (settings.steady() && !batch.isEmpty()) {
                send(batch, lastAccepted, pageViews, totals);
                batch.clear();
                lastFlush = now;
            }
            if (!batch.isEmpty() && (batch.size() >= 100 || now - lastFlush >= 250)) {
                send(batch, lastAccepted, pageViews, totals);
                batch.clear();
                lastFlush = now;
            }
            if (now >= nextReport) {
                report.accept(String.format("simulator: %d online, %d sent (%.1f events/s), %d accepted, %d rejected, %d failed requests",
                        onlineIds.size(), totals[0], totals[0] * 1000.0 / Math.max(1, now - started), totals[1], totals[2], totals[3]));
                nextReport += reportEvery.toMillis();
            }
            Student soonest = online.peek();
            long dueAt = settings.steady() ? nextSteady : soonest == null ? Long.MAX_VALUE : soonest.nextAt;
            long wait = Math.min(dueAt - clock.millis(), 50);
            if (wait > 0 && batch.isEmpty()) {
                Thread.sleep(wait);
            }
        }
        if (!batch.isEmpty()) {
            send(batch, lastAccepted, pageViews, totals);
        }
        return new Result(totals[0], totals[1], totals[2], totals[3], lastAccepted, pageViews);
    }

    /** The rate of this moment: with the daily rhythm, spikes. */
    double currentRate(long nowMillis) {
        double rate = settings.rate();
        if (settings.dailyRhythm()) {
            double hour = clock.instant().atZone(ZoneOffset.UTC).getHour() + clock.instant().atZone(ZoneOffset.UTC).getMinute() / 60.0;
            // Lowest at 04:00 UTC (a fifth of the rate), highest at 16:00 (the whole rate).
            rate *= 0.6 - 0.4 * Math.cos((hour - 4) / 24 * 2 * Math.PI);
        }
        if (settings.spikeEvery() != null && nowMillis % settings.spikeEvery().toMillis() < settings.spikeLength().toMillis()) {
            rate *= 3;
        }
        return Math.max(MIN_RATE, rate);
    }

    /** Brings students online until the rate of this moment is covered; the pool is at least twice that (see Settings). */
    private void fillOnline(long now) {
        long wanted = Math.min(studentsOnline(currentRate(now)), settings.studentPool());
        while (humansOnline < wanted) {
            String id = "student-" + String.format("%05d", random.nextInt(settings.studentPool()));
            if (onlineIds.add(id)) {
                online.add(new Student(id, false, now + (long) (random.nextDouble() * 1000)));
                humansOnline++;
            }
        }
        while (botsOnline < settings.bots()) {
            String id = "bot-" + botsOnline++;
            onlineIds.add(id);
            online.add(new Student(id, true, now));
        }
    }

    private void send(List<ObjectNode> batch, Map<String, Long> lastAccepted, Map<String, Long> pageViews, long[] totals) {
        ArrayNode body = mapper.createArrayNode();
        batch.forEach(body::add);
        totals[0] += batch.size();
        URI endpoint = endpoints.get(endpointTurn++ % endpoints.size());
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(endpoint).header("Content-Type", "application/json")
                    .header("Authorization", authorization).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode results = mapper.readTree(response.body()).path("results");
            if (!results.isArray() || results.isEmpty()) {
                totals[3]++;
                return;
            }
            long now = clock.millis();
            for (JsonNode result : results) {
                ObjectNode event = batch.get(result.path("index").asInt());
                if ("accepted".equals(result.path("status").asText())) {
                    totals[1]++;
                    lastAccepted.put(event.path("student_id").asText(), now);
                    if ("page_view".equals(event.path("event_name").asText())) {
                        pageViews.merge(event.path("page_url").asText(), 1L, Long::sum);
                    }
                }
                else {
                    totals[2]++;
                }
            }
        }
        catch (java.io.IOException e) {
            totals[3]++;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One student's visit: a small state machine that drops off at each step with some probability. */
    private final class Student {
        final String id;
        final boolean bot;
        final String session = UUID.randomUUID().toString();
        final String device = DEVICES.get(random.nextInt(DEVICES.size()));
        final String browser = BROWSERS.get(random.nextInt(BROWSERS.size()));
        final String course = COURSES.get(random.nextInt(COURSES.size()));
        final List<String[]> plan = new ArrayList<>();
        long nextAt;
        boolean done;
        String previousPage;

        Student(String id, boolean bot, long firstAt) {
            this.id = id;
            this.bot = bot;
            this.nextAt = firstAt;
            planVisit();
        }

        /** The funnel: course page -> chapter -> video -> quiz, with drop-offs, then maybe the next chapter. */
        private void planVisit() {
            step("page_view", "/courses/" + course, null);
            int chapter = 1 + random.nextInt(6);
            while (true) {
                String chapterPage = "/courses/" + course + "/chapter-" + chapter;
                if (random.nextInt(100) < 20) {
                    return;                                   // left on the course page
                }
                step("page_view", chapterPage, null);
                for (int depth : new int[] {25, 50, 75, 100}) {
                    if (random.nextInt(100) >= 85) {
                        break;
                    }
                    step("scroll", chapterPage, "scroll_depth=" + depth);
                }
                step("heartbeat", chapterPage, "duration=15");
                if (random.nextInt(100) < 60) {
                    step("video_play", chapterPage, null);
                    if (random.nextInt(100) < 35) {
                        step("video_pause", chapterPage, null);
                    }
                    if (random.nextInt(100) < 70) {
                        step("video_complete", chapterPage, null);
                    }
                }
                if (random.nextInt(100) < 45) {
                    step("quiz_start", chapterPage, null);
                    step("quiz_answer", chapterPage, null);
                    step("quiz_answer", chapterPage, null);
                    if (random.nextInt(100) < 80) {
                        step("quiz_submit", chapterPage, null);
                    }
                }
                if (random.nextInt(100) < 15) {
                    step("search", "/search", "query=" + SEARCHES.get(random.nextInt(SEARCHES.size())));
                }
                if (random.nextInt(100) >= 40) {
                    return;
                }
                step("click", chapterPage, "label=next-chapter");
                chapter++;
            }
        }

        private void step(String eventName, String stepPage, String metadata) {
            plan.add(new String[] {eventName, stepPage, metadata});
        }

        ObjectNode act(long now) {
            if (bot) {
                nextAt = now + 500;
                return event("click", "/courses/" + course, "label=scrape", now).put("user_agent", BOT_AGENT);
            }
            String[] step = plan.remove(0);
            done = plan.isEmpty();
            // Think time: exponential around the mean, so the crowd's events arrive like real ones (in bursts, not a metronome).
            nextAt = now + (long) (1000 * Math.min(60, -Math.log(1 - random.nextDouble()) * MEAN_THINK_SECONDS));
            ObjectNode event = event(step[0], step[1], step[2], now);
            if (settings.invalidPerMille() > 0 && random.nextInt(1000) < settings.invalidPerMille()) {
                event.put("event_name", "teleport");          // not in the contract: shows the dead-letter path
            }
            return event;
        }

        private ObjectNode event(String eventName, String eventPage, String metadata, long now) {
            ObjectNode event = mapper.createObjectNode()
                    .put("event_id", UUID.randomUUID().toString())
                    .put("student_id", id)
                    .put("event_name", eventName)
                    .put("page_url", eventPage)
                    .put("session_id", session)
                    .put("device_type", device)
                    .put("browser", browser)
                    .put("timestamp", java.time.Instant.ofEpochMilli(now).toString());
            int chapterAt = eventPage.indexOf("/chapter-");
            if (chapterAt > 0) {
                event.put("chapter_id", course + "-ch" + eventPage.substring(chapterAt + 9));
            }
            if (eventName.equals("page_view")) {
                if (previousPage != null) {
                    event.put("referrer", previousPage);
                }
                previousPage = eventPage;
            }
            if (metadata != null) {
                String[] pair = metadata.split("=", 2);
                ObjectNode values = event.putObject("metadata");
                if (pair[0].equals("query") || pair[0].equals("label")) {
                    values.put(pair[0], pair[1]);
                }
                else {
                    values.put(pair[0], Integer.parseInt(pair[1]));
                }
            }
            return event;
        }
    }
}
