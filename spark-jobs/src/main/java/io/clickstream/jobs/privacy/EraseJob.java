package io.clickstream.jobs.privacy;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.DeltaConflicts;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Sparks;
import io.delta.tables.DeltaTable;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erases one student from every layer of the lake, for a GDPR erasure request: silver events,
 * quarantined records that mention the student, gold tables keyed by student (sessions and their
 * quarantine, student features, bot anomalies), and the bronze records, whose files are rewritten
 * without them. It takes the pseudonym, never the raw id ({@code bin/clickstream erase} computes it
 * with the deployment's key), and prints what it removed from each place.
 *
 * <p>While the streaming job runs, silver's part goes through it: Delta (open source) isolates every write as
 * Serializable, so a DELETE of a student (a predicate on no partition column) conflicts with any append committed while
 * it runs, and the stream appends every second, so a DELETE beside it fails however often it is retried. The erase
 * job leaves a request ({@link EraseRequests}); the stream, silver's one writer, applies it between its writes (checking
 * every {@link #REQUEST_CHECK_INTERVAL}; the stream pauses while it deletes) and answers with the rows it removed. When
 * no streaming job has looked for requests within {@link #STREAM_ALIVE_WITHIN} (none runs, or it stopped), the erase
 * job deletes them itself. Gold tables, written by scheduled jobs, are retried when a concurrent write conflicts.
 *
 * <p>The erasure is also noted for good ({@link EraseRequests#erased}): the student's records stamped until that
 * moment are left out whenever they reach silver's writer again (a batch run again after a crash, the topic read
 * again from an earlier offset, a replay), so an erasure is never undone. The student's later events are new data
 * and are kept.
 *
 * <p>What it cannot remove, and says so: Delta keeps the files of earlier table versions until the
 * maintenance job's VACUUM passes the retention (7 days by default), and Kafka keeps its records
 * until the topics' retention. Aggregates (daily counts) hold no student and stay.
 *
 * <p>How to run: {@code bin/clickstream erase STUDENT_ID} (or {@code bin/clickstream job erase
 * --pseudonym HEX}); it prints {@code erased student 3f9a0c1d2e4b...:}, then one line per place, such as
 * {@code   silver.clickstream_processed     42 rows}.
 */
public final class EraseJob {
    /** How often the streaming job looks for erase requests ({@link #applyRequests}). */
    public static final Duration REQUEST_CHECK_INTERVAL = Duration.ofSeconds(10);
    /** A streaming job that looked for requests within this runs, and takes the request. */
    static final Duration STREAM_ALIVE_WITHIN = Duration.ofMinutes(1);
    /** How long the erase job waits for the streaming job's answer. */
    static final Duration STREAM_WAIT = Duration.ofMinutes(10);
    /** Tries of one DELETE when concurrent writes conflict with it. */
    private static final int DELETE_ATTEMPTS = 5;
    private static final Logger LOG = LoggerFactory.getLogger(EraseJob.class);

    private final SparkSession spark;
    private final LakePaths paths;
    private final EraseRequests requests;

    public EraseJob(SparkSession spark, JobsConfig config) {
        this.spark = spark;
        this.paths = new LakePaths(config.lakeRoot());
        this.requests = new EraseRequests(paths.eraseRequests(), spark.sparkContext().hadoopConfiguration());
    }

    /** Removes the student everywhere; returns rows (records for bronze) removed per place, in the order erased. */
    public Map<String, Long> erase(String pseudonym) {
        checkPseudonym(pseudonym);
        Map<String, Long> removed = new LinkedHashMap<>(eraseFromSilver(pseudonym));
        removed.put("gold.sessions", delete(paths.goldSessions(), "student_id = '" + pseudonym + "'", DELETE_ATTEMPTS));
        removed.put("gold.sessions_quarantine", delete(paths.goldSessionsQuarantine(), "student_id = '" + pseudonym + "'", DELETE_ATTEMPTS));
        removed.put("gold.student_features", delete(paths.goldStudentFeatures(), "student_id = '" + pseudonym + "'", DELETE_ATTEMPTS));
        removed.put("gold.anomalies", delete(paths.goldAnomalies(), "kind = 'bot_student' AND subject = '" + pseudonym + "'", DELETE_ATTEMPTS));
        removed.put("bronze (raw/clickstream)", eraseFromBronze(pseudonym));
        return removed;
    }

    /**
     * Silver's tables (events and quarantine): through the streaming job while one runs, else directly. Fails when a
     * streaming job runs but does not answer within {@link #STREAM_WAIT}.
     */
    private Map<String, Long> eraseFromSilver(String pseudonym) {
        String id = requests.submit(pseudonym);
        long deadline = System.currentTimeMillis() + STREAM_WAIT.toMillis();
        boolean told = false;
        try {
            while (true) {
                Map<String, Long> answer = requests.answer(pseudonym, id);
                if (answer != null) {
                    return answer;
                }
                if (requests.heartbeatAgeMillis() > STREAM_ALIVE_WITHIN.toMillis()) {
                    return silverRows(pseudonym, DELETE_ATTEMPTS);
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("the streaming job runs but did not answer the erase request within " + STREAM_WAIT.toMinutes()
                            + " min (it looks every " + REQUEST_CHECK_INTERVAL.toSeconds() + " s); see its log, then run erase again");
                }
                if (!told) {
                    LOG.info("the streaming job writes silver: it removes the student between two batches (it looks every {} s)",
                            REQUEST_CHECK_INTERVAL.toSeconds());
                    told = true;
                }
                Thread.sleep(1_000);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the streaming job's answer", e);
        }
        finally {
            requests.clear(pseudonym);
        }
    }

    /**
     * Applies the pending erase requests to silver's tables and answers them: called by silver's writer, the streaming
     * job, between its writes, so nothing appends concurrently; each call tells erase jobs that it runs. A request
     * that fails stays for the next call; the failure is logged, never thrown, so the stream goes on. Returns how many
     * requests were answered.
     */
    public int applyRequests() {
        List<EraseRequests.Request> pending;
        try {
            requests.heartbeat();
            pending = requests.pending();
        }
        catch (RuntimeException e) {
            LOG.warn("cannot read the erase requests, tried again in {} s: {}", REQUEST_CHECK_INTERVAL.toSeconds(), e.getMessage());
            return 0;
        }
        int answered = 0;
        for (EraseRequests.Request request : pending) {
            String student = request.pseudonym().substring(0, Math.min(12, request.pseudonym().length())) + "...";
            try {
                Map<String, Long> removed = silverRows(request.pseudonym(), 1);
                requests.answer(request, removed);
                answered++;
                LOG.info("erase request for student {}: removed {}", student, removed);
            }
            catch (RuntimeException e) {
                LOG.warn("erase request for student {} not applied yet, tried again in {} s: {}", student, REQUEST_CHECK_INTERVAL.toSeconds(),
                        e.getMessage());
            }
        }
        return answered;
    }

    private static void checkPseudonym(String pseudonym) {
        if (!pseudonym.matches("[0-9a-f]{16,128}")) {
            throw new IllegalArgumentException("a pseudonym is the hex HMAC that silver stores, not a raw student id");
        }
    }

    /**
     * Every erased student's pseudonym with the time (epoch ms) until which its records are erased: silver's writer
     * leaves such records out when they reach it again (see {@link EraseRequests#erased}).
     */
    public Map<String, Long> erasedStudents() {
        return requests.erased();
    }

    private Map<String, Long> silverRows(String pseudonym, int attempts) {
        checkPseudonym(pseudonym);
        // Noted first: from now on silver's writer leaves out the student's records up to this moment, wherever they come from.
        requests.recordErased(pseudonym, System.currentTimeMillis());
        Map<String, Long> removed = new LinkedHashMap<>();
        removed.put("silver.clickstream_processed", delete(paths.silverEvents(), "student_id = '" + pseudonym + "'", attempts));
        removed.put("silver.clickstream_quarantine", delete(paths.silverQuarantine(), "contains(raw_value, '" + pseudonym + "')", attempts));
        return removed;
    }

    /**
     * Rows deleted from the Delta table at {@code location} (0 when the table does not exist yet), tried again up to
     * {@code attempts} times when a concurrent write conflicts. The condition's only value is a checked pseudonym (hex).
     */
    private long delete(String location, String condition, int attempts) {
        return DeltaConflicts.retry("the delete from " + location, attempts, Duration.ofSeconds(1), () -> { }, () ->
                // One pass: Delta's DELETE answers with the rows it removed (and commits nothing when none match).
                DeltaTable.isDeltaTable(spark, location) ? spark.sql("DELETE FROM delta.`" + location + "` WHERE " + condition).first().getLong(0)
                        : 0L);
    }

    /**
     * Rewrites every bronze file that holds a record of the student without those records (each line is one record;
     * the student's pseudonym is its key and is in its value). The new file replaces the old one by rename.
     */
    private long eraseFromBronze(String pseudonym) {
        long removed = 0;
        try {
            Path root = new Path(paths.bronze());
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(root)) {
                return 0;
            }
            for (RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true); files.hasNext(); ) {
                Path file = files.next().getPath();
                if (file.getName().endsWith(".json.gz")) {
                    removed += rewriteWithout(fs, file, pseudonym);
                }
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite bronze under " + paths.bronze(), e);
        }
        return removed;
    }

    private static long rewriteWithout(FileSystem fs, Path file, String pseudonym) throws IOException {
        Path rewritten = new Path(file.getParent(), "." + file.getName() + ".erasing");
        long dropped = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(fs.open(file)), StandardCharsets.UTF_8));
                BufferedWriter out = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(fs.create(rewritten, true)),
                        StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.contains(pseudonym)) {
                    dropped++;
                }
                else {
                    out.write(line);
                    out.write('\n');
                }
            }
        }
        if (dropped == 0) {
            fs.delete(rewritten, false);
            return 0;
        }
        // Delete then rename: object stores have no atomic replace; a crash in between leaves the .erasing file to rerun from.
        fs.delete(file, false);
        if (!fs.rename(rewritten, file)) {
            throw new IOException("could not move " + rewritten + " to " + file);
        }
        return dropped;
    }

    public static void main(String[] args) {
        String pseudonym = null;
        File configFile = null;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--pseudonym")) {
                pseudonym = args[++i];
            }
            else if (args[i].equals("--config")) {
                configFile = new File(args[++i]);
            }
        }
        if (pseudonym == null) {
            System.err.println("usage: erase --pseudonym HEX [--config FILE]   (bin/clickstream erase STUDENT_ID computes it)");
            System.exit(2);
        }
        JobsConfig config = JobsConfig.load(configFile);
        SparkSession spark = Sparks.session("clickstream-erase", config.spark());
        int exit = 0;
        try {
            Map<String, Long> removed = new EraseJob(spark, config).erase(pseudonym);
            System.out.println("erased student " + pseudonym.substring(0, 12) + "...:");
            removed.forEach((place, rows) -> System.out.printf("  %-32s %d %s%n", place, rows, place.startsWith("bronze") ? "records" : "rows"));
            System.out.println("Delta keeps the removed rows in files of earlier table versions until the maintenance job's VACUUM passes"
                    + " clickstream.gold.vacuum-retention; Kafka keeps its records until the topics' retention.");
        }
        catch (RuntimeException e) {
            System.err.println("erase: FAILED: " + e.getMessage());
            exit = 1;
        }
        finally {
            spark.stop();
        }
        System.exit(exit);
    }
}
