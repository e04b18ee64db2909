package io.clickstream.ingest.sink;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where accepted and dead-lettered events go. A future completes only once its record is durably
 * stored (for Kafka: acknowledged by all in-sync replicas; for the spool: forced to disk), and
 * fails otherwise.
 */
public interface EventSink extends AutoCloseable {
    /** One future per record, in order, so a caller can tell exactly which records were not stored. */
    List<CompletableFuture<Void>> storeEach(List<SinkRecord> records);

    /** Completes when every record is stored; fails when any is not. */
    default CompletableFuture<Void> store(List<SinkRecord> records) {
        return CompletableFuture.allOf(storeEach(records).toArray(CompletableFuture[]::new));
    }

    /** True when the sink can take events now. */
    boolean isHealthy();

    /** What /ready reports about this sink, such as spool depth. */
    default Map<String, Object> state() {
        return Map.of();
    }

    @Override
    void close();
}
