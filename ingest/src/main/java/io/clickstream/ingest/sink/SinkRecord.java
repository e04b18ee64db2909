package io.clickstream.ingest.sink;

import static java.util.Objects.requireNonNull;

/** One message for the broker; the key may be null (dead letters). */
public record SinkRecord(String topic, String key, byte[] value) {
    public SinkRecord {
        requireNonNull(topic, "topic is null");
        requireNonNull(value, "value is null");
    }
}
