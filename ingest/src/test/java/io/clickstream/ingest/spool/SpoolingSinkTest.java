package io.clickstream.ingest.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.ingest.sink.Delivery;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.SinkRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolingSinkTest {
    @TempDir
    Path dir;

    /**
     * A hand-written broker: takes records, or fails those matching {@code failing}, and says
     * whether it is up; records matching {@code writtenButUnanswered} are written yet reported failed,
     * like a send whose acknowledgement was lost when the broker stopped.
     */
    static final class FlakyBroker implements EventSink {
        final List<String> stored = new CopyOnWriteArrayList<>();
        final List<ByteBuffer> log = new CopyOnWriteArrayList<>();
        volatile Predicate<SinkRecord> failing = record -> false;
        volatile Predicate<SinkRecord> writtenButUnanswered = record -> false;
        volatile boolean up = true;
        volatile long lastReadBackSince = -1;

        @Override
        public CompletableFuture<Delivery> deliver(List<SinkRecord> records) {
            Delivery.Tracker tracker = new Delivery.Tracker(records.size(), Runnable::run);
            for (int i = 0; i < records.size(); i++) {
                SinkRecord record = records.get(i);
                if (up && writtenButUnanswered.test(record)) {
                    write(record);
                    tracker.failed(i, new IllegalStateException("delivery timed out"));
                }
                else if (!up || failing.test(record)) {
                    tracker.failed(i, new IllegalStateException("delivery timed out"));
                }
                else {
                    write(record);
                    tracker.stored();
                }
            }
            return tracker.result();
        }

        private void write(SinkRecord record) {
            stored.add(new String(record.value(), StandardCharsets.UTF_8).substring(0, 10));
            log.add(ByteBuffer.wrap(record.value()));
        }

        @Override
        public Set<ByteBuffer> alreadyStored(List<SinkRecord> candidates, long sinceMillis) {
            lastReadBackSince = sinceMillis;
            return candidates.stream().map(candidate -> ByteBuffer.wrap(candidate.value())).filter(log::contains).collect(Collectors.toSet());
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
        SpoolingSink sink = new SpoolingSink(broker, spool, Duration.ofHours(1), Duration.ZERO);   // replay is driven by the test
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
        SpoolingSink sink = new SpoolingSink(broker, spool, Duration.ofHours(1), Duration.ZERO);
        sink.store(DiskSpoolTest.records(0, 20, 100)).get();
        assertEquals(2, spool.records(), "key-3 and key-13 failed; the 18 acknowledged records must not be spooled too");
        broker.failing = record -> false;
        sink.replay();
        assertEquals(20, broker.stored.size());
        assertEquals(20, broker.stored.stream().distinct().count());
        sink.close();
    }

    @Test
    void recordsWrittenWithoutAnAnswerAreNotSentTwice() throws Exception {
        FlakyBroker broker = new FlakyBroker();
        broker.writtenButUnanswered = record -> record.key() != null && record.key().endsWith("3");
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 64 * 1024);
        SpoolingSink sink = new SpoolingSink(broker, spool, Duration.ofHours(1), Duration.ZERO);
        long before = System.currentTimeMillis();
        sink.store(DiskSpoolTest.records(0, 20, 100)).get();
        assertEquals(2, spool.records(), "key-3 and key-13 had no answer: they are spooled, in doubt");
        broker.writtenButUnanswered = record -> false;
        sink.store(DiskSpoolTest.records(20, 5, 100)).get();          // behind them in the spool, never sent
        sink.replay();
        assertEquals(25, broker.stored.size());
        assertEquals(25, broker.stored.stream().distinct().count(), "the in-doubt records were in the topic already: " + broker.stored);
        assertTrue(broker.lastReadBackSince >= before, "the broker is read back from the doubtful send on");
        assertTrue(spool.isEmpty());
        sink.close();
    }

    @Test
    void recordsInDoubtWaitForTheBrokerToSettleBeforeTheyAreReadBack() throws Exception {
        FlakyBroker broker = new FlakyBroker();
        broker.up = false;
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 64 * 1024);
        SpoolingSink sink = new SpoolingSink(broker, spool, Duration.ofHours(1), Duration.ofMillis(1500));
        sink.store(DiskSpoolTest.records(0, 5, 100)).get();
        broker.up = true;
        sink.replay();
        assertEquals(List.of(), broker.stored, "sent without an answer a moment ago: not read back or sent yet");
        assertEquals(-1, broker.lastReadBackSince);
        Thread.sleep(1600);
        sink.replay();
        assertEquals(5, broker.stored.size());
        assertTrue(spool.isEmpty());
        sink.close();
    }

    @Test
    void aReplayCutShortIsResumedWithoutDuplicates() throws Exception {
        FlakyBroker broker = new FlakyBroker();
        broker.up = false;
        DiskSpool spool = new DiskSpool(dir, 10_000_000, 64 * 1024);
        SpoolingSink sink = new SpoolingSink(broker, spool, Duration.ofHours(1), Duration.ZERO);
        sink.store(DiskSpoolTest.records(0, 10, 100)).get();
        broker.up = true;
        broker.failing = record -> "key-7".equals(record.key());       // the broker fails in the middle of the segment
        sink.replay();
        assertEquals(9, broker.stored.size());
        assertEquals(10, spool.records(), "the segment stays until all of it was acknowledged");
        sink.close();

        DiskSpool reopened = new DiskSpool(dir, 10_000_000, 64 * 1024);   // as after a restart of ingest
        assertTrue(reopened.oldest().orElseThrow().inDoubtSince().isPresent(), "the cut-short replay left its mark on disk");
        broker.failing = record -> false;
        SpoolingSink restarted = new SpoolingSink(broker, reopened, Duration.ofHours(1), Duration.ZERO);
        restarted.replay();
        assertEquals(java.util.stream.IntStream.range(0, 10).mapToObj(i -> String.format("event%05d", i)).sorted().toList(),
                broker.stored.stream().sorted().toList());
        assertTrue(reopened.isEmpty());
        restarted.close();
    }

    @Test
    void aFullSpoolFailsTheStore() throws Exception {
        FlakyBroker broker = new FlakyBroker();
        broker.up = false;
        SpoolingSink sink = new SpoolingSink(broker, new DiskSpool(dir, 1024 * 1024, 64 * 1024), Duration.ofHours(1), Duration.ZERO);
        sink.store(DiskSpoolTest.records(0, 900, 1000)).get();
        CompletableFuture<Void> refused = sink.store(DiskSpoolTest.records(900, 200, 1000));
        assertTrue(refused.isCompletedExceptionally());
        sink.close();
    }
}
