package io.clickstream.ingest.live;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link LiveState} current by reading the live topic: every ingest instance reads all of
 * it (no consumer group, nothing committed), starting a few minutes back, so every instance serves
 * the same numbers however many run behind a load balancer.
 */
public final class LiveView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveView.class);
    private static final Duration TOPIC_RETRY = Duration.ofSeconds(2);

    private final LiveState state;
    private final String topic;
    private final ObjectMapper mapper;
    private final LongSupplier clock;
    private final KafkaConsumer<String, String> consumer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    public LiveView(LiveState state, String bootstrapServers, String topic, ObjectMapper mapper, LongSupplier clock) {
        this.state = requireNonNull(state, "state is null");
        this.topic = requireNonNull(topic, "topic is null");
        this.mapper = requireNonNull(mapper, "mapper is null");
        this.clock = requireNonNull(clock, "clock is null");
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, requireNonNull(bootstrapServers, "bootstrapServers is null"));
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // The live job creates the topic with its compaction settings; a reader must not create it with the broker's defaults.
        properties.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        this.consumer = new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer());
        this.thread = new Thread(this::run, "live-view");
        this.thread.setDaemon(true);
    }

    public LiveView start() {
        thread.start();
        return this;
    }

    public LiveState state() {
        return state;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = awaitPartitions();
            if (partitions == null) {
                return;
            }
            consumer.assign(partitions);
            seekToLookBack(partitions);
            LOG.info("live view reading {} from {} back", topic, state.lookBack());
            long lastPrune = clock.getAsLong();
            while (running.get()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record);
                }
                long now = clock.getAsLong();
                if (now - lastPrune > 10_000) {
                    state.prune(now);
                    lastPrune = now;
                }
            }
        }
        catch (WakeupException e) {
            // close() woke the consumer up: the view is shutting down.
        }
        catch (RuntimeException e) {
            LOG.error("live view stopped reading {}: {}", topic, e.toString());
        }
        finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** The live job creates the topic when it first starts; until then the view waits for it. */
    private List<TopicPartition> awaitPartitions() {
        boolean logged = false;
        while (running.get()) {
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(info -> new TopicPartition(info.topic(), info.partition())).toList();
                }
            }
            catch (org.apache.kafka.common.errors.TimeoutException e) {
                // The broker is not answering yet: the same wait.
            }
            if (!logged) {
                LOG.info("live view waiting for topic {} (start the live job: bin/clickstream job live)", topic);
                logged = true;
            }
            try {
                Thread.sleep(TOPIC_RETRY.toMillis());
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private void seekToLookBack(List<TopicPartition> partitions) {
        long since = clock.getAsLong() - state.lookBack().toMillis();
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(partition -> times.put(partition, since));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(times);
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp offset = offsets.get(partition);
            if (offset == null) {
                consumer.seekToEnd(List.of(partition));
            }
            else {
                consumer.seek(partition, offset.offset());
            }
        }
    }

    private void apply(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        try {
            JsonNode value = mapper.readTree(record.value());
            if (value != null && value.isObject()) {
                state.apply(value);
            }
        }
        catch (IOException e) {
            LOG.warn("live view skipped a record of {} at offset {} that is not JSON", topic, record.offset());
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(5_000);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
