package io.clickstream.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
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

/**
 * Realistic LMS traffic sent through the real HTTP endpoint: students' {@link Visit visits}
 * (course page, chapters with scrolling and heartbeats, videos, quizzes, searches), each sent
 * whole, its events 5 to 90 seconds apart and starting within the last hours of the current UTC
 * day, so a demo run has several sessions per student. A small share of events is invalid or
 * re-sent on purpose, to show that the pipe rejects the first and de-duplicates the second.
 */
public final class TrafficGenerator {
    /** What was sent and what the endpoint said about it. */
    public record Result(long sent, long accepted, long rejected, Set<String> acceptedEventIds, long failedRequests) {}

    private final ObjectMapper mapper = new ObjectMapper();
    private final URI endpoint;
    private final TrackClient client;
    private final int students;
    private final Random random;
    private final Clock clock;
    private final Deque<ObjectNode> pending = new ArrayDeque<>();
    private final List<ObjectNode> sentSample = new ArrayList<>();

    /** {@code endpoint} and {@code authorization} may be null when only {@link #validEvents} is used. */
    public TrafficGenerator(URI endpoint, String authorization, int students, long seed, Clock clock) {
        this.endpoint = endpoint;
        this.client = endpoint == null ? null : new TrackClient(mapper, authorization);
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
            List<ObjectNode> batch = new ArrayList<>();
            for (int i = 0; i < batchSize; i++) {
                batch.add(nextEvent());
            }
            sent += batch.size();
            try {
                JsonNode results = client.post(endpoint, batch);
                if (results.isEmpty()) {
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

    /** One visit of a random student, its events 5 to 90 s apart from a start within the last three hours (never after now). */
    private void simulateSession() {
        Visit visit = new Visit(mapper, random, "student-" + String.format("%04d", random.nextInt(students)));
        Instant now = clock.instant();
        Instant dayStart = now.truncatedTo(ChronoUnit.DAYS);
        long windowSeconds = Math.max(60, Math.min(Duration.ofHours(3).toSeconds(), Duration.between(dayStart, now).toSeconds()));
        Instant time = now.minusSeconds(windowSeconds).plusSeconds((long) (random.nextDouble() * windowSeconds * 0.8));
        while (!visit.done()) {
            time = time.plusSeconds(5 + random.nextInt(86));
            pending.add(visit.next(time.isAfter(now) ? now : time));
        }
    }
}
