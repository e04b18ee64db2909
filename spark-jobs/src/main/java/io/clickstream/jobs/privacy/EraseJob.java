package io.clickstream.jobs.privacy;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.clickstream.jobs.JobsConfig;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;

/**
 * Erases one student from every layer of the lake, for a GDPR erasure request: silver events,
 * quarantined records that mention the student, gold tables keyed by student (sessions and their
 * quarantine, student features, bot anomalies), and the bronze records, whose files are rewritten
 * without them. It takes the pseudonym, never the raw id ({@code bin/clickstream erase} computes it
 * with the deployment's key), and prints what it removed from each place.
 *
 * <p>What it cannot remove, and says so: Delta keeps the files of earlier table versions until the
 * maintenance job's VACUUM passes the retention (7 days by default), and Kafka keeps its records
 * until the topics' retention. Aggregates (daily counts) hold no student and stay.
 *
 * <p>How to run: {@code bin/clickstream erase STUDENT_ID} (or {@code bin/clickstream job erase
 * --pseudonym HEX}); it prints one line per place, such as {@code silver.clickstream_processed: 42 rows}.
 */
public final class EraseJob {
    private final SparkSession spark;
    private final LakePaths paths;

    public EraseJob(SparkSession spark, JobsConfig config) {
        this.spark = spark;
        this.paths = new LakePaths(config.lakeRoot());
    }

    /** Removes the student everywhere; returns rows (records for bronze) removed per place, in the order erased. */
    public Map<String, Long> erase(String pseudonym) {
        if (!pseudonym.matches("[0-9a-f]{16,128}")) {
            throw new IllegalArgumentException("a pseudonym is the hex HMAC that silver stores, not a raw student id");
        }
        Map<String, Long> removed = new LinkedHashMap<>();
        removed.put("silver.clickstream_processed", delete(paths.silverEvents(), col("student_id").equalTo(lit(pseudonym))));
        removed.put("silver.clickstream_quarantine", delete(paths.silverQuarantine(), col("raw_value").contains(pseudonym)));
        removed.put("gold.sessions", delete(paths.goldSessions(), col("student_id").equalTo(lit(pseudonym))));
        removed.put("gold.sessions_quarantine", delete(paths.goldSessionsQuarantine(), col("student_id").equalTo(lit(pseudonym))));
        removed.put("gold.student_features", delete(paths.goldStudentFeatures(), col("student_id").equalTo(lit(pseudonym))));
        removed.put("gold.anomalies", delete(paths.goldAnomalies(), col("kind").equalTo(lit("bot_student")).and(col("subject").equalTo(lit(pseudonym)))));
        removed.put("bronze (raw/clickstream)", eraseFromBronze(pseudonym));
        return removed;
    }

    /** Rows deleted from the Delta table at {@code location} (0 when the table does not exist yet). */
    private long delete(String location, Column condition) {
        if (!DeltaTable.isDeltaTable(spark, location)) {
            return 0;
        }
        long matching = spark.read().format("delta").load(location).where(condition).count();
        if (matching > 0) {
            DeltaTable.forPath(spark, location).delete(condition);
        }
        return matching;
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
