package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks on the golden sessions day (18 events, 5 sessions), then a duplicate forced into silver must fail the run loudly. */
class DataQualityTest {
    private static final LocalDate DAY = LocalDate.parse("2026-11-20");
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void passingChecksAreRecordedAndAHardFailureFailsTheRunAfterRecordingIt() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(SharedSpark.lines("/golden/sessions/input.jsonl"), 0, Instant.now()), 0);
        new SessionsJob(new GoldContext(spark, config)).run(DAY);
        new DailyMetricsJob(new GoldContext(spark, config)).run(DAY);
        DataQualityJob job = new DataQualityJob(new GoldContext(spark, config));
        assertEquals("9 checks passed (silver.rows 18, silver.duplicate_event_ids 0, silver.null_keys 0, silver.late_events 0, "
                + "silver.quarantined 0, bronze.records 0, gold.sessions 5, gold.duplicate_session_keys 0, gold.daily_metrics_rows 1)", job.run(DAY));

        // A duplicate that bypassed the stream's MERGE: the run must fail, and say why, after recording the check.
        spark.read().format("delta").load(paths.silverEvents()).where("event_id = 'e1'").write().format("delta").mode(SaveMode.Append)
                .save(paths.silverEvents());
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> job.run(DAY));
        assertTrue(failure.getMessage().contains("silver.duplicate_event_ids = 1"), failure.getMessage());
        List<String> failed = spark.read().format("delta").load(paths.goldDataQuality()).where("NOT passed").collectAsList().stream()
                .map(row -> row.getAs("check_name") + " " + row.getAs("value") + " hard=" + row.getAs("hard")).toList();
        assertEquals(List.of("silver.duplicate_event_ids 1 hard=true"), failed);
    }
}
