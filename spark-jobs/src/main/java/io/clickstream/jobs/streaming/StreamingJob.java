package io.clickstream.jobs.streaming;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.DeltaConflicts;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.jobs.lake.KafkaTopics;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.QuerySupervisor;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.jobs.lake.Tables;
import io.clickstream.jobs.monitoring.PipelineMonitor;
import io.clickstream.jobs.privacy.EraseJob;
import io.clickstream.schema.EventContract;
import io.delta.tables.DeltaTable;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka → bronze (raw gzip JSON) + silver (Delta) + quarantine (Delta), one micro-batch at a time.
 *
 * <p>Exactly once in silver, across restarts and however late a copy arrives:
 * <ul>
 *   <li>Per student, Spark's state store remembers each event_id written within
 *       {@code clickstream.streaming.deduplication-horizon} ({@link StudentEventFlags}); copies are
 *       flagged and left out. A batch replayed after a crash sees the state as it was before the
 *       batch, so it flags the same copies again.</li>
 *   <li>Events young enough that an earlier copy would still be in the state are appended, each
 *       commit tagged with the query id and batch id: a replayed batch's append is skipped when
 *       silver's history shows the batch in (see {@link #appendSilver}). Older events (late ones, a
 *       copy after the horizon, everything after a lost checkpoint) go through an insert-only MERGE
 *       on event_id into their day.</li>
 *   <li>Bronze overwrites the batch's own folder; quarantine appends with txnAppId/txnVersion.</li>
 * </ul>
 * Nothing is dropped by a watermark: the job has none. Late events are written to their own day,
 * flagged {@code is_late} and counted.
 *
 * <p>How to run: {@code bin/clickstream job streaming} (or spark-submit with
 * {@code --class io.clickstream.jobs.streaming.StreamingJob}). It logs one line per batch.
 */
public final class StreamingJob {
    public static final String QUERY_NAME = "clickstream_lake";
    /**
     * In the checkpoint folder: the newest write into silver (epoch ms) that this checkpoint's state does not know
     * about, taken when the checkpoint was created (0 when silver was empty then).
     */
    static final String STATE_SINCE_FILE = "_state_since";
    /** In the checkpoint folder: the layout of the checkpoint's state; a checkpoint without it (or with another) is retired. */
    static final String STATE_FORMAT_FILE = "_state_format";
    /**
     * The state's layout: {@link StudentEventFlags#flagStream}, a {@link StudentState} per student, stored as the bytes
     * of {@link StudentState#toBytes} (event id fingerprints sorted, recent event times).
     */
    static final String STATE_FORMAT = "flatMapGroupsWithState/StudentState-bytes/layout-1";
    private static final Logger LOG = LoggerFactory.getLogger(StreamingJob.class);

    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;
    private final SilverTransform transform;
    private final StudentEventFlags flags;
    /** Erase requests for silver, applied between this job's writes (see {@link EraseJob}). */
    private final EraseJob erasures;
    /** When {@link #erasures} last looked for requests (epoch ms). */
    private volatile long erasuresCheckedAt;
    /** Erased students and the time until which their records are erased (see {@link #erasedStudents}); null until read. */
    private volatile Map<String, Long> erasedStudents;
    private volatile long erasedStudentsReadAt;
    /** Set when this job applied erase requests: the next batch reads the notes again. */
    private volatile boolean erasedStudentsStale;
    /** Column of a batch's records: a record of an erased student, stamped before the erasure, left out of every layer. */
    private static final String ERASED = "erased";
    /** Column of a batch's events: stamped late enough that the state has seen any earlier copy (see writeFlagged). */
    private static final String YOUNG = "young";
    /** The writer of batches written outside a stream ({@link #writeBatch}). */
    private static final String DIRECT = "direct";
    /** Appends of up to this many rows are written by one task (see {@link #appendSilver}). */
    static final long ONE_WRITER_ROWS = 20_000;
    /** In a silver commit's userMetadata, between the writer's tag and the batch id. */
    private static final String BATCH_TAG = " batch ";
    /**
     * True from the moment this process created the checkpoint until its first append: the new query's batch 0 cannot
     * have been written before (its query id did not exist).
     */
    private final java.util.concurrent.atomic.AtomicBoolean newCheckpoint = new java.util.concurrent.atomic.AtomicBoolean();
    /** Per writer tag: the newest batch this process appended to silver; absent while an append is in doubt. */
    private final Map<String, Long> appendedBatches = new java.util.concurrent.ConcurrentHashMap<>();
    /** Tries of one MERGE into silver when concurrent commits conflict with it. */
    private static final int MERGE_ATTEMPTS = 5;
    /**
     * How far apart two copies' timestamps may lie and still be found by the MERGE across midnight: ingest moves a
     * Segment message's timestamp by its clock correction (received − sentAt), which differs between two sends of
     * one message by the difference in their transit times.
     */
    static final Duration COPY_TIME_SPREAD = Duration.ofMinutes(10);
    private final java.util.concurrent.atomic.AtomicLong mergeRetries = new java.util.concurrent.atomic.AtomicLong();
    /** What recent batches wrote, by batch id, for the pipeline monitor (which hears of a batch after it ends). */
    private final Map<Long, BatchResult> results = new java.util.concurrent.ConcurrentHashMap<>();

    /** What one micro-batch wrote to each layer. */
    public record BatchResult(long batchId, long bronze, long appended, long merged, long duplicates, long quarantined, long late, long bots,
            long erased) {}

    public StreamingJob(SparkSession spark, JobsConfig config, EventContract contract) {
        this.spark = spark;
        this.config = config;
        this.paths = new LakePaths(config.lakeRoot());
        this.transform = new SilverTransform(contract);
        this.flags = StudentEventFlags.of(config.streaming());
        this.erasures = new EraseJob(spark, config);
        Tables.createSilver(spark, config, contract);
        createBronzeRoot();
    }

    private boolean publishesEnriched() {
        return !config.kafka().enrichedTopic().isBlank();
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
        if (publishesEnriched()) {
            KafkaTopics.ensure(config.kafka().bootstrapServers(), config.kafka().enrichedTopic(), 0, config.kafka().topic(), Map.of());
        }
        String continueFrom = retireOutdatedCheckpoint();
        Dataset<Row> records = spark.readStream()
                .format("kafka")
                .option("kafka.bootstrap.servers", config.kafka().bootstrapServers())
                .option("subscribe", config.kafka().topic())
                .option("startingOffsets", continueFrom != null ? continueFrom : config.kafka().startingOffsets())
                .option("maxOffsetsPerTrigger", config.kafka().maxOffsetsPerTrigger())
                .load();
        return start(records, Trigger.ProcessingTime(config.streaming().triggerInterval().toMillis()));
    }

    /** Any streaming source with the Kafka source's columns; tests pass a file source and AvailableNow. */
    public StreamingQuery start(Dataset<Row> kafkaShapedRecords, Trigger trigger) throws TimeoutException {
        long stateSince = stateSince();
        // The query takes the session's settings when it starts, and a new checkpoint keeps its shuffle partitions (the
        // state store's) for good; the session itself (shared with other work in tests and tools) is left as it was.
        String partitions = spark.conf().get("spark.sql.shuffle.partitions");
        spark.conf().set("spark.sql.shuffle.partitions", config.streaming().statePartitions());
        try {
            // Only the record and the fields the rules need cross the shuffle to the state store; the rest is parsed after it.
            return flags.flagStream(transform.keys(kafkaShapedRecords)).writeStream()
                    .queryName(QUERY_NAME)
                    .option("checkpointLocation", paths.checkpoint(QUERY_NAME))
                    .trigger(trigger)
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (flagged, batchId) -> writeFlagged(transform.typed(flagged), batchId,
                            stateSince))
                    .start();
        }
        finally {
            spark.conf().set("spark.sql.shuffle.partitions", partitions);
        }
    }

    /**
     * Writes one batch of Kafka-shaped records to every layer, as a stream without state would (every valid event
     * is checked against silver); safe to run again for the same batch id. For tests and replays.
     */
    public BatchResult writeBatch(Dataset<Row> records, long batchId) {
        SparkSession.setActiveSession(records.sparkSession());
        return writeFlagged(transform.typed(flags.flagBatch(transform.keys(records))), batchId, Long.MAX_VALUE);
    }

    /**
     * Writes one flagged micro-batch to every layer; safe to run again for the same batch id. Valid events stamped
     * at or after {@code stateSince} plus the horizon's safe margin are appended; the rest are merged.
     */
    BatchResult writeFlagged(Dataset<Row> flagged, long batchId, long stateSince) {
        // The stream thread runs this with no active session in Spark 4.1; plans built here
        // (persist, collect) need one, or they fail with a NullPointerException in SparkPlan.
        SparkSession.setActiveSession(flagged.sparkSession());
        long batchStarted = System.currentTimeMillis();
        String writer = writerId(flagged.sparkSession());
        StepTimer timer = new StepTimer();
        JobsConfig.Streaming streaming = config.streaming();
        long skew = streaming.maxClockSkew().toMillis();
        // An earlier copy of an event stamped at t was stamped no earlier than t - COPY_TIME_SPREAD and reached ingest
        // no earlier than its stamp - skew; if that is after the state began and within the horizon, the state saw it,
        // so the event needs no look into silver.
        long remembersFrom = Math.max(batchStarted - streaming.deduplicationHorizon().toMillis(), stateSince);
        Column young = remembersFrom >= batchStarted ? lit(false)
                : col(EventColumns.EVENT_TIMESTAMP).between(new Timestamp(remembersFrom + COPY_TIME_SPREAD.toMillis() + skew),
                        new Timestamp(batchStarted + skew));
        // Enriched before the first pass, so the batch's counts (late events and bots included) come from it and silver's
        // rows are a projection of the one cached batch.
        Dataset<Row> cached = markErased(transform.enrich(flagged, streaming.lateAfter()).withColumn(YOUNG, young), batchStarted).persist();
        try {
            // Every count the writes depend on, and bronze's day folders, in one pass (each Spark job costs a fixed overhead).
            Column kept = not(col(ERASED));
            Column valid = col(SilverTransform.REASON).isNull();
            Column fresh = SilverTransform.FRESH.and(kept);
            Row records = cached.agg(sum(when(kept, 1).otherwise(0)), sum(when(kept.and(not(valid)), 1).otherwise(0)),
                    sum(when(kept.and(valid).and(col(StudentEventFlags.DUPLICATE)), 1).otherwise(0)), sum(when(fresh.and(col(YOUNG)), 1).otherwise(0)),
                    sum(when(fresh.and(not(col(YOUNG))), 1).otherwise(0)), collect_set(when(kept, date_format(col("kafka_timestamp"), "yyyy/MM/dd"))),
                    sum(when(fresh.and(col(EventColumns.IS_LATE)), 1).otherwise(0)), sum(when(fresh.and(col(EventColumns.IS_BOT)), 1).otherwise(0)),
                    sum(when(col(ERASED), 1).otherwise(0))).first();
            // Every layer is written from the records kept: an erased student's replayed records reach none of them.
            flagged = cached.where(kept).drop(ERASED);
            long bronzeRows = records.isNullAt(0) ? 0 : records.getLong(0);
            long erasedRows = records.isNullAt(8) ? 0 : records.getLong(8);
            long quarantined = records.isNullAt(1) ? 0 : records.getLong(1);
            long duplicates = records.isNullAt(2) ? 0 : records.getLong(2);
            long youngRows = records.isNullAt(3) ? 0 : records.getLong(3);
            long merged = records.isNullAt(4) ? 0 : records.getLong(4);
            timer.step("state");
            // Silver first, then the enriched topic: they are what freshness is measured by. Bronze and quarantine follow in
            // the same batch; each write is idempotent for the batch id, so a crash anywhere replays the batch safely.
            boolean youngMerged = false;
            if (youngRows > 0) {
                youngMerged = appendSilver(transform.silverRows(flagged.where(col(YOUNG))), youngRows, writer, batchId);
            }
            else {
                // Nothing to append, but the batch ran here: the next one is known new without a look into history.
                appendedBatches.put(silverTag(writer), batchId);
            }
            timer.step("append");
            if (merged > 0) {
                mergeIntoSilver(transform.silverRows(flagged.where(not(col(YOUNG)))));
                timer.step("merge");
            }
            if (youngRows + merged > 0) {
                publishEnriched(transform.silverRows(flagged));
            }
            timer.step("publish");
            writeBronze(flagged, records.getList(5), writer, batchId);
            timer.step("bronze");
            if (quarantined > 0) {
                appendQuarantine(transform.quarantineRows(flagged), writer, batchId);
                timer.step("quarantine");
            }
            // Young rows that went through the MERGE (the first batch of a writer silver's history cannot vouch for) count as checked.
            long appended = youngMerged ? 0 : youngRows;
            merged += youngMerged ? youngRows : 0;
            BatchResult result = new BatchResult(batchId, bronzeRows, appended, merged, duplicates, quarantined,
                    records.isNullAt(6) ? 0 : records.getLong(6), records.isNullAt(7) ? 0 : records.getLong(7), erasedRows);
            // Only a streaming query (not a replay or a test's batch) takes erase requests: it is the writer they wait for.
            if (!writer.equals(DIRECT) && batchStarted - erasuresCheckedAt >= EraseJob.REQUEST_CHECK_INTERVAL.toMillis()) {
                erasuresCheckedAt = batchStarted;
                if (erasures.applyRequests() > 0) {
                    // The next batch (or this one, run again after a crash) leaves the students just erased out.
                    erasedStudentsStale = true;
                    timer.step("erase");
                }
            }
            results.keySet().removeIf(id -> id < batchId - 100);
            results.put(batchId, result);
            LOG.info("batch {}: bronze {}, silver {} appended + {} checked against silver, {} copies left out, quarantine {}, late {},"
                    + " bots {}, {} records of erased students left out ({})", batchId, result.bronze(), appended, merged, duplicates, quarantined,
                    result.late(), result.bots(), erasedRows, timer);
            return result;
        }
        finally {
            cached.unpersist();
        }
    }

    /**
     * Adds {@value #ERASED}: true for a record of an erased student (by its key, the pseudonym ingest keys records with,
     * or its parsed student id) that Kafka stamped before the erasure. Such a record reaches the writer again when a
     * batch runs again after a crash, when the topic is read again from an earlier offset, or in a replay; it is left out
     * of every layer, so an erasure is never undone.
     */
    private Dataset<Row> markErased(Dataset<Row> records, long now) {
        Map<String, Long> erased = erasedStudents(now);
        if (erased.isEmpty()) {
            return records.withColumn(ERASED, lit(false));
        }
        List<Row> ledger = erased.entrySet().stream().map(entry -> RowFactory.create(entry.getKey(), new Timestamp(entry.getValue()))).toList();
        Dataset<Row> erasures = records.sparkSession().createDataFrame(ledger, new StructType()
                .add("erased_student", DataTypes.StringType, false)
                .add("erased_until", DataTypes.TimestampType, false));
        Column student = coalesce(col("student_id"), col("kafka_key"));
        return records.join(broadcast(erasures), student.equalTo(erasures.col("erased_student")), "left_outer")
                .withColumn(ERASED, coalesce(col("kafka_timestamp").leq(col("erased_until")), lit(false)))
                .drop("erased_student", "erased_until");
    }

    /**
     * The erased students ({@link EraseJob#erasedStudents}), read again every {@link EraseJob#REQUEST_CHECK_INTERVAL} and
     * after this job applied erase requests. A
     * batch fails rather than write without them when they were never read; a later failure to read keeps the last read.
     */
    private Map<String, Long> erasedStudents(long now) {
        Map<String, Long> known = erasedStudents;
        if (known == null || erasedStudentsStale || now - erasedStudentsReadAt >= EraseJob.REQUEST_CHECK_INTERVAL.toMillis()) {
            try {
                known = erasures.erasedStudents();
                erasedStudents = known;
                erasedStudentsReadAt = now;
                erasedStudentsStale = false;
            }
            catch (RuntimeException e) {
                if (known == null) {
                    throw e;
                }
                LOG.warn("cannot read the erased students, using the list read {} s ago: {}", (now - erasedStudentsReadAt) / 1000, e.getMessage());
            }
        }
        return known;
    }

    /** Seconds per step of a batch, for the batch's log line: where the time goes when batches fall behind. */
    private static final class StepTimer {
        private final StringBuilder steps = new StringBuilder();
        private final long started = System.nanoTime();
        private long last = started;

        void step(String name) {
            long now = System.nanoTime();
            steps.append(steps.isEmpty() ? "" : ", ").append(name).append(String.format(" %.1f", (now - last) / 1e9));
            last = now;
        }

        @Override
        public String toString() {
            return String.format("%.1f s: ", (System.nanoTime() - started) / 1e9) + steps;
        }
    }

    /** What batch {@code batchId} wrote, if it ran in this process recently; null otherwise. */
    public BatchResult result(long batchId) {
        return results.get(batchId);
    }

    /**
     * Identifies this checkpoint's writes: the streaming query's id, which a restart keeps and a new checkpoint
     * changes, so a fresh checkpoint's batch 0 is never mistaken for an old batch 0 (by Delta or in bronze).
     */
    private static String writerId(SparkSession session) {
        String queryId = session.sparkContext().getLocalProperty("sql.streaming.queryId");
        return queryId == null ? DIRECT : queryId;
    }

    /**
     * Since when the state knows everything written to silver: read from the checkpoint, written on its first start as
     * the time of silver's newest commit (0 for an empty silver). A copy of an event written before then reached
     * ingest before then, so its timestamp is at most that time plus the clock skew (and a copy's, COPY_TIME_SPREAD more).
     */
    private long stateSince() {
        retireOutdatedCheckpoint();
        try {
            org.apache.hadoop.fs.Path checkpoint = new org.apache.hadoop.fs.Path(paths.checkpoint(QUERY_NAME));
            org.apache.hadoop.fs.FileSystem fs = checkpoint.getFileSystem(spark.sparkContext().hadoopConfiguration());
            org.apache.hadoop.fs.Path marker = new org.apache.hadoop.fs.Path(checkpoint, STATE_SINCE_FILE);
            if (fs.exists(marker)) {
                return Long.parseLong(read(fs, marker).trim());
            }
            long unknownUntil = spark.read().format("delta").load(paths.silverEvents()).isEmpty() ? 0
                    : DeltaTable.forPath(spark, paths.silverEvents()).history(1).select("timestamp").first().getTimestamp(0).getTime();
            write(fs, new org.apache.hadoop.fs.Path(checkpoint, STATE_FORMAT_FILE), STATE_FORMAT);
            write(fs, marker, Long.toString(unknownUntil));
            newCheckpoint.set(true);
            return unknownUntil;
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read or write the checkpoint of " + QUERY_NAME, e);
        }
    }

    /**
     * Moves aside a checkpoint whose state this version of the job cannot continue (one from before the state store, or
     * with another state layout) and returns the Kafka offsets its last finished batch ended at (the source's JSON), so
     * the new checkpoint starts there; null when there was nothing to retire or no finished batch. The new state starts
     * empty, so events stamped before the moment it starts are checked against silver (see {@link #stateSince}).
     */
    String retireOutdatedCheckpoint() {
        try {
            org.apache.hadoop.fs.Path checkpoint = new org.apache.hadoop.fs.Path(paths.checkpoint(QUERY_NAME));
            org.apache.hadoop.fs.FileSystem fs = checkpoint.getFileSystem(spark.sparkContext().hadoopConfiguration());
            org.apache.hadoop.fs.Path format = new org.apache.hadoop.fs.Path(checkpoint, STATE_FORMAT_FILE);
            if (!fs.exists(new org.apache.hadoop.fs.Path(checkpoint, "offsets")) || (fs.exists(format) && STATE_FORMAT.equals(read(fs, format).trim()))) {
                return null;
            }
            String continueFrom = lastFinishedOffsets(fs, checkpoint);
            org.apache.hadoop.fs.Path aside = new org.apache.hadoop.fs.Path(checkpoint.getParent(), QUERY_NAME + ".retired-" + System.currentTimeMillis());
            fs.rename(checkpoint, aside);
            LOG.warn("the checkpoint {} holds state this version cannot continue; moved to {}. The stream goes on from {} with new state and"
                    + " checks events against silver until its state covers the horizon", checkpoint, aside,
                    continueFrom == null ? "the configured starting offsets" : continueFrom);
            return continueFrom;
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read or move the checkpoint of " + QUERY_NAME, e);
        }
    }

    /** The source offsets (JSON) at which the checkpoint's newest committed batch ended, or null. */
    private static String lastFinishedOffsets(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path checkpoint) throws java.io.IOException {
        org.apache.hadoop.fs.Path commits = new org.apache.hadoop.fs.Path(checkpoint, "commits");
        if (!fs.exists(commits)) {
            return null;
        }
        long last = java.util.Arrays.stream(fs.listStatus(commits)).map(status -> status.getPath().getName()).filter(name -> name.matches("\\d+"))
                .mapToLong(Long::parseLong).max().orElse(-1);
        org.apache.hadoop.fs.Path offsets = new org.apache.hadoop.fs.Path(checkpoint, "offsets/" + last);
        if (last < 0 || !fs.exists(offsets)) {
            return null;
        }
        // v1, the batch's metadata, then one line of offsets per source (this query has one: the Kafka topic).
        List<String> lines = read(fs, offsets).lines().toList();
        String source = lines.get(lines.size() - 1).trim();
        return source.startsWith("{") && lines.size() >= 3 ? source : null;
    }

    private static String read(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path file) throws java.io.IOException {
        try (java.io.InputStream in = fs.open(file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static void write(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path file, String text) throws java.io.IOException {
        try (java.io.OutputStream out = fs.create(file, true)) {
            out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private void writeBronze(Dataset<Row> flagged, List<String> folders, String writer, long batchId) {
        Dataset<Row> bronze = transform.bronze(flagged);
        for (String folder : folders.stream().sorted().toList()) {
            Dataset<Row> day = (folders.size() == 1 ? bronze : bronze.where(col("bronze_folder").equalTo(folder))).drop("bronze_folder");
            // The folder is the batch's own: a replayed batch replaces it instead of adding a copy.
            day.write().mode(SaveMode.Overwrite).option("compression", "gzip")
                    .json(paths.bronze() + "/" + folder + String.format("/batch-%s-%012d", writer, batchId));
        }
    }

    /**
     * Appends a batch's young events ({@code rows} of them) to silver exactly once. Each append's commit carries its batch in its
     * {@code userMetadata} ({@code clickstream_lake_silver_<query id> batch <n>}). A batch that directly follows the
     * one this process just appended for the same query cannot have been written before; any other (the first after a
     * start, a retry after a failed write) is looked up in silver's history first: a writer's batches commit in order,
     * so its newest tagged commit tells whether this one is in. If the newest thousand commits hold none of its (a
     * new checkpoint, many other commits since), the batch goes through the insert-only MERGE instead.
     * Returns true when it did (the batch's figures count those rows as checked against silver, not appended).
     *
     * <p>This is what Delta's {@code txnAppId}/{@code txnVersion} would do, without their price: Delta 4.3 answers
     * every such check by reconstructing the table's state with a Spark job (about half a second a batch here).
     */
    boolean appendSilver(Dataset<Row> events, long rows, String writer, long batchId) {
        String tag = silverTag(writer);
        Long previous = appendedBatches.remove(tag);
        boolean firstOfNewCheckpoint = previous == null && batchId == 0 && !writer.equals(DIRECT) && newCheckpoint.compareAndSet(true, false);
        if (!firstOfNewCheckpoint && (previous == null || previous != batchId - 1)) {
            Boolean written = silverHasBatch(tag, batchId);
            if (Boolean.TRUE.equals(written)) {
                LOG.info("batch {} of {} is in silver already (a replay after a restart): not appended again", batchId, tag);
                appendedBatches.put(tag, batchId);
                return false;
            }
            if (written == null) {
                mergeIntoSilver(events);
                appendedBatches.put(tag, batchId);
                return true;
            }
        }
        // One file per day and event name, not one per task and partition: a second of events is small, and every
        // file written (and later read) costs more than its rows. A small batch is written by one task, which needs no
        // shuffle (a stage less on the way to silver); a big one is spread over tasks by day and event name.
        Dataset<Row> perFile = rows <= ONE_WRITER_ROWS ? events.coalesce(1) : events.repartition(col(EventColumns.EVENT_DATE), col("event_name"));
        perFile.write().format("delta").mode(SaveMode.Append)
                .option("userMetadata", tag + BATCH_TAG + batchId)
                .save(paths.silverEvents());
        appendedBatches.put(tag, batchId);
        return false;
    }

    private static String silverTag(String writer) {
        return QUERY_NAME + "_silver_" + writer;
    }

    /**
     * Whether silver holds batch {@code batchId} of the writer tagged {@code tag}, by the writer's newest commit in
     * silver's newest thousand commits; null when they hold none of the writer's.
     */
    private Boolean silverHasBatch(String tag, long batchId) {
        DeltaTable silver = DeltaTable.forPath(spark, paths.silverEvents());
        String prefix = tag + BATCH_TAG;
        // The newest thousand commits: after a restart the writer's own are among the newest; past them, MERGE is as safe.
        for (int limit = 100; limit <= 1_000; limit *= 10) {
            List<Row> commits = silver.history(limit).select("userMetadata").collectAsList();
            for (Row commit : commits) {
                String metadata = commit.getString(0);
                if (metadata != null && metadata.startsWith(prefix)) {
                    return Long.parseLong(metadata.substring(prefix.length())) >= batchId;
                }
            }
            if (commits.size() < limit) {
                break;
            }
        }
        return null;
    }

    /**
     * Every event of the batch, as silver has it, to the enriched topic as JSON, keyed like the source topic by the
     * student's pseudonym (one student's events stay in order). At least once: a replayed batch publishes again, so
     * consumers keep each event_id once.
     */
    private void publishEnriched(Dataset<Row> events) {
        if (!publishesEnriched()) {
            return;
        }
        events.select(col("student_id").as("key"), to_json(struct(col("*"))).as("value"))
                .write()
                .format("kafka")
                .option("kafka.bootstrap.servers", config.kafka().bootstrapServers())
                .option("topic", config.kafka().enrichedTopic())
                .option("kafka.acks", "all")
                .option("kafka.enable.idempotence", "true")
                .save();
    }

    private void mergeIntoSilver(Dataset<Row> events) {
        events = events.persist();
        try {
            // Insert-only on event_id: a client retry or a replayed batch adds nothing twice. A copy is looked for in
            // the days of the event's timestamp give or take COPY_TIME_SPREAD: its own day, and the day before or after
            // for an event stamped that close to midnight (a retry whose corrected timestamp crossed it).
            String earliest = copyDay("s.", "-");
            String latest = copyDay("s.", "+");
            List<String> dates = events.selectExpr("explode(array(" + copyDay("", "-") + ", " + copyDay("", "+") + ")) AS day")
                    .distinct().collectAsList().stream().map(row -> "DATE'" + row.getDate(0) + "'").toList();
            // The date list lets Delta prune the MERGE to the partitions this batch can touch.
            String condition = "t.event_id = s.event_id AND t.event_date BETWEEN " + earliest + " AND " + latest
                    + " AND t.event_date IN (" + String.join(", ", dates) + ")";
            // A commit to the same days between the MERGE's read and its commit (the maintenance job's OPTIMIZE of
            // yesterday while late events arrive, an erasure run without the stream) fails it: Delta isolates it as
            // Serializable. The MERGE inserts only what is missing, so it is tried again on the new snapshot.
            Dataset<Row> source = events;
            DeltaConflicts.retry("the MERGE into silver", MERGE_ATTEMPTS, Duration.ofMillis(500), mergeRetries::incrementAndGet, () -> {
                DeltaTable.forPath(spark, paths.silverEvents()).as("t")
                        .merge(source.as("s"), condition)
                        .whenNotMatched().insertAll()
                        .execute();
                return null;
            });
        }
        finally {
            events.unpersist();
        }
    }

    /** The day of an event's timestamp (its column name after {@code prefix}) moved by COPY_TIME_SPREAD ({@code sign} "-" or "+"). */
    private static String copyDay(String prefix, String sign) {
        return "to_date(" + prefix + EventColumns.EVENT_TIMESTAMP + " " + sign + " INTERVAL " + COPY_TIME_SPREAD.toSeconds() + " SECONDS)";
    }

    /** MERGEs into silver tried again after a concurrent commit conflicted with them, since this job started. */
    long mergeRetries() {
        return mergeRetries.get();
    }

    private void appendQuarantine(Dataset<Row> rows, String writer, long batchId) {
        // txnAppId/txnVersion: Delta skips this append if the same batch of the same query was already committed.
        rows.write().format("delta").mode(SaveMode.Append)
                .option("txnAppId", QUERY_NAME + "_quarantine_" + writer)
                .option("txnVersion", batchId)
                .save(paths.silverQuarantine());
    }

    public static void main(String[] args) throws Exception {
        JobsConfig config = JobsConfig.load(JobsConfig.configFileArgument(args));
        SparkSession spark = Sparks.session("clickstream-streaming", config.spark());
        StreamingJob job = new StreamingJob(spark, config, EventContract.current());
        PipelineMonitor monitor = PipelineMonitor.start(spark, config, job::result);
        QuerySupervisor supervisor = new QuerySupervisor(spark);
        supervisor.start(QUERY_NAME, job::start);
        LOG.info("streaming {} from {} into {}", config.kafka().topic(), config.kafka().bootstrapServers(), config.lakeRoot());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            supervisor.stopAll();
            monitor.close();
        }, "streaming-shutdown"));
        supervisor.awaitTermination();
    }
}
