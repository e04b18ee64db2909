package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three micro-batches leave several files per silver partition; maintenance compacts the day to one per partition, data unchanged. */
class MaintenanceTest {
    private static final LocalDate DAY = LocalDate.parse("2026-11-20");
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void compactsTheDaysSmallFilesAndKeepsEveryRowAndOldVersionsWithinTheRetention() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        StreamingJob stream = new StreamingJob(spark, config, EventContract.current());
        List<String> lines = SharedSpark.lines("/golden/sessions/input.jsonl");
        int third = lines.size() / 3;
        stream.writeBatch(SharedSpark.kafkaRecords(lines.subList(0, third), 0, Instant.now()), 0);
        stream.writeBatch(SharedSpark.kafkaRecords(lines.subList(third, 2 * third), third, Instant.now()), 1);
        stream.writeBatch(SharedSpark.kafkaRecords(lines.subList(2 * third, lines.size()), 2L * third, Instant.now()), 2);
        String day = "event_date = DATE'" + DAY + "'";
        int filesBefore = spark.read().format("delta").load(paths.silverEvents()).where(day).inputFiles().length;
        long partitions = spark.read().format("delta").load(paths.silverEvents()).where(day).select("event_name").distinct().count();
        long rows = spark.read().format("delta").load(paths.silverEvents()).count();
        assertTrue(filesBefore > partitions, "the test needs several files per partition, got " + filesBefore + " for " + partitions);

        String report = new MaintenanceJob(new GoldContext(spark, config)).run(DAY);

        java.util.regex.Matcher figures = java.util.regex.Pattern.compile(
                "2 tables: compacted (\\d+) files of the day into (\\d+); vacuum removed 0 files older than 168 hours").matcher(report);
        assertTrue(figures.matches(), report);
        assertEquals(filesBefore - partitions, Long.parseLong(figures.group(1)) - Long.parseLong(figures.group(2)), report);
        assertEquals(partitions, spark.read().format("delta").load(paths.silverEvents()).where(day).inputFiles().length,
                "one file per event_name partition of the day after OPTIMIZE");
        assertEquals(rows, spark.read().format("delta").load(paths.silverEvents()).count());
        assertEquals(rows, spark.read().format("delta").option("versionAsOf", 3).load(paths.silverEvents()).count(),
                "the version before compaction is still readable within the retention");
    }

    @Test
    void theHourlyCompactionOfSilverLeavesOneFilePerPartitionAndVacuumsNothing() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        StreamingJob stream = new StreamingJob(spark, config, EventContract.current());
        List<String> lines = SharedSpark.lines("/golden/sessions/input.jsonl");
        int half = lines.size() / 2;
        stream.writeBatch(SharedSpark.kafkaRecords(lines.subList(0, half), 0, Instant.now()), 0);
        stream.writeBatch(SharedSpark.kafkaRecords(lines.subList(half, lines.size()), half, Instant.now()), 1);
        String day = "event_date = DATE'" + DAY + "'";
        int filesBefore = spark.read().format("delta").load(paths.silverEvents()).where(day).inputFiles().length;
        long partitions = spark.read().format("delta").load(paths.silverEvents()).where(day).select("event_name").distinct().count();
        long rows = spark.read().format("delta").load(paths.silverEvents()).count();
        assertTrue(filesBefore > partitions, "the test needs several files per partition, got " + filesBefore + " for " + partitions);

        String report = new SilverCompactionJob(new GoldContext(spark, config)).run(DAY);

        java.util.regex.Matcher figures = java.util.regex.Pattern.compile("compacted (\\d+) files of silver's day into (\\d+)").matcher(report);
        assertTrue(figures.matches(), report);
        assertEquals(filesBefore - partitions, Long.parseLong(figures.group(1)) - Long.parseLong(figures.group(2)), report);
        assertEquals(partitions, spark.read().format("delta").load(paths.silverEvents()).where(day).inputFiles().length);
        assertEquals(rows, spark.read().format("delta").load(paths.silverEvents()).count());
        assertEquals(List.of("OPTIMIZE"), io.delta.tables.DeltaTable.forPath(spark, paths.silverEvents()).history(1).select("operation")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList(), "compaction only: no VACUUM");
    }
}
