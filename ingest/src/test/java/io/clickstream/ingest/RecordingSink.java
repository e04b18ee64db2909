package io.clickstream.ingest;

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

    @Override
    public List<CompletableFuture<Void>> storeEach(List<SinkRecord> batch) {
        if (failing) {
            return batch.stream().map(r -> CompletableFuture.<Void>failedFuture(new IllegalStateException("broker down"))).toList();
        }
        java.util.concurrent.Executor later = CompletableFuture.delayedExecutor(delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        return batch.stream().map(r -> CompletableFuture.runAsync(() -> records.add(r), later)).toList();
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
