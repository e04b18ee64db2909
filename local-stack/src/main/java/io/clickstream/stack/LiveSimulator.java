package io.clickstream.stack;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

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
    private final List<URI> endpoints;
    private final TrackClient client;
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
        this.client = new TrackClient(mapper, authorization);
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
        totals[0] += batch.size();
        URI endpoint = endpoints.get(endpointTurn++ % endpoints.size());
        try {
            JsonNode results = client.post(endpoint, batch);
            if (results.isEmpty()) {
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

    /** One student online: a {@link Visit} taken a step at a time, or a bot that clicks the same page twice a second. */
    private final class Student {
        final String id;
        final boolean bot;
        final Visit visit;
        long nextAt;
        boolean done;

        Student(String id, boolean bot, long firstAt) {
            this.id = id;
            this.bot = bot;
            this.nextAt = firstAt;
            this.visit = new Visit(mapper, random, id);
        }

        ObjectNode act(long now) {
            Instant at = Instant.ofEpochMilli(now);
            if (bot) {
                nextAt = now + 500;
                return visit.event("click", visit.coursePage(), mapper.createObjectNode().put("element", "scrape"), at)
                        .put("user_agent", BOT_AGENT);
            }
            ObjectNode event = visit.next(at);
            done = visit.done();
            // Think time: exponential around the mean, so the crowd's events arrive like real ones (in bursts, not a metronome).
            nextAt = now + (long) (1000 * Math.min(60, -Math.log(1 - random.nextDouble()) * MEAN_THINK_SECONDS));
            if (settings.invalidPerMille() > 0 && random.nextInt(1000) < settings.invalidPerMille()) {
                event.put("event_name", "teleport");          // not in the contract: shows the dead-letter path
            }
            return event;
        }
    }
}
