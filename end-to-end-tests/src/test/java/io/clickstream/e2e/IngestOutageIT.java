package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.config.IngestConfig;
import io.clickstream.ingest.sink.KafkaEventSink;
import io.clickstream.ingest.sink.SinkRecord;
import io.clickstream.stack.Directories;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.StackSettings;
import io.clickstream.testing.Await;
import io.clickstream.testing.FreePorts;
import io.clickstream.testing.LmsEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Broker outages and a killed collector, with the real broker and ingest processes: every event
 * ingest accepted must be in the topic exactly once afterwards.
 */
class IngestOutageIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static LocalStack stack;

    @BeforeAll
    static void start() throws Exception {
        Path home = Path.of(System.getProperty("clickstream.home"));
        Path work = Path.of("target", "outage-work").toAbsolutePath();
        Directories.deleteRecursively(work);
        StackSettings settings = new StackSettings(home, work, FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next(), 2);
        stack = LocalStack.start(settings, message -> System.out.println("[outage] " + message), false);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void brokerOutageUnderLoadLosesAndDuplicatesNothing() throws Exception {
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread sender = new Thread(() -> {
            while (sending.get()) {
                sendBatch(20, accepted);
            }
        }, "outage-sender");
        sender.start();
        Thread.sleep(3_000);
        stack.stopBroker();
        Thread.sleep(10_000);                  // keep sending: the first requests wait out the delivery timeout, then spool
        int acceptedDuringOutage = accepted.size();
        stack.restartBroker();
        Thread.sleep(3_000);
        sending.set(false);
        sender.join();

        awaitSpoolDrained();
        assertTrue(accepted.size() > acceptedDuringOutage, "events were accepted after the broker returned");
        assertExactlyOnce(accepted);
    }

    @Test
    void spoolSurvivesSigkillOfIngestAndIsReplayedAfterRestart() throws Exception {
        stack.stopBroker();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 10; i++) {
            sendBatch(25, accepted);
        }
        assertEquals(250, accepted.size(), "with the broker down, events are accepted into the spool");
        stack.killIngest();
        stack.restartBroker();
        stack.restartIngest();
        awaitSpoolDrained();
        assertExactlyOnce(accepted);
    }

    @Test
    void readingBackFindsExactlyTheRecordsTheBrokerHolds() throws Exception {
        String run = UUID.randomUUID().toString();
        List<SinkRecord> written = new ArrayList<>();
        List<SinkRecord> neverSent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            SinkRecord record = new SinkRecord(StackSettings.TOPIC, "student-" + (i % 4),
                    ("{\"event_id\":\"" + run + "-" + i + "\"}").getBytes(StandardCharsets.UTF_8));
            (i % 3 == 0 ? neverSent : written).add(record);
        }
        try (KafkaEventSink sink = new KafkaEventSink(new IngestConfig.Kafka(stack.broker().bootstrapServers(), StackSettings.TOPIC,
                StackSettings.DEAD_LETTER_TOPIC, 5, "none", 10_000))) {
            long before = System.currentTimeMillis();
            sink.store(written).get(30, TimeUnit.SECONDS);
            List<SinkRecord> candidates = new ArrayList<>(neverSent);
            candidates.addAll(written);

            Set<ByteBuffer> found = sink.alreadyStored(candidates, before);
            assertEquals(written.stream().map(r -> ByteBuffer.wrap(r.value())).collect(Collectors.toSet()), found,
                    "exactly the records the broker acknowledged are found, none of those never sent");
            assertEquals(Set.of(), sink.alreadyStored(candidates, System.currentTimeMillis() + Duration.ofMinutes(5).toMillis()),
                    "nothing was written after the given time");
        }
    }

    private static void sendBatch(int size, Set<String> accepted) {
        List<LmsEvent> events = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            events.add(LmsEvent.pageView("outage-student-" + (i % 7), "/courses/algebra").id(UUID.randomUUID().toString()));
        }
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(stack.trackEndpoint())
                    .header("Content-Type", "application/json").header("Authorization", stack.authorization()).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(LmsEvent.batch(events.toArray(LmsEvent[]::new)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                events.forEach(event -> accepted.add(event.eventId()));
            }
        }
        catch (Exception e) {
            // Not accepted: the client keeps it. Only accepted events are checked.
        }
    }

    private static void awaitSpoolDrained() throws Exception {
        Await.until("spool drained", Duration.ofMinutes(2), () -> {
            HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create(stack.ingestUrl() + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode state = MAPPER.readTree(ready.body());
            return state.path("spool_records").asLong(-1) == 0 && "direct".equals(state.path("mode").asText());
        }, true);
    }

    private static void assertExactlyOnce(Set<String> accepted) throws Exception {
        Map<String, Integer> seen = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "outage-" + UUID.randomUUID(),
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
