package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.ingest.config.IngestConfig;
import io.clickstream.ingest.sink.KafkaEventSink;
import io.clickstream.ingest.sink.SinkRecord;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.StackSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Broker outages and a killed collector, with the real broker and ingest processes: every event
 * ingest accepted must be in the topic exactly once afterwards.
 */
class IngestOutageIT {
    private static LocalStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = AcceptedEvents.startIngestStack("outage", 2, 1);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void brokerOutageUnderLoadLosesAndDuplicatesNothing() throws Exception {
        AcceptedEvents events = new AcceptedEvents(stack);
        Set<String> accepted = events.accepted;
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread sender = new Thread(() -> {
            while (sending.get()) {
                events.sendBatch(20);
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

        events.awaitSpoolDrained();
        assertTrue(accepted.size() > acceptedDuringOutage, "events were accepted after the broker returned");
        events.assertInTopicExactlyOnce();
    }

    @Test
    void spoolSurvivesSigkillOfIngestAndIsReplayedAfterRestart() throws Exception {
        stack.stopBroker();
        AcceptedEvents events = new AcceptedEvents(stack);
        for (int i = 0; i < 10; i++) {
            events.sendBatch(25);
        }
        assertEquals(250, events.accepted.size(), "with the broker down, events are accepted into the spool");
        stack.killIngest();
        stack.restartBroker();
        stack.restartIngest();
        events.awaitSpoolDrained();
        events.assertInTopicExactlyOnce();
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
                StackSettings.DEAD_LETTER_TOPIC, 5, "none", 16_384, 10_000))) {
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
}
