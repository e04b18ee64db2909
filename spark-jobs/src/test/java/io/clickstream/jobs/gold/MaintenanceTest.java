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

    /** Silver's day after the stream wrote it in several batches: files, event_name partitions and rows. */
    private record WrittenDay(LakePaths paths, String day, int files, long partitions, long rows) {}

    private WrittenDay writeInBatches(JobsConfig config, int batches) throws Exception {
        LakePaths paths = new LakePaths(config.lakeRoot());
        StreamingJob stream = new StreamingJob(spark, config, EventContract.current());
        List<String> lines = SharedSpark.lines("/golden/sessions/input.jsonl");
        int size = lines.size() / batches;
        for (int batch = 0; batch < batches; batch++) {
            int end = batch == batches - 1 ? lines.size() : (batch + 1) * size;
            stream.writeBatch(SharedSpark.kafkaRecords(lines.subList(batch * size, end), (long) batch * size, Instant.now()), batch);
        }
        String day = "event_date = DATE'" + DAY + "'";
        int files = spark.read().format("delta").load(paths.silverEvents()).where(day).inputFiles().length;
        long partitions = spark.read().format("delta").load(paths.silverEvents()).where(day).select("event_name").distinct().count();
        assertTrue(files > partitions, "the test needs several files per partition, got " + files + " for " + partitions);
        return new WrittenDay(paths, day, files, partitions, spark.read().format("delta").load(paths.silverEvents()).count());
    }

    /** Asserts the report's "compacted N files ... into M" took the day to one file per partition, rows unchanged. */
    private void assertCompacted(WrittenDay written, String report, String pattern) {
        java.util.regex.Matcher figures = java.util.regex.Pattern.compile(pattern).matcher(report);
        assertTrue(figures.matches(), report);
        assertEquals(written.files() - written.partitions(), Long.parseLong(figures.group(1)) - Long.parseLong(figures.group(2)), report);
        assertEquals(written.partitions(), spark.read().format("delta").load(written.paths().silverEvents()).where(written.day()).inputFiles().length,
                "one file per event_name partition of the day after OPTIMIZE");
        assertEquals(written.rows(), spark.read().format("delta").load(written.paths().silverEvents()).count());
    }

    @Test
    void compactsTheDaysSmallFilesAndKeepsEveryRowAndOldVersionsWithinTheRetention() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        WrittenDay written = writeInBatches(config, 3);

        String report = new MaintenanceJob(new GoldContext(spark, config)).run(DAY);

        assertCompacted(written, report, "2 tables: compacted (\\d+) files of the day into (\\d+); vacuum removed 0 files older than 168 hours");
        assertEquals(written.rows(), spark.read().format("delta").option("versionAsOf", 3).load(written.paths().silverEvents()).count(),
                "the version before compaction is still readable within the retention");
    }

    @Test
    void silversLogIsKeptForVacuumsRetentionWhenItChangesEitherWay() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        WrittenDay written = writeInBatches(config, 2);
        assertEquals("interval 168 hours", property(written, "delta.logRetentionDuration"), "not Delta's 30 days");

        // Delta refuses a log retention shorter than the files' one: a longer VACUUM retention takes the log's along.
        JobsConfig tenDays = withVacuumRetention(config, java.time.Duration.ofDays(10));
        new MaintenanceJob(new GoldContext(spark, tenDays)).run(DAY);
        assertEquals("interval 240 hours", property(written, "delta.deletedFileRetentionDuration"));
        assertEquals("interval 240 hours", property(written, "delta.logRetentionDuration"));

        // Back to 7 days: the stream starting first keeps the log for the files' 10 days, until maintenance sets both.
        new StreamingJob(spark, config, EventContract.current());
        assertEquals("interval 240 hours", property(written, "delta.logRetentionDuration"));
        new MaintenanceJob(new GoldContext(spark, config)).run(DAY);
        assertEquals("interval 168 hours", property(written, "delta.deletedFileRetentionDuration"));
        assertEquals("interval 168 hours", property(written, "delta.logRetentionDuration"));
    }

    private String property(WrittenDay written, String name) {
        return io.delta.tables.DeltaTable.forPath(spark, written.paths().silverEvents()).detail().select("properties").first()
                .<String, String>getJavaMap(0).get(name);
    }

    private static JobsConfig withVacuumRetention(JobsConfig config, java.time.Duration retention) {
        JobsConfig.Gold gold = config.gold();
        return new JobsConfig(config.lakeRoot(), config.spark(), config.kafka(), config.streaming(), new JobsConfig.Gold(gold.sessionInactivityGap(),
                gold.maxSessionLength(), gold.topPages(), gold.funnels(), gold.anomalies(), retention), config.live(), config.monitoring());
    }

    @Test
    void theHourlyCompactionOfSilverLeavesOneFilePerPartitionAndVacuumsNothing() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        WrittenDay written = writeInBatches(config, 2);

        String report = new SilverCompactionJob(new GoldContext(spark, config)).run(DAY);

        assertCompacted(written, report, "compacted (\\d+) files of silver's day into (\\d+)");
        assertEquals(List.of("OPTIMIZE"), io.delta.tables.DeltaTable.forPath(spark, written.paths().silverEvents()).history(1).select("operation")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList(), "compaction only: no VACUUM");
    }
}
