package io.clickstream.jobs.lake;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.schema.EventContract;
import io.delta.tables.DeltaTable;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Explicit, idempotent Delta DDL: every table is created with declared columns and partitions
 * before the first write, never inferred from the first batch; a table written by an earlier
 * version gains the nullable columns declared since (its old rows read them as null).
 */
public final class Tables {
    private Tables() {}

    /**
     * Silver's own Delta settings. The streaming job commits to silver in every micro-batch, and Delta writes a
     * checkpoint of the table's whole state every {@code delta.checkpointInterval} commits (10 by default) with a Spark
     * job that takes seconds on a small machine: the slowest batches, and the tail of freshness. Every 100th commit
     * instead; readers replay at most 99 small commit files after the checkpoint.
     *
     * <p>The log keeps commits for VACUUM's retention ({@code clickstream.gold.vacuum-retention}, 7 days by default),
     * the least Delta allows (it must be at least {@code delta.deletedFileRetentionDuration}); older versions cannot be
     * read anyway once VACUUM removed their files. Delta's default, 30 days, is some 2.6 million commits of a stream
     * committing every second, and Delta lists the log before every commit.
     */
    static Map<String, String> silverProperties(Duration vacuumRetention) {
        return Map.of("delta.checkpointInterval", "100", "delta.logRetentionDuration", retention(vacuumRetention));
    }

    /** A retention as a Delta table property takes it (and as {@link io.clickstream.jobs.gold.MaintenanceJob} sets it). */
    public static String retention(Duration retention) {
        return "interval " + retention.toHours() + " hours";
    }

    /** A Delta interval property ("interval 168 hours", "7 days") as a duration; a month counts 30 days, as Delta counts it. */
    static Duration duration(String interval) {
        String text = interval.trim().toLowerCase(java.util.Locale.ROOT);
        org.apache.spark.unsafe.types.CalendarInterval parsed = org.apache.spark.sql.catalyst.util.IntervalUtils.stringToInterval(
                org.apache.spark.unsafe.types.UTF8String.fromString(text.startsWith("interval") ? text : "interval " + text));
        return Duration.ofDays(parsed.months * 30L + parsed.days).plusNanos(parsed.microseconds * 1_000);
    }

    /** Silver's events and quarantine tables, with the columns the event contract declares. */
    public static void createSilver(SparkSession spark, JobsConfig config, EventContract contract) {
        LakePaths paths = new LakePaths(config.lakeRoot());
        Duration vacuumRetention = config.gold().vacuumRetention();
        createIfNotExists(spark, paths.silverEvents(), EventColumns.silver(contract),
                current -> silverProperties(logRetention(current, vacuumRetention)),
                "Silver: every accepted LMS event once, typed and pseudonymised.", EventColumns.EVENT_DATE, "event_name");
        createIfNotExists(spark, paths.silverQuarantine(), EventColumns.quarantine(),
                "Records the stream could not parse, with the reason.", "quarantine_date");
    }

    /**
     * How long silver's log keeps commits: VACUUM's configured retention, or the files' retention the table has if that
     * is longer (the maintenance job set it under an earlier, longer configuration; the log keeps it until it runs again).
     */
    private static Duration logRetention(Map<String, String> current, Duration vacuumRetention) {
        String files = current.get("delta.deletedFileRetentionDuration");
        return files != null && duration(files).compareTo(vacuumRetention) > 0 ? duration(files) : vacuumRetention;
    }

    public static void createIfNotExists(SparkSession spark, String location, StructType columns, String comment, String... partitionColumns) {
        createIfNotExists(spark, location, columns, current -> Map.of(), comment, partitionColumns);
    }

    /**
     * As {@link #createIfNotExists(SparkSession, String, StructType, String, String...)}, with table properties: those the
     * table should have given those it has (an empty map for a new table), set on an existing table too. Properties
     * are read once, and only when a new table would have some.
     */
    public static void createIfNotExists(SparkSession spark, String location, StructType columns, UnaryOperator<Map<String, String>> properties,
            String comment, String... partitionColumns) {
        Map<String, String> initial = properties.apply(Map.of());
        io.delta.tables.DeltaTableBuilder builder = DeltaTable.createIfNotExists(spark)
                .location(location)
                .addColumns(columns)
                .partitionedBy(partitionColumns)
                .comment(comment);
        initial.forEach(builder::property);
        builder.execute();
        addMissingColumns(spark, location, columns);
        if (!initial.isEmpty()) {
            setProperties(spark, location, properties);
        }
    }

    /** Sets the table properties whose values differ from those wanted (one metadata commit, none when all are set). */
    private static void setProperties(SparkSession spark, String location, UnaryOperator<Map<String, String>> properties) {
        Map<String, String> current = DeltaTable.forPath(spark, location).detail().select("properties").first().getJavaMap(0);
        String changed = properties.apply(current).entrySet().stream().filter(property -> !property.getValue().equals(current.get(property.getKey())))
                .map(property -> "'" + property.getKey() + "' = '" + property.getValue() + "'").sorted().collect(Collectors.joining(", "));
        if (!changed.isEmpty()) {
            spark.sql("ALTER TABLE delta.`" + location + "` SET TBLPROPERTIES (" + changed + ")");
        }
    }

    private static void addMissingColumns(SparkSession spark, String location, StructType declared) {
        Set<String> existing = Set.of(DeltaTable.forPath(spark, location).toDF().schema().fieldNames());
        List<StructField> missing = Arrays.stream(declared.fields()).filter(field -> !existing.contains(field.name())).toList();
        if (missing.isEmpty()) {
            return;
        }
        missing.stream().filter(field -> !field.nullable()).findFirst().ifPresent(field -> {
            throw new IllegalStateException("the table at " + location + " lacks the required column " + field.name()
                    + "; it cannot be added to existing rows: migrate the table (see docs/runbook.md)");
        });
        // ADD COLUMNS is a metadata-only commit: existing files are not rewritten, their rows read the new columns as null.
        spark.sql("ALTER TABLE delta.`" + location + "` ADD COLUMNS (" + missing.stream()
                .map(field -> "`" + field.name() + "` " + field.dataType().sql() + (field.getComment().isDefined()
                        ? " COMMENT '" + field.getComment().get().replace("\\", "\\\\").replace("'", "\\'") + "'" : ""))
                .collect(Collectors.joining(", ")) + ")");
    }
}
