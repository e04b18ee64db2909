package io.clickstream.jobs.streaming;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_timestamp;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.jobs.lake.Tables;
import io.clickstream.schema.EventContract;
import io.delta.tables.DeltaTable;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Rebuilds silver for a range of event dates from bronze, with the streaming job's own transforms
 * (parse, per-student rules, enrichment): for a bug fixed in the transforms, a lost checkpoint, or
 * a damaged table. Bronze folders are by arrival day, so it reads the day before the range (clock
 * skew) up to {@code --late-days} after it (late arrivals), keeps each Kafka record once (bronze
 * may hold one twice after a lost checkpoint), and replaces exactly the range's silver rows.
 * Records that fail go to quarantine, once per Kafka record.
 *
 * <p>It refuses to write fewer events than silver holds for the range (bronze trimmed, or the
 * wrong range) unless {@code --allow-fewer}. Stop the streaming job while it runs: both write
 * the same days.
 *
 * <p>How to run: {@code bin/clickstream job replay --date 2026-11-20 [--to 2026-11-21] [--late-days 7]
 * [--allow-fewer]}; it prints {@code replay 2026-11-20..2026-11-20: 5937 bronze records from 2
 * days, silver 5900 events (had 5900), quarantine 37 (0 new)}.
 */
public final class ReplayJob {
    private static final StructType BRONZE = new StructType()
            .add("value", DataTypes.StringType)
            .add("key", DataTypes.StringType)
            .add("topic", DataTypes.StringType)
            .add("kafka_partition", DataTypes.IntegerType)
            .add("kafka_offset", DataTypes.LongType)
            .add("kafka_timestamp", DataTypes.StringType);
    private static final DateTimeFormatter FOLDER = DateTimeFormatter.ofPattern("yyyy/MM/dd");

    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;
    private final SilverTransform transform;
    private final StudentEventFlags flags;

    public ReplayJob(SparkSession spark, JobsConfig config, EventContract contract) {
        this.spark = spark;
        this.config = config;
        this.paths = new LakePaths(config.lakeRoot());
        this.transform = new SilverTransform(contract);
        this.flags = StudentEventFlags.of(config.streaming());
        Tables.createSilver(spark, config, contract);
    }

    /** What a replay read and wrote. */
    public record Result(long bronzeRecords, int bronzeDays, long silverBefore, long silverAfter, long quarantined, long quarantineNew) {}

    public Result replay(LocalDate from, LocalDate to, int lateDays, boolean allowFewer) {
        List<String> folders = existingFolders(from.minusDays(1), to.plusDays(lateDays));
        String range = "event_date >= DATE'" + from + "' AND event_date <= DATE'" + to + "'";
        long before = spark.read().format("delta").load(paths.silverEvents()).where(range).count();
        if (folders.isEmpty()) {
            if (before > 0 && !allowFewer) {
                throw new IllegalStateException("bronze holds no folder for " + from + ".." + to + " (+" + lateDays + " days) but silver has "
                        + before + " events there; nothing replaced (--allow-fewer empties the range)");
            }
            return new Result(0, 0, before, before, 0, 0);
        }
        Dataset<Row> records = spark.read().schema(BRONZE).option("recursiveFileLookup", "true").json(folders.toArray(String[]::new))
                .dropDuplicates("topic", "kafka_partition", "kafka_offset")
                .select(col("key").cast("binary").as("key"), col("value").cast("binary").as("value"), col("topic"),
                        col("kafka_partition").as("partition"), col("kafka_offset").as("offset"),
                        to_timestamp(col("kafka_timestamp")).as("timestamp"), lit(0).as("timestampType"))
                .persist();
        try {
            Dataset<Row> flagged = transform.typed(flags.flagBatch(transform.keys(records))).persist();
            try {
                Dataset<Row> events = transform.silverRows(flagged, config.streaming().lateAfter()).where(range).persist();
                long rebuilt = events.count();
                if (rebuilt < before && !allowFewer) {
                    throw new IllegalStateException("bronze gives " + rebuilt + " events for " + from + ".." + to + " but silver has " + before
                            + "; nothing replaced. Is bronze trimmed, or were events written to silver another way? (--allow-fewer replaces anyway)");
                }
                events.write().format("delta").mode(SaveMode.Overwrite).option("replaceWhere", range).save(paths.silverEvents());
                events.unpersist();
                Dataset<Row> quarantine = transform.quarantineRows(flagged);
                long quarantined = quarantine.count();
                long quarantineBefore = spark.read().format("delta").load(paths.silverQuarantine()).count();
                // Once per Kafka record: a replay quarantines again only what it had not.
                DeltaTable.forPath(spark, paths.silverQuarantine()).as("t")
                        .merge(quarantine.as("s"), "t.kafka_topic = s.kafka_topic AND t.kafka_partition = s.kafka_partition"
                                + " AND t.kafka_offset = s.kafka_offset")
                        .whenNotMatched().insertAll()
                        .execute();
                long quarantineNew = spark.read().format("delta").load(paths.silverQuarantine()).count() - quarantineBefore;
                return new Result(records.count(), folders.size(), before, rebuilt, quarantined, quarantineNew);
            }
            finally {
                flagged.unpersist();
            }
        }
        finally {
            records.unpersist();
        }
    }

    private List<String> existingFolders(LocalDate first, LocalDate last) {
        List<String> folders = new ArrayList<>();
        try {
            Path root = new Path(paths.bronze());
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
                Path folder = new Path(root, FOLDER.format(day));
                if (fs.exists(folder)) {
                    folders.add(folder.toString());
                }
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot list bronze under " + paths.bronze(), e);
        }
        return folders;
    }

    public static void main(String[] args) {
        LocalDate from = null;
        LocalDate to = null;
        int lateDays = 7;
        boolean allowFewer = false;
        File configFile = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--date", "--from" -> from = LocalDate.parse(args[++i]);
                    case "--to" -> to = LocalDate.parse(args[++i]);
                    case "--late-days" -> lateDays = Integer.parseInt(args[++i]);
                    case "--allow-fewer" -> allowFewer = true;
                    case "--config" -> configFile = new File(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (from == null || lateDays < 0 || (to != null && to.isBefore(from))) {
                throw new IllegalArgumentException("--date YYYY-MM-DD is required, --to must not be before it, --late-days must be >= 0");
            }
        }
        catch (RuntimeException e) {
            System.err.println("replay: " + e.getMessage());
            System.err.println("usage: replay --date YYYY-MM-DD [--to YYYY-MM-DD] [--late-days N] [--allow-fewer] [--config FILE]");
            System.exit(2);
            return;
        }
        to = to == null ? from : to;
        JobsConfig config = JobsConfig.load(configFile);
        SparkSession spark = Sparks.session("clickstream-replay", config.spark());
        int exit = 0;
        try {
            Result result = new ReplayJob(spark, config, EventContract.current()).replay(from, to, lateDays, allowFewer);
            System.out.printf("replay %s..%s: %d bronze records from %d days, silver %d events (had %d), quarantine %d (%d new)%n", from, to,
                    result.bronzeRecords(), result.bronzeDays(), result.silverAfter(), result.silverBefore(), result.quarantined(),
                    result.quarantineNew());
        }
        catch (RuntimeException e) {
            System.err.println("replay: FAILED: " + e.getMessage());
            exit = 1;
        }
        finally {
            spark.stop();
        }
        System.exit(exit);
    }
}
