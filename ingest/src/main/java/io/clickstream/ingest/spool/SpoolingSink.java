package io.clickstream.ingest.spool;

import io.clickstream.ingest.sink.Delivery;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.SinkRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker first, the local spool when the broker cannot take records, and a replayer that
 * sends the spool back in order once the broker answers.
 *
 * <ul>
 *   <li>Only records the broker failed (after the producer's delivery timeout) are spooled, so a
 *       record the broker acknowledged is never spooled too. A timed-out record may still have been
 *       written, so it is spooled as <em>in doubt</em>.</li>
 *   <li>While anything is spooled, new records go to the spool behind it, so replay keeps arrival
 *       order; the sink returns to the broker once the spool is empty.</li>
 *   <li>A full spool fails the store: the client gets 503 and keeps its events.</li>
 *   <li>Replay sends one segment at a time and deletes it after every record was acknowledged. A
 *       segment is marked in doubt before it is sent, so a replay cut short (broker failure, ingest
 *       killed) is resumed knowing some records may be in the topic already.</li>
 *   <li>Before an in-doubt segment is sent, the broker is read back from the time of the first
 *       doubtful send and the records it already holds are left out: every accepted record reaches
 *       the topic exactly once. The read-back waits {@code inDoubtSettle} after that send, so a
 *       record the broker appended but could not yet commit (a replica just failed) is visible.</li>
 * </ul>
 */
public final class SpoolingSink implements EventSink {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolingSink.class);

    private final EventSink broker;
    private final DiskSpool spool;
    private final ScheduledExecutorService replayer;
    private final Duration inDoubtSettle;
    private final Object modeLock = new Object();
    private boolean spooling;

    /**
     * {@code inDoubtSettle}: how long a segment with records sent without an answer waits before
     * the broker is read back for them. A record appended while a failed replica is still counted
     * in sync becomes visible only once the leader drops it (Kafka's replica.lag.time.max.ms).
     */
    public SpoolingSink(EventSink broker, DiskSpool spool, Duration replayInterval, Duration inDoubtSettle) {
        this.broker = broker;
        this.spool = spool;
        this.inDoubtSettle = inDoubtSettle;
        this.spooling = !spool.isEmpty();
        this.replayer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "spool-replayer");
            thread.setDaemon(true);
            return thread;
        });
        replayer.scheduleWithFixedDelay(this::replay, replayInterval.toMillis(), replayInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Done once every record is acknowledged by the broker or on disk; fails when neither took them. */
    @Override
    public CompletableFuture<Void> store(List<SinkRecord> records) {
        synchronized (modeLock) {
            if (spooling) {
                return spoolNow(records);
            }
        }
        long sentAt = System.currentTimeMillis();
        return broker.deliver(records).thenCompose(delivery -> {
            if (delivery.allStored()) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            List<SinkRecord> failed = delivery.failedOf(records);
            LOG.warn("the broker did not take {} of {} records ({}); spooling them to disk", failed.size(), records.size(),
                    rootMessage(delivery.firstFailure()));
            synchronized (modeLock) {
                spooling = true;
                try {
                    spool.appendInDoubt(failed, sentAt);
                    return CompletableFuture.<Void>completedFuture(null);
                }
                catch (IOException e) {
                    return CompletableFuture.<Void>failedFuture(e);
                }
            }
        });
    }

    /** The records are stored together (broker or spool), so each gets the request's outcome. */
    @Override
    public CompletableFuture<Delivery> deliver(List<SinkRecord> records) {
        return store(records).handle((ignored, failure) -> failure == null ? Delivery.allStored(records.size())
                : Delivery.allFailed(records.size(), failure));
    }

    private CompletableFuture<Void> spoolNow(List<SinkRecord> records) {
        try {
            spool.append(records);
            return CompletableFuture.completedFuture(null);
        }
        catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends spooled segments, oldest first, while the broker takes them. */
    void replay() {
        try {
            while (true) {
                synchronized (modeLock) {
                    if (spool.isEmpty()) {
                        if (spooling) {
                            LOG.info("spool drained: sending to the broker directly again");
                        }
                        spooling = false;
                        return;
                    }
                }
                if (!broker.isHealthy()) {
                    return;
                }
                Optional<DiskSpool.Segment> oldest = spool.oldest();
                if (oldest.isEmpty()) {
                    continue;
                }
                DiskSpool.Segment segment = oldest.get();
                long settledAt = segment.inDoubtSince().orElse(0) + inDoubtSettle.toMillis();
                if (segment.inDoubtSince().isPresent() && System.currentTimeMillis() < settledAt) {
                    // Order is kept: everything behind this segment waits with it.
                    LOG.debug("{} holds records sent without an answer; reading the topic back in {} ms", segment.file().getFileName(),
                            settledAt - System.currentTimeMillis());
                    return;
                }
                List<SinkRecord> toSend = notYetStored(segment);
                segment = spool.markInDoubt(segment, System.currentTimeMillis());
                broker.store(toSend).get(2, TimeUnit.MINUTES);
                spool.delete(segment);
                LOG.info("replayed {} spooled records from {}; {} left", toSend.size(), segment.file().getFileName(), spool.records());
            }
        }
        catch (Exception e) {
            LOG.warn("spool replay paused: {}", rootMessage(e));
        }
    }

    /** The segment's records less those the broker already holds, when the segment is in doubt. */
    private List<SinkRecord> notYetStored(DiskSpool.Segment segment) throws Exception {
        if (segment.inDoubtSince().isEmpty()) {
            return segment.records();
        }
        Set<ByteBuffer> stored = broker.alreadyStored(segment.records(), segment.inDoubtSince().getAsLong());
        if (stored.isEmpty()) {
            return segment.records();
        }
        List<SinkRecord> rest = segment.records().stream().filter(record -> !stored.contains(ByteBuffer.wrap(record.value()))).toList();
        LOG.info("{} of {} records of {} were sent before without an answer and are in the topic already; they are not sent again",
                segment.records().size() - rest.size(), segment.records().size(), segment.file().getFileName());
        return rest;
    }

    @Override
    public Set<ByteBuffer> alreadyStored(List<SinkRecord> candidates, long sinceMillis) throws Exception {
        return broker.alreadyStored(candidates, sinceMillis);
    }

    /** Ready when the broker answers or the spool has room. */
    @Override
    public boolean isHealthy() {
        return broker.isHealthy() || spool.hasRoom();
    }

    @Override
    public Map<String, Object> state() {
        synchronized (modeLock) {
            return Map.of("mode", spooling ? "spooling" : "direct", "spool_records", spool.records(), "spool_bytes", spool.bytes());
        }
    }

    /** Stops the replayer, flushes the producer, and closes the spool; spooled records stay for the next start. */
    @Override
    public void close() {
        replayer.shutdown();
        try {
            replayer.awaitTermination(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        broker.close();
        try {
            spool.close();
        }
        catch (IOException e) {
            LOG.error("could not close the spool cleanly: {}", e.getMessage());
        }
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
