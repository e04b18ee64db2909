package io.clickstream.ingest.sink;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Where accepted and dead-lettered events go. A record counts as stored only once it is durable
 * (for Kafka: acknowledged by all in-sync replicas; for the spool: forced to disk).
 */
public interface EventSink extends AutoCloseable {
    /**
     * Completes once every record has an outcome, saying exactly which records were not stored;
     * it does not complete exceptionally.
     */
    CompletableFuture<Delivery> deliver(List<SinkRecord> records);

    /** Completes when every record is stored; fails with the first reason when any is not. */
    default CompletableFuture<Void> store(List<SinkRecord> records) {
        return deliver(records).thenApply(delivery -> {
            if (!delivery.allStored()) {
                throw new CompletionException(delivery.firstFailure());
            }
            return null;
        });
    }

    /**
     * The values (compared byte for byte) of those candidates the sink already holds among what it
     * stored since {@code sinceMillis}. Settles records whose earlier delivery had no clear
     * outcome: a send that timed out may still have been written, and must not be written twice.
     */
    Set<ByteBuffer> alreadyStored(List<SinkRecord> candidates, long sinceMillis) throws Exception;

    /** True when the sink can take events now. */
    boolean isHealthy();

    /** What /ready reports about this sink, such as spool depth. */
    default Map<String, Object> state() {
        return Map.of();
    }

    @Override
    void close();
}
