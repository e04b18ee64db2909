package io.clickstream.ingest;

import io.clickstream.ingest.sink.Delivery;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.SinkRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A hand-written sink that keeps what it was given, or fails every store when told to. */
final class RecordingSink implements EventSink {
    final List<SinkRecord> records = new CopyOnWriteArrayList<>();
    volatile boolean failing;
    /** Acknowledge this much later, like a slow broker. */
    volatile long delayMillis;
    /** Thrown by every store when set, like a defect in a sink. */
    volatile RuntimeException throwing;

    @Override
    public CompletableFuture<Delivery> deliver(List<SinkRecord> batch) {
        if (throwing != null) {
            throw throwing;
        }
        if (failing) {
            return CompletableFuture.completedFuture(Delivery.allFailed(batch.size(), new IllegalStateException("broker down")));
        }
        java.util.concurrent.Executor later = CompletableFuture.delayedExecutor(delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        return CompletableFuture.supplyAsync(() -> {
            records.addAll(batch);
            return Delivery.allStored(batch.size());
        }, later);
    }

    @Override
    public java.util.Set<java.nio.ByteBuffer> alreadyStored(List<SinkRecord> candidates, long sinceMillis) {
        java.util.Set<java.nio.ByteBuffer> held = new java.util.HashSet<>();
        records.forEach(record -> held.add(java.nio.ByteBuffer.wrap(record.value())));
        java.util.Set<java.nio.ByteBuffer> found = new java.util.HashSet<>();
        candidates.forEach(candidate -> {
            if (held.contains(java.nio.ByteBuffer.wrap(candidate.value()))) {
                found.add(java.nio.ByteBuffer.wrap(candidate.value()));
            }
        });
        return found;
    }

    @Override
    public boolean isHealthy() {
        return !failing;
    }

    @Override
    public void close() {}

    List<SinkRecord> on(String topic) {
        return records.stream().filter(r -> r.topic().equals(topic)).toList();
    }
}
