package io.clickstream.jobs.live;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.KafkaTopics;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.QuerySupervisor;
import io.clickstream.jobs.lake.Sparks;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live aggregates over Kafka, for the real-time API and the live dashboard: four streaming queries
 * in one Spark application, each publishing to the live topic (see {@link LiveAggregates} for the
 * records), and a listener that publishes each query's progress and consumer lag there too.
 *
 * <p>Why a compacted topic: every ingest instance reads it from a few minutes back and holds the
 * same view, so the numbers agree however many instances serve the API; the aggregates are
 * upserts by key, so compaction keeps the topic small and a restart that writes a window twice
 * changes nothing. The aggregates carry state in Spark's checkpoint (under the lake's
 * {@code _checkpoints/live_*}), so a restart continues its windows.
 *
 * <p>How to run: {@code bin/clickstream job live} (or spark-submit with
 * {@code --class io.clickstream.jobs.live.LiveAggregatesJob}). It logs
 * {@code live aggregates from lms_clickstream into lms_clickstream_live} once its queries run.
 */
public final class LiveAggregatesJob {
    private static final Logger LOG = LoggerFactory.getLogger(LiveAggregatesJob.class);
    /** How long the live topic keeps records: far more than the five minutes any reader looks back. */
    static final long RETENTION_MILLIS = 3_600_000;

    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;
    private final LiveAggregates aggregates;

    public LiveAggregatesJob(SparkSession spark, JobsConfig config) {
        this.spark = spark;
        this.config = config;
        this.paths = new LakePaths(config.lakeRoot());
        this.aggregates = new LiveAggregates(config.kafka().topic(), config.live().allowedLateness());
    }

    /** Creates the live topic when it is missing (compacted, an hour of retention) and starts every query. */
    public List<StreamingQuery> start() throws TimeoutException {
        return start(new QuerySupervisor(spark));
    }

    /** Starts every query through {@code supervisor}, which can start one again. */
    List<StreamingQuery> start(QuerySupervisor supervisor) throws TimeoutException {
        createLiveTopic();
        // An idle query reports once a second (default: every 10 s), so "is the live job up" needs no data to answer.
        spark.conf().set("spark.sql.streaming.noDataProgressEventInterval", "1000");
        spark.streams().addListener(new LiveStatusPublisher(config.kafka().bootstrapServers(), config.live().topic()));
        Trigger trigger = Trigger.ProcessingTime(config.live().triggerInterval().toMillis());
        try {
            supervisor.start("live_presence", () -> toKafka("live_presence", aggregates.presence(aggregates.events(read(config.kafka().topic()))),
                    trigger));
            supervisor.start("live_traffic", () -> toKafka("live_traffic", aggregates.traffic(aggregates.events(read(config.kafka().topic() + ","
                    + config.live().deadLetterTopic()))), trigger));
            supervisor.start("live_pages", () -> toKafka("live_pages", aggregates.pages(aggregates.events(read(config.kafka().topic()))), trigger));
            supervisor.start("live_actions", () -> aggregates.events(read(config.kafka().topic())).writeStream()
                    .queryName("live_actions")
                    .option("checkpointLocation", paths.checkpoint("live_actions"))
                    .trigger(trigger)
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) this::publishRecentActions)
                    .start());
        }
        catch (TimeoutException | RuntimeException e) {
            supervisor.stopAll();
            throw e;
        }
        return supervisor.queries();
    }

    private Dataset<Row> read(String topics) {
        return spark.readStream()
                .format("kafka")
                .option("kafka.bootstrap.servers", config.kafka().bootstrapServers())
                .option("subscribe", topics)
                .option("startingOffsets", config.live().startingOffsets())
                .option("maxOffsetsPerTrigger", config.kafka().maxOffsetsPerTrigger())
                // A topic trimmed by retention while the job was down is a gap in a live view, not a reason to stop it.
                .option("failOnDataLoss", "false")
                .load();
    }

    /** Update mode: each trigger publishes the windows it changed, with their whole counts so far. */
    private StreamingQuery toKafka(String name, Dataset<Row> keyedRecords, Trigger trigger) throws TimeoutException {
        return keyedRecords.writeStream()
                .queryName(name)
                .outputMode("update")
                .format("kafka")
                .option("kafka.bootstrap.servers", config.kafka().bootstrapServers())
                .option("topic", config.live().topic())
                .option("checkpointLocation", paths.checkpoint(name))
                .trigger(trigger)
                .start();
    }

    private void publishRecentActions(Dataset<Row> batchEvents, long batchId) {
        // The stream thread has no active session in Spark 4.1; the batch plan needs one.
        SparkSession.setActiveSession(batchEvents.sparkSession());
        aggregates.recentActions(batchEvents, config.live().recentActionsPerBatch()).write()
                .format("kafka")
                .option("kafka.bootstrap.servers", config.kafka().bootstrapServers())
                .option("topic", config.live().topic())
                .save();
    }

    private void createLiveTopic() {
        // One partition: a few hundred small upserts a second, read whole by every ingest instance.
        KafkaTopics.ensure(config.kafka().bootstrapServers(), config.live().topic(), 1, null, Map.of(
                "cleanup.policy", "compact,delete",
                "retention.ms", String.valueOf(RETENTION_MILLIS),
                "segment.ms", "600000"));
    }

    public static void main(String[] args) throws TimeoutException, StreamingQueryException {
        JobsConfig config = JobsConfig.load(JobsConfig.configFileArgument(args));
        SparkSession spark = Sparks.session("clickstream-live", config.spark());
        QuerySupervisor supervisor = new QuerySupervisor(spark);
        new LiveAggregatesJob(spark, config).start(supervisor);
        LOG.info("live aggregates from {} into {}", config.kafka().topic(), config.live().topic());
        Runtime.getRuntime().addShutdownHook(new Thread(supervisor::stopAll, "live-shutdown"));
        // Any query that fails (but for the known restart bug) ends the job, and its exit code tells the supervisor,
        // instead of serving half a view.
        supervisor.awaitTermination();
    }
}
