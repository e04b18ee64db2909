package io.clickstream.ingest.spool;

import io.clickstream.ingest.sink.Delivery;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.SinkRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 *   <li>Only records the broker definitively failed (after the producer's delivery timeout) are
 *       spooled, so a record the broker acknowledged is never spooled too.</li>
 *   <li>While anything is spooled, new records go to the spool behind it, so replay keeps arrival
 *       order; the sink returns to the broker once the spool is empty.</li>
 *   <li>A full spool fails the store: the client gets 503 and keeps its events.</li>
 *   <li>Replay sends one segment at a time and deletes it after every record was acknowledged. If
 *       the broker fails in the middle of a segment, the segment is sent again later, so records of
 *       it may reach the topic twice; silver de-duplicates by event_id.</li>
 * </ul>
 */
public final class SpoolingSink implements EventSink {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolingSink.class);

    private final EventSink broker;
    private final DiskSpool spool;
    private final ScheduledExecutorService replayer;
    private final Object modeLock = new Object();
    private boolean spooling;

    public SpoolingSink(EventSink broker, DiskSpool spool, Duration replayInterval) {
        this.broker = broker;
        this.spool = spool;
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
        return broker.deliver(records).thenCompose(delivery -> {
            if (delivery.allStored()) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            List<SinkRecord> failed = delivery.failedOf(records);
            LOG.warn("the broker did not take {} of {} records ({}); spooling them to disk", failed.size(), records.size(),
                    rootMessage(delivery.firstFailure()));
            synchronized (modeLock) {
                spooling = true;
                return spoolNow(failed);
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
                Optional<DiskSpool.Segment> segment = spool.oldest();
                if (segment.isEmpty()) {
                    continue;
                }
                broker.store(segment.get().records()).get(2, TimeUnit.MINUTES);
                spool.delete(segment.get());
                LOG.info("replayed {} spooled records from {}; {} left", segment.get().records().size(),
                        segment.get().file().getFileName(), spool.records());
            }
        }
        catch (Exception e) {
            LOG.warn("spool replay paused: {}", rootMessage(e));
        }
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
