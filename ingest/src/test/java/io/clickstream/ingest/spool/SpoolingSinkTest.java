package io.clickstream.ingest.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.ingest.sink.Delivery;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.SinkRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolingSinkTest {
    @TempDir
    Path dir;

    /** A hand-written broker: takes records, or fails those matching {@code failing}, and says whether it is up. */
    static final class FlakyBroker implements EventSink {
        final List<String> stored = new CopyOnWriteArrayList<>();
        volatile Predicate<SinkRecord> failing = record -> false;
        volatile boolean up = true;

        @Override
        public CompletableFuture<Delivery> deliver(List<SinkRecord> records) {
            Delivery.Tracker tracker = new Delivery.Tracker(records.size(), Runnable::run);
            for (int i = 0; i < records.size(); i++) {
                SinkRecord record = records.get(i);
                if (!up || failing.test(record)) {
                    tracker.failed(i, new IllegalStateException("delivery timed out"));
                }
                else {
                    stored.add(new String(record.value(), StandardCharsets.UTF_8).substring(0, 10));
                    tracker.stored();
                }
            }
            return tracker.result();
        }

        @Override
        public boolean isHealthy() {
            return up;
        }

        @Override
        public void close() {}
    }

    @Test
    void outageIsSpooledThenReplayedInOrderWithoutDuplicates() throws Exception {
        FlakyBroker broker = new FlakyBroker();
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 64 * 1024);
        SpoolingSink sink = new SpoolingSink(broker, spool, Duration.ofHours(1));   // replay is driven by the test
        sink.store(DiskSpoolTest.records(0, 10, 100)).get();
        assertEquals(10, broker.stored.size());

        broker.up = false;
        sink.store(DiskSpoolTest.records(10, 10, 100)).get();                       // succeeds: on disk
        assertEquals("spooling", sink.state().get("mode"));
        broker.up = true;
        sink.store(DiskSpoolTest.records(20, 10, 100)).get();                       // behind the spooled ones, for order
        assertEquals(20L, sink.state().get("spool_records"));
        assertEquals(10, broker.stored.size());

        sink.replay();
        assertEquals(30, broker.stored.size());
        assertEquals(java.util.stream.IntStream.range(0, 30).mapToObj(i -> String.format("event%05d", i)).toList(), broker.stored);
        assertEquals("direct", sink.state().get("mode"));
        assertTrue(spool.isEmpty());
        sink.close();
    }

    @Test
    void onlyRecordsTheBrokerFailedAreSpooled() throws Exception {
        FlakyBroker broker = new FlakyBroker();
        broker.failing = record -> record.key() != null && record.key().endsWith("3");
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 64 * 1024);
        SpoolingSink sink = new SpoolingSink(broker, spool, Duration.ofHours(1));
        sink.store(DiskSpoolTest.records(0, 20, 100)).get();
        assertEquals(2, spool.records(), "key-3 and key-13 failed; the 18 acknowledged records must not be spooled too");
        broker.failing = record -> false;
        sink.replay();
        assertEquals(20, broker.stored.size());
        assertEquals(20, broker.stored.stream().distinct().count());
        sink.close();
    }

    @Test
    void aFullSpoolFailsTheStore() throws Exception {
        FlakyBroker broker = new FlakyBroker();
        broker.up = false;
        SpoolingSink sink = new SpoolingSink(broker, new DiskSpool(dir, 1024 * 1024, 64 * 1024), Duration.ofHours(1));
        sink.store(DiskSpoolTest.records(0, 900, 1000)).get();
        CompletableFuture<Void> refused = sink.store(DiskSpoolTest.records(900, 200, 1000));
        assertTrue(refused.isCompletedExceptionally());
        sink.close();
    }
}
