package io.clickstream.jobs.gold;

import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import java.util.Map;

/**
 * Compacts the day's small files of silver (events and quarantine) while the day is still being written. The stream
 * appends about one file per event name every second, tens of thousands an hour; every reader of the current day
 * (the hourly gold job, analysts in Trino) opens each of them. Run hourly ({@code clickstream_gold_hourly} runs it
 * before the hourly metrics), it keeps the day at a few files per hour. No VACUUM: the daily maintenance job does that.
 *
 * <p>It runs beside the streaming job: OPTIMIZE does not conflict with the stream's appends, and the stream tries its
 * MERGE of late events again when an OPTIMIZE commits in between.
 */
public final class SilverCompactionJob extends GoldJob {
    public SilverCompactionJob(GoldContext context) {
        super(context);
    }

    @Override
    public String name() {
        return "compact-silver";
    }

    @Override
    public String run(LocalDate day) {
        long removed = 0;
        long added = 0;
        for (Map.Entry<String, String> table : MaintenanceJob.silverTables(paths).entrySet()) {
            if (DeltaTable.isDeltaTable(spark, table.getKey())) {
                long[] compacted = MaintenanceJob.compact(spark, table.getKey(), table.getValue(), day);
                removed += compacted[0];
                added += compacted[1];
            }
        }
        return String.format("compacted %d files of silver's day into %d", removed, added);
    }
}
