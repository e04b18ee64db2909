package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.StackSettings;
import io.clickstream.testing.LmsEvent;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Sends batches to a stack's ingest and keeps the ids of the events it accepted (HTTP 200), then
 * checks the topic holds each of them exactly once. Shared by the outage and replication tests.
 */
final class AcceptedEvents {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final Set<String> accepted = ConcurrentHashMap.newKeySet();
    /** Status codes of the answers other than 200, and exceptions of requests that got none. */
    final List<String> refusals = java.util.Collections.synchronizedList(new ArrayList<>());
    private final LocalStack stack;

    AcceptedEvents(LocalStack stack) {
        this.stack = stack;
    }

    /** Broker(s) and ingest only, in a fresh {@code target/<name>-work}, on free ports; progress lines go to stdout. */
    static LocalStack startIngestStack(String name, int partitions, int kafkaNodes) throws Exception {
        java.nio.file.Path home = java.nio.file.Path.of(System.getProperty("clickstream.home"));
        java.nio.file.Path work = java.nio.file.Path.of("target", name + "-work").toAbsolutePath();
        io.clickstream.stack.Directories.deleteRecursively(work);
        StackSettings settings = new StackSettings(home, work, io.clickstream.testing.FreePorts.next(), io.clickstream.testing.FreePorts.next(),
                io.clickstream.testing.FreePorts.next(), io.clickstream.testing.FreePorts.next(), partitions);
        return LocalStack.start(settings, message -> System.out.println("[" + name + "] " + message), false, kafkaNodes);
    }

    /** Sends one batch of {@code size} page views; only an answer of 200 counts its events as accepted. */
    void sendBatch(int size) {
        List<LmsEvent> events = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            events.add(LmsEvent.pageView("test-student-" + (i % 7), "/courses/algebra").id(UUID.randomUUID().toString()));
        }
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(stack.trackEndpoint())
                    .header("Content-Type", "application/json").header("Authorization", stack.authorization()).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(LmsEvent.batch(events.toArray(LmsEvent[]::new)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                events.forEach(event -> accepted.add(event.eventId()));
            }
            else {
                refusals.add(response.statusCode() + " " + response.body());
            }
        }
        catch (Exception e) {
            // Not accepted: the client keeps it. Only accepted events are checked.
            refusals.add(e.toString());
        }
    }

    /** Waits until ingest's spool is empty and it sends to the broker directly again. */
    void awaitSpoolDrained() throws Exception {
        io.clickstream.testing.Await.until("spool drained", Duration.ofMinutes(2), () -> {
            HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(java.net.URI.create(stack.ingestUrl() + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            com.fasterxml.jackson.databind.JsonNode state = MAPPER.readTree(ready.body());
            return state.path("spool_records").asLong(-1) == 0 && "direct".equals(state.path("mode").asText());
        }, true);
    }

    /** Every accepted event is in the topic, and none twice. */
    void assertInTopicExactlyOnce() throws Exception {
        Map<String, Integer> seen = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "accepted-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(StackSettings.TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline && System.nanoTime() - quietSince < Duration.ofSeconds(5).toNanos()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    seen.merge(MAPPER.readTree(record.value()).get("event_id").asText(), 1, Integer::sum);
                    quietSince = System.nanoTime();
                }
            }
        }
        List<String> missing = accepted.stream().filter(id -> !seen.containsKey(id)).toList();
        List<String> duplicated = accepted.stream().filter(id -> seen.getOrDefault(id, 0) > 1).toList();
        assertEquals(List.of(), missing, missing.size() + " accepted events lost");
        assertEquals(List.of(), duplicated, duplicated.size() + " accepted events duplicated");
    }
}
