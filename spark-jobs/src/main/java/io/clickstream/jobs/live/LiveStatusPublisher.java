package io.clickstream.jobs.live;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.jobs.monitoring.ConsumerLag;
import java.time.Instant;
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
        Map<String, Long> byPartition = new java.util.TreeMap<>();
        long lag = 0;
        for (SourceProgress source : progress.sources()) {
            lag += ConsumerLag.lag(source.endOffset(), source.latestOffset(), byPartition);
        }
        ObjectNode lagByPartition = status.putObject("lag_by_partition");
        byPartition.forEach(lagByPartition::put);
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

    private static double finite(double value) {
        return Double.isFinite(value) ? value : 0;
    }
}
