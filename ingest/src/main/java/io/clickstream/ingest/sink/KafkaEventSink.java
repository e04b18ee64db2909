package io.clickstream.ingest.sink;

import static java.util.Objects.requireNonNull;

import io.clickstream.ingest.config.IngestConfig;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Publishes with acks=all and idempotence, so an acknowledged event is on every in-sync replica exactly once. */
public final class KafkaEventSink implements EventSink {
    /** Record timestamps may come from a broker's clock (LogAppendTime); the topic is read from this much earlier. */
    private static final Duration CLOCK_MARGIN = Duration.ofMinutes(1);
    /** Reading back what was written since a delivery without outcome must finish within this. */
    private static final Duration READ_BACK_TIMEOUT = Duration.ofMinutes(2);

    private final IngestConfig.Kafka config;
    private final KafkaProducer<String, byte[]> producer;
    private final Admin admin;
    private final java.util.concurrent.locks.ReentrantLock sendLock = new java.util.concurrent.locks.ReentrantLock();
    /**
     * Runs what follows a failed send (spooling to disk may block), so the producer's I/O thread never waits on it;
     * what follows a stored request is short and runs on the I/O thread (see {@link Delivery.Tracker}).
     */
    private final ExecutorService acknowledgements;

    /** Ingest's producer: every record acknowledged by all in-sync replicas, idempotent, batched as configured. */
    public static Map<String, Object> producerSettings(IngestConfig.Kafka config, String clientId) {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, config.lingerMs(),
                ProducerConfig.COMPRESSION_TYPE_CONFIG, config.compression(),
                ProducerConfig.BATCH_SIZE_CONFIG, config.batchBytes(),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, config.deliveryTimeoutMs(),
                // The producer requires delivery timeout >= linger + request timeout.
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(config.deliveryTimeoutMs() - config.lingerMs(), 15_000),
                // send() may block the request thread while metadata is missing; bound it.
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
                ProducerConfig.CLIENT_ID_CONFIG, clientId);
    }

    public KafkaEventSink(IngestConfig.Kafka config) {
        this.config = requireNonNull(config, "config is null");
        this.producer = new KafkaProducer<>(producerSettings(config, "clickstream-ingest"), new StringSerializer(), new ByteArraySerializer());
        this.acknowledgements = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), new ThreadFactory() {
            private final AtomicInteger count = new AtomicInteger();

            @Override
            public Thread newThread(Runnable task) {
                Thread thread = new Thread(task, "ingest-send-failed-" + count.incrementAndGet());
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

    /**
     * Reads every partition of the candidates' topics from {@code sinceMillis} (less a clock margin)
     * to its current end and returns the candidate values found there.
     */
    @Override
    public Set<ByteBuffer> alreadyStored(List<SinkRecord> candidates, long sinceMillis) {
        Map<String, Set<ByteBuffer>> wantedByTopic = new HashMap<>();
        for (SinkRecord candidate : candidates) {
            wantedByTopic.computeIfAbsent(candidate.topic(), topic -> new HashSet<>()).add(ByteBuffer.wrap(candidate.value()));
        }
        Set<ByteBuffer> found = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.CLIENT_ID_CONFIG, "clickstream-ingest-read-back"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + READ_BACK_TIMEOUT.toNanos();
            for (Map.Entry<String, Set<ByteBuffer>> topic : wantedByTopic.entrySet()) {
                Map<TopicPartition, Long> since = new HashMap<>();
                for (PartitionInfo partition : consumer.partitionsFor(topic.getKey(), READ_BACK_TIMEOUT)) {
                    since.put(new TopicPartition(topic.getKey(), partition.partition()), sinceMillis - CLOCK_MARGIN.toMillis());
                }
                Map<TopicPartition, Long> ends = consumer.endOffsets(since.keySet(), READ_BACK_TIMEOUT);
                Map<TopicPartition, Long> starts = new HashMap<>();
                consumer.offsetsForTimes(since, READ_BACK_TIMEOUT).forEach((partition, start) -> {
                    if (start != null && start.offset() < ends.get(partition)) {   // null: nothing written since
                        starts.put(partition, start.offset());
                    }
                });
                consumer.assign(starts.keySet());
                starts.forEach(consumer::seek);
                while (starts.keySet().stream().anyMatch(partition -> consumer.position(partition) < ends.get(partition))) {
                    if (System.nanoTime() > deadline) {
                        throw new org.apache.kafka.common.errors.TimeoutException("reading back " + topic.getKey() + " took longer than "
                                + READ_BACK_TIMEOUT);
                    }
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        ByteBuffer value = ByteBuffer.wrap(record.value());
                        if (record.value() != null && record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))
                                && topic.getValue().contains(value)) {
                            found.add(value);
                        }
                    }
                }
            }
        }
        return found;
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
