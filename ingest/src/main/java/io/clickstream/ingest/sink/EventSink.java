package io.clickstream.ingest.sink;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where accepted and dead-lettered events go. The future completes only once every record is
 * durably stored (for Kafka: acknowledged by all in-sync replicas), and fails otherwise.
 */
public interface EventSink extends AutoCloseable {
    CompletableFuture<Void> store(List<SinkRecord> records);

    /** True when the sink can take events now (for Kafka: the cluster answered recently). */
    boolean isHealthy();

    @Override
    void close();
}
