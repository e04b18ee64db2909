package io.clickstream.jobs.streaming;

import static org.apache.spark.sql.functions.col;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.jobs.lake.Tables;
import io.clickstream.schema.EventContract;
import io.delta.tables.DeltaTable;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka → bronze (raw gzip JSON) + silver (Delta) + quarantine (Delta), one micro-batch at a time.
 *
 * <p>Exactly once across restarts: the checkpoint records which offsets a batch covered, and each
 * write of a batch is idempotent when the batch is replayed after a crash: bronze overwrites the
 * batch's own folder, silver is an insert-only MERGE on event_id, quarantine appends with Delta's
 * txnAppId/txnVersion.
 *
 * <p>How to run: {@code bin/clickstream job streaming} (or spark-submit with
 * {@code --class io.clickstream.jobs.streaming.StreamingJob}). It logs one line per batch.
 */
public final class StreamingJob {
    public static final String QUERY_NAME = "clickstream_lake";
    private static final Logger LOG = LoggerFactory.getLogger(StreamingJob.class);

    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;
    private final SilverTransform transform;

    public StreamingJob(SparkSession spark, JobsConfig config, EventContract contract) {
        this.spark = spark;
        this.config = config;
        this.paths = new LakePaths(config.lakeRoot());
        this.transform = new SilverTransform(contract);
        Tables.createSilver(spark, paths, contract);
        createBronzeRoot();
    }

    /** Bronze's root exists before the first batch, so SQL engines can register it as an (empty) table. */
    private void createBronzeRoot() {
        try {
            org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(paths.bronze());
            root.getFileSystem(spark.sparkContext().hadoopConfiguration()).mkdirs(root);
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create the bronze folder " + paths.bronze(), e);
        }
    }

    /** Reads the configured Kafka topic, one micro-batch per trigger interval. */
    public StreamingQuery start() throws TimeoutException {
        Dataset<Row> records = spark.readStream()
                .format("kafka")
                .option("kafka.bootstrap.servers", config.kafka().bootstrapServers())
                .option("subscribe", config.kafka().topic())
                .option("startingOffsets", config.kafka().startingOffsets())
                .option("maxOffsetsPerTrigger", config.kafka().maxOffsetsPerTrigger())
                .load();
        return start(records, Trigger.ProcessingTime(config.streaming().triggerInterval().toMillis()));
    }

    /** Any streaming source with the Kafka source's columns; tests pass a file source and AvailableNow. */
    public StreamingQuery start(Dataset<Row> kafkaShapedRecords, Trigger trigger) throws TimeoutException {
        return kafkaShapedRecords.writeStream()
                .queryName(QUERY_NAME)
                .option("checkpointLocation", paths.checkpoint(QUERY_NAME))
                .trigger(trigger)
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) this::writeBatch)
                .start();
    }

    /** Writes one micro-batch to every layer; safe to run again for the same batch id. */
    public void writeBatch(Dataset<Row> records, long batchId) {
        // The stream thread runs this with no active session in Spark 4.1; plans built here
        // (persist, collect) need one, or they fail with a NullPointerException in SparkPlan.
        SparkSession.setActiveSession(records.sparkSession());
        records.persist();
        try {
            long bronzeRows = writeBronze(records, batchId);
            Dataset<Row> parsed = transform.parse(records).persist();
            try {
                long silverCandidates = mergeIntoSilver(transform.silverRows(parsed));
                long quarantined = appendQuarantine(transform.quarantineRows(parsed), batchId);
                LOG.info("batch {}: bronze {} records, silver {} candidates, quarantine {}", batchId, bronzeRows, silverCandidates, quarantined);
            }
            finally {
                parsed.unpersist();
            }
        }
        finally {
            records.unpersist();
        }
    }

    private long writeBronze(Dataset<Row> records, long batchId) {
        Dataset<Row> bronze = transform.bronze(records).persist();
        try {
            List<String> folders = bronze.select("bronze_folder").distinct().collectAsList().stream()
                    .map(row -> row.getString(0)).sorted().toList();
            long count = 0;
            for (String folder : folders) {
                Dataset<Row> day = bronze.where(col("bronze_folder").equalTo(folder)).drop("bronze_folder");
                // The folder is the batch's own: a replayed batch replaces it instead of adding a copy.
                day.write().mode(SaveMode.Overwrite).option("compression", "gzip")
                        .json(paths.bronze() + "/" + folder + String.format("/batch-%012d", batchId));
                count += day.count();
            }
            return count;
        }
        finally {
            bronze.unpersist();
        }
    }

    private long mergeIntoSilver(Dataset<Row> events) {
        events = events.persist();
        try {
            List<String> dates = events.select(EventColumns.EVENT_DATE).distinct().collectAsList().stream()
                    .map(row -> "DATE'" + row.getDate(0) + "'").toList();
            if (dates.isEmpty()) {
                return 0;
            }
            // Insert-only on event_id: a client retry or a replayed batch adds nothing twice.
            // The date list lets Delta prune the MERGE to the partitions this batch can touch.
            String condition = "t.event_id = s.event_id AND t.event_date = s.event_date AND t.event_date IN ("
                    + dates.stream().collect(Collectors.joining(", ")) + ")";
            DeltaTable.forPath(spark, paths.silverEvents()).as("t")
                    .merge(events.as("s"), condition)
                    .whenNotMatched().insertAll()
                    .execute();
            return events.count();
        }
        finally {
            events.unpersist();
        }
    }

    private long appendQuarantine(Dataset<Row> rows, long batchId) {
        long count = rows.count();
        if (count > 0) {
            // txnAppId/txnVersion: Delta skips this append if the same batch was already committed.
            rows.write().format("delta").mode(SaveMode.Append)
                    .option("txnAppId", QUERY_NAME + "_quarantine")
                    .option("txnVersion", batchId)
                    .save(paths.silverQuarantine());
        }
        return count;
    }

    public static void main(String[] args) throws TimeoutException, StreamingQueryException {
        JobsConfig config = JobsConfig.load(JobsConfig.configFileArgument(args));
        SparkSession spark = Sparks.session("clickstream-streaming", config.spark());
        StreamingQuery query = new StreamingJob(spark, config, EventContract.current()).start();
        LOG.info("streaming {} from {} into {}", config.kafka().topic(), config.kafka().bootstrapServers(), config.lakeRoot());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                query.stop();
            }
            catch (TimeoutException e) {
                LOG.warn("streaming query did not stop in time; the checkpoint replays the open batch on restart");
            }
        }, "streaming-shutdown"));
        query.awaitTermination();
    }
}
