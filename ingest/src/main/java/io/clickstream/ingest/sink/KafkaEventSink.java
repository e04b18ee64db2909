package io.clickstream.ingest.sink;

import static java.util.Objects.requireNonNull;

import io.clickstream.ingest.config.IngestConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    private final java.util.concurrent.locks.ReentrantLock sendLock = new java.util.concurrent.locks.ReentrantLock();
    /** Runs what follows an acknowledgement (the HTTP answer), so the producer's I/O thread only does I/O. */
    private final ExecutorService acknowledgements;

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
        this.acknowledgements = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), new ThreadFactory() {
            private final AtomicInteger count = new AtomicInteger();

            @Override
            public Thread newThread(Runnable task) {
                Thread thread = new Thread(task, "ingest-ack-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            }
        });
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000));
    }

    @Override
    public CompletableFuture<Delivery> deliver(List<SinkRecord> records) {
        Delivery.Tracker tracker = new Delivery.Tracker(records.size(), acknowledgements);
        // One request's records are appended under one lock: the producer's own per-partition locks are
        // Java monitors that spin when many request threads send at once, which on few cores burns more
        // CPU than the requests' own work; this lock parks waiters instead and is taken once per request.
        sendLock.lock();
        try {
            sendAll(records, tracker);
        }
        finally {
            sendLock.unlock();
        }
        return tracker.result();
    }

    private void sendAll(List<SinkRecord> records, Delivery.Tracker tracker) {
        RuntimeException refused = null;
        for (int i = 0; i < records.size(); i++) {
            if (refused != null) {
                // send() blocks up to max.block.ms when the broker is gone; once it refused one record
                // of this request, the rest fail at once instead of waiting that long each.
                tracker.failed(i, refused);
                continue;
            }
            SinkRecord record = records.get(i);
            int index = i;
            boolean[] failedAtOnce = {false};
            try {
                producer.send(new ProducerRecord<>(record.topic(), record.key(), record.value()), (metadata, error) -> {
                    if (error == null) {
                        tracker.stored();
                    }
                    else {
                        failedAtOnce[0] = true;
                        tracker.failed(index, error);
                    }
                });
                // A metadata timeout is reported through the callback before send() returns.
                if (failedAtOnce[0]) {
                    refused = new org.apache.kafka.common.errors.TimeoutException("the broker refused an earlier record of this request");
                }
            }
            catch (RuntimeException e) {
                refused = e;
                tracker.failed(i, e);
            }
        }
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
        acknowledgements.shutdown();
        try {
            acknowledgements.awaitTermination(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
