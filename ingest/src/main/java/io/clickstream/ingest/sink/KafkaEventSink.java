package io.clickstream.ingest.sink;

import static java.util.Objects.requireNonNull;

import io.clickstream.ingest.config.IngestConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Publishes with acks=all and idempotence, so an acknowledged event is on every in-sync replica exactly once. */
public final class KafkaEventSink implements EventSink {
    private final KafkaProducer<String, byte[]> producer;
    private final Admin admin;

    public KafkaEventSink(IngestConfig.Kafka config) {
        requireNonNull(config, "config is null");
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, config.lingerMs(),
                ProducerConfig.COMPRESSION_TYPE_CONFIG, config.compression(),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, config.deliveryTimeoutMs(),
                // The producer requires delivery timeout >= linger + request timeout.
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(config.deliveryTimeoutMs() - config.lingerMs(), 15_000),
                // send() may block the request thread while metadata is missing; bound it.
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
                ProducerConfig.CLIENT_ID_CONFIG, "clickstream-ingest"),
                new StringSerializer(), new ByteArraySerializer());
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000));
    }

    @Override
    public List<CompletableFuture<Void>> storeEach(List<SinkRecord> records) {
        List<CompletableFuture<Void>> acknowledgements = new java.util.ArrayList<>(records.size());
        RuntimeException refused = null;
        for (SinkRecord record : records) {
            CompletableFuture<Void> acknowledged = new CompletableFuture<>();
            acknowledgements.add(acknowledged);
            if (refused != null) {
                // send() blocks up to max.block.ms when the broker is gone; once it refused one record
                // of this request, the rest fail at once instead of waiting that long each.
                acknowledged.completeExceptionally(refused);
                continue;
            }
            try {
                producer.send(new ProducerRecord<>(record.topic(), record.key(), record.value()), (metadata, error) -> {
                    if (error == null) {
                        acknowledged.complete(null);
                    }
                    else {
                        acknowledged.completeExceptionally(error);
                    }
                });
                // A metadata timeout is reported through the callback before send() returns.
                if (acknowledged.isCompletedExceptionally()) {
                    refused = new org.apache.kafka.common.errors.TimeoutException("the broker refused an earlier record of this request");
                }
            }
            catch (RuntimeException e) {
                refused = e;
                acknowledged.completeExceptionally(e);
            }
        }
        return acknowledgements;
    }

    @Override
    public boolean isHealthy() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000)).nodes().get(3, TimeUnit.SECONDS);
            return true;
        }
        catch (Exception e) {
            return false;
        }
    }

    @Override
    public void close() {
        // Flushes what is in flight: a graceful stop loses nothing the producer holds.
        producer.close(Duration.ofSeconds(30));
        admin.close(Duration.ofSeconds(5));
    }
}
