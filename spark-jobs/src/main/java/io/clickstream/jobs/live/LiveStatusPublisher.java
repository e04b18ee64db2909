package io.clickstream.jobs.live;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes each live query's health to the live topic, key {@code status/QUERY}: when its last
 * micro-batch ran, how many records it is behind the newest offsets of the topics it reads (per
 * partition and in total), its rates and the newest arrival it has seen. The API derives "is the
 * live job up" from how recent these records are, and shows the lag beside the numbers it serves.
 *
 * <p>Spark calls listeners on its listener bus thread, never on a stream's thread, so a slow
 * broker delays these records, not the aggregates; sends are asynchronous and a failure is logged,
 * never thrown.
 */
final class LiveStatusPublisher extends StreamingQueryListener {
    private static final Logger LOG = LoggerFactory.getLogger(LiveStatusPublisher.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String liveTopic;
    private final KafkaProducer<String, String> producer;
    private final Map<UUID, String> queryNames = new ConcurrentHashMap<>();
    private final Map<UUID, Long> lastLag = new ConcurrentHashMap<>();

    LiveStatusPublisher(String bootstrapServers, String liveTopic) {
        this.liveTopic = requireNonNull(liveTopic, "liveTopic is null");
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, requireNonNull(bootstrapServers, "bootstrapServers is null"));
        properties.put(ProducerConfig.ACKS_CONFIG, "1");
        properties.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        this.producer = new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer());
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        queryNames.put(event.id(), event.name() == null ? event.id().toString() : event.name());
        ObjectNode status = status(event.id(), Instant.now().toEpochMilli());
        status.put("state", "started");
        publish(event.id(), status);
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        StreamingQueryProgress progress = event.progress();
        ObjectNode status = status(progress.id(), Instant.parse(progress.timestamp()).toEpochMilli());
        status.put("state", "running");
        status.put("batch_id", progress.batchId());
        status.put("batch_duration_ms", progress.batchDuration());
        status.put("input_rows", progress.numInputRows());
        status.put("input_rows_per_second", finite(progress.inputRowsPerSecond()));
        status.put("processed_rows_per_second", finite(progress.processedRowsPerSecond()));
        ObjectNode lagByPartition = status.putObject("lag_by_partition");
        long lag = 0;
        for (SourceProgress source : progress.sources()) {
            lag += lag(source.endOffset(), source.latestOffset(), lagByPartition);
        }
        status.put("lag_records", lag);
        lastLag.put(progress.id(), lag);
        String newest = progress.eventTime().get("max");
        if (newest != null) {
            status.put("newest_record_at", Instant.parse(newest).toEpochMilli());
        }
        publish(progress.id(), status);
    }

    /** A query with nothing to read still reports, so the API can tell an idle job from a dead one. */
    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        ObjectNode status = status(event.id(), Instant.parse(event.timestamp()).toEpochMilli());
        status.put("state", "idle");
        status.put("lag_records", lastLag.getOrDefault(event.id(), 0L));
        publish(event.id(), status);
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        ObjectNode status = status(event.id(), Instant.now().toEpochMilli());
        status.put("state", event.exception().isDefined() ? "failed" : "stopped");
        if (event.exception().isDefined()) {
            status.put("error", event.exception().get());
        }
        publish(event.id(), status);
        // The application ends when a query does (see LiveAggregatesJob.main); push the last word out first.
        producer.flush();
    }

    private ObjectNode status(UUID id, long at) {
        ObjectNode status = MAPPER.createObjectNode();
        status.put("kind", "status");
        status.put("query", queryNames.getOrDefault(id, id.toString()));
        status.put("at", at);
        return status;
    }

    private void publish(UUID id, ObjectNode status) {
        String key = "status/" + queryNames.getOrDefault(id, id.toString());
        producer.send(new ProducerRecord<>(liveTopic, key, status.toString()), (metadata, failure) -> {
            if (failure != null) {
                LOG.warn("could not publish the status of live query {}: {}", key, failure.getMessage());
            }
        });
    }

    /**
     * Records between what a batch read up to and the newest offsets Spark saw, per partition
     * (the Kafka source's offsets are JSON: {"topic":{"partition":offset}}), added to {@code into}
     * as "topic-partition" and summed.
     */
    static long lag(String endOffsets, String latestOffsets, ObjectNode into) {
        if (endOffsets == null || latestOffsets == null) {
            return 0;
        }
        try {
            JsonNode end = MAPPER.readTree(endOffsets);
            JsonNode latest = MAPPER.readTree(latestOffsets);
            long total = 0;
            for (Iterator<Map.Entry<String, JsonNode>> topics = latest.fields(); topics.hasNext(); ) {
                Map.Entry<String, JsonNode> topic = topics.next();
                for (Iterator<Map.Entry<String, JsonNode>> partitions = topic.getValue().fields(); partitions.hasNext(); ) {
                    Map.Entry<String, JsonNode> partition = partitions.next();
                    JsonNode read = end.path(topic.getKey()).path(partition.getKey());
                    long behind = read.canConvertToLong() ? Math.max(0, partition.getValue().asLong() - read.asLong()) : partition.getValue().asLong();
                    into.put(topic.getKey() + "-" + partition.getKey(), behind);
                    total += behind;
                }
            }
            return total;
        }
        catch (java.io.IOException e) {
            // Not Kafka offsets (another source): no lag to report, and no reason to fail the listener.
            return 0;
        }
    }

    private static double finite(double value) {
        return Double.isFinite(value) ? value : 0;
    }
}
