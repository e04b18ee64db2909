package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import io.clickstream.jobs.lake.LakePaths;
import io.delta.tables.DeltaTable;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Checks of one day across the layers. Hard checks (keys unique and present, one metrics row) fail
 * the run after their rows are written; soft ones (counts, late and quarantined events) are
 * recorded for dashboards and alerts.
 */
public final class DataQuality {
    public static final StructType TABLE = new StructType()
            .add("check_date", DataTypes.DateType, false, "UTC day checked; partition column.")
            .add("check_name", DataTypes.StringType, false, "What was checked, such as silver.duplicate_event_ids.")
            .add("layer", DataTypes.StringType, false, "bronze, silver or gold.")
            .add("value", DataTypes.LongType, false, "The measured count.")
            .add("hard", DataTypes.BooleanType, false, "True when a failure fails the run (and the Airflow task).")
            .add("passed", DataTypes.BooleanType, false, "Whether the check passed; soft checks always pass and only record.")
            .add("details", DataTypes.StringType, false, "What passing means, in words.")
            .add("checked_at", DataTypes.TimestampType, false, "When the check ran.");

    /** One check's outcome. */
    public record Check(String name, String layer, long value, boolean hard, boolean passed, String details) {}

    private DataQuality() {}

    /** {@code silver}: the day's silver events (at least event_id, student_id, event_timestamp, received_at, event_date). */
    public static List<Check> run(SparkSession spark, LakePaths paths, Dataset<Row> silver, LocalDate day) {
        java.sql.Date date = java.sql.Date.valueOf(day);
        List<Check> checks = new ArrayList<>();
        // Counts and null keys in one pass; duplicates grouped by event_id (no distinct aggregate, which expands every row).
        Row totals = silver.agg(
                count(lit(1)).as("rows"),
                sum(when(col("event_id").isNull().or(col("student_id").isNull()).or(col("event_timestamp").isNull()), 1L).otherwise(0L)).as("null_keys"),
                sum(when(to_date(col("received_at")).gt(col("event_date")), 1L).otherwise(0L)).as("late")).first();
        long silverRows = totals.getLong(0);
        checks.add(soft("silver.rows", "silver", silverRows, "events of the day in silver"));
        // Rows beyond the first of each event_id (null ids are one group here and their own check below).
        Row extra = silver.groupBy("event_id").count().where(col("count").gt(1)).agg(sum(col("count").minus(1))).first();
        long duplicates = extra.isNullAt(0) ? 0 : extra.getLong(0);
        checks.add(hard("silver.duplicate_event_ids", "silver", duplicates, duplicates == 0, "0: silver holds each event_id once"));
        long nullKeys = totals.isNullAt(1) ? 0 : totals.getLong(1);
        checks.add(hard("silver.null_keys", "silver", nullKeys, nullKeys == 0, "0: no event without event_id, student_id or event_timestamp"));
        long late = totals.isNullAt(2) ? 0 : totals.getLong(2);
        checks.add(soft("silver.late_events", "silver", late, "events received on a later UTC day than they happened"));
        if (DeltaTable.isDeltaTable(spark, paths.silverQuarantine())) {
            checks.add(soft("silver.quarantined", "silver", spark.read().format("delta").load(paths.silverQuarantine())
                    .where(col("quarantine_date").equalTo(lit(date))).count(), "records set aside by the stream that day, with a reason"));
        }
        String bronzeDay = paths.bronze() + String.format("/%04d/%02d/%02d", day.getYear(), day.getMonthValue(), day.getDayOfMonth());
        checks.add(soft("bronze.records", "bronze", bronzeRecords(spark, bronzeDay), "Kafka records received that day (bronze folder of the day)"));
        if (DeltaTable.isDeltaTable(spark, paths.goldSessions())) {
            Dataset<Row> sessions = GoldIo.day(spark, paths.goldSessions(), "session_date", day);
            long sessionRows = sessions.count();
            checks.add(soft("gold.sessions", "gold", sessionRows, "sessions starting that day"));
            long duplicateKeys = sessionRows - sessions.select("session_key").distinct().count();
            checks.add(hard("gold.duplicate_session_keys", "gold", duplicateKeys, duplicateKeys == 0, "0: each session once"));
        }
        if (DeltaTable.isDeltaTable(spark, paths.goldDailyMetrics())) {
            long metricRows = GoldIo.day(spark, paths.goldDailyMetrics(), "metric_date", day).count();
            checks.add(hard("gold.daily_metrics_rows", "gold", metricRows, metricRows == 1, "1: exactly one metrics row for the day"));
        }
        return checks;
    }

    public static Dataset<Row> rows(SparkSession spark, List<Check> checks, LocalDate day) {
        Timestamp now = Timestamp.from(Instant.now());
        List<Row> rows = checks.stream().map(check -> RowFactory.create(java.sql.Date.valueOf(day), check.name(), check.layer(), check.value(),
                check.hard(), check.passed(), check.details(), now)).toList();
        return spark.createDataFrame(rows, TABLE);
    }

    private static long bronzeRecords(SparkSession spark, String dayFolder) {
        try {
            org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(dayFolder);
            if (!folder.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(folder)) {
                return 0; // no bronze folder for the day: nothing was received
            }
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot look at " + dayFolder, e);
        }
        return spark.read().option("recursiveFileLookup", "true").text(dayFolder).count();
    }

    private static Check soft(String name, String layer, long value, String details) {
        return new Check(name, layer, value, false, true, details);
    }

    private static Check hard(String name, String layer, long value, boolean passed, String details) {
        return new Check(name, layer, value, true, passed, details);
    }
}
