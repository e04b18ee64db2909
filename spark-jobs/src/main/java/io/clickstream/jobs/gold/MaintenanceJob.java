package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.DeltaConflicts;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Tables;
import io.delta.tables.DeltaTable;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Lake upkeep for a day: compacts the day's partition of every Delta table (streaming writes many
 * small files; OPTIMIZE rewrites them into few) and removes files no table version within the
 * retention still needs (VACUUM; the retention is at least 7 days, so readers and time travel of
 * the last week are safe). Reports what it compacted and removed.
 */
public final class MaintenanceJob extends GoldJob {
    private static final int COMPACT_ATTEMPTS = 5;
    public MaintenanceJob(GoldContext context) {
        super(context);
    }

    @Override
    public String name() {
        return "maintenance";
    }

    /** Silver's tables, which the stream writes all day, with their date partition column. */
    static Map<String, String> silverTables(LakePaths paths) {
        Map<String, String> tables = new LinkedHashMap<>();
        tables.put(paths.silverEvents(), "event_date");
        tables.put(paths.silverQuarantine(), "quarantine_date");
        return tables;
    }

    /** Every Delta table of the lake with its date partition column. */
    Map<String, String> tables() {
        Map<String, String> tables = silverTables(paths);
        tables.put(paths.goldSessions(), "session_date");
        tables.put(paths.goldSessionsQuarantine(), "session_date");
        tables.put(paths.goldDailyMetrics(), "metric_date");
        tables.put(paths.goldDailyTopPages(), "metric_date");
        tables.put(paths.goldDailySearchTerms(), "metric_date");
        tables.put(paths.goldHourlyMetrics(), "metric_date");
        tables.put(paths.goldChapterEngagement(), "metric_date");
        tables.put(paths.goldFunnels(), "metric_date");
        tables.put(paths.goldStudentFeatures(), "feature_date");
        tables.put(paths.goldAnomalies(), "metric_date");
        tables.put(paths.goldDataQuality(), "check_date");
        tables.put(paths.pipelineMetrics(), "metric_date");
        return tables;
    }

    @Override
    public String run(LocalDate day) {
        long retentionHours = config.gold().vacuumRetention().toHours();
        int tables = 0;
        long removedByCompaction = 0;
        long added = 0;
        long vacuumed = 0;
        for (Map.Entry<String, String> table : tables().entrySet()) {
            if (!DeltaTable.isDeltaTable(spark, table.getKey())) {
                continue;
            }
            tables++;
            long[] compacted = compact(spark, table.getKey(), table.getValue(), day);
            removedByCompaction += compacted[0];
            added += compacted[1];
            String target = "delta.`" + table.getKey() + "`";
            // Delta 4 takes the retention from the table's property (a RETAIN clause is ignored); set it when it differs.
            // A table whose log is kept for that retention only (silver, see Tables) keeps it with the new one: Delta
            // refuses a log retention shorter than the files'.
            String retention = Tables.retention(config.gold().vacuumRetention());
            scala.collection.Map<String, String> properties = spark.sql("DESCRIBE DETAIL " + target).select("properties").first().getAs(0);
            if (!retention.equals(properties.get("delta.deletedFileRetentionDuration").getOrElse(() -> ""))) {
                String log = properties.contains("delta.logRetentionDuration") ? ", 'delta.logRetentionDuration' = '" + retention + "'" : "";
                spark.sql("ALTER TABLE " + target + " SET TBLPROPERTIES ('delta.deletedFileRetentionDuration' = '" + retention + "'" + log + ")");
            }
            vacuumed += spark.sql("VACUUM " + target + " DRY RUN").count();
            spark.sql("VACUUM " + target);
        }
        return String.format("%d tables: compacted %d files of the day into %d; vacuum removed %d files older than %d hours",
                tables, removedByCompaction, added, vacuumed, retentionHours);
    }

    /**
     * OPTIMIZE of one day's partitions of a Delta table: files removed and files added. It runs beside the stream: its
     * appends never conflict with it, but a MERGE of late events into the same partitions committed meanwhile can
     * (seen in a test: ConcurrentAppendException), so it is tried again on the new snapshot, up to five times.
     */
    public static long[] compact(SparkSession spark, String table, String dateColumn, LocalDate day) {
        return DeltaConflicts.retry("compacting " + table + " on " + day, COMPACT_ATTEMPTS, Duration.ofSeconds(1), () -> { }, () -> {
            Row metrics = DeltaTable.forPath(spark, table).optimize().where(dateColumn + " = DATE'" + day + "'").executeCompaction()
                    .first().getStruct(1);
            return new long[] {metrics.<Long>getAs("numFilesRemoved"), metrics.<Long>getAs("numFilesAdded")};
        });
    }
}
