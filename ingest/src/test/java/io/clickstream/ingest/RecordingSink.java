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

    @Override
    public CompletableFuture<Void> store(List<SinkRecord> batch) {
        if (failing) {
            return CompletableFuture.failedFuture(new IllegalStateException("broker down"));
        }
        records.addAll(batch);
        return CompletableFuture.completedFuture(null);
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
