package io.clickstream.jobs.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.schema.EventContract;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Silver rebuilt from bronze equals silver as the stream wrote it. */
class ReplayJobTest {
    private static final LocalDate DAY = LocalDate.parse("2026-11-20");
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void aDayRebuiltFromBronzeIsTheSameTableAndARepeatChangesNothing() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        StreamingJob stream = new StreamingJob(spark, config, EventContract.current());
        List<String> values = new ArrayList<>(SharedSpark.lines("/golden/daily-metrics/input.jsonl"));
        values.add("{not json");
        stream.writeBatch(SharedSpark.kafkaRecords(values.subList(0, 8), 0, Instant.parse("2026-11-20T23:59:00Z")), 0);
        stream.writeBatch(SharedSpark.kafkaRecords(values.subList(8, values.size()), 8, Instant.parse("2026-11-21T00:01:00Z")), 1);
        stream.writeBatch(SharedSpark.kafkaRecords(values.subList(0, 2), 100, Instant.parse("2026-11-21T00:02:00Z")), 2);  // client retries
        List<String> asStreamed = rows(paths);
        long quarantined = spark.read().format("delta").load(paths.silverQuarantine()).count();

        spark.sql("DELETE FROM delta.`" + paths.silverEvents() + "` WHERE event_name = 'page_view'");     // damage, on both days
        ReplayJob replay = new ReplayJob(spark, config, EventContract.current());
        ReplayJob.Result result = replay.replay(DAY, DAY.plusDays(1), 7, false);

        assertEquals(values.size() + 2, result.bronzeRecords());
        assertEquals(2, result.bronzeDays(), "bronze folders of the 20th and the 21st");
        assertEquals(asStreamed, rows(paths));
        assertEquals(0, result.quarantineNew(), "the poison record was quarantined once, by the stream");

        replay.replay(DAY, DAY.plusDays(1), 7, false);
        assertEquals(asStreamed, rows(paths));
        assertEquals(quarantined, spark.read().format("delta").load(paths.silverQuarantine()).count());
    }

    @Test
    void aReplayThatWouldLoseEventsIsRefused() {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        StreamingJob stream = new StreamingJob(spark, config, EventContract.current());
        String event = "{\"event_id\":\"e1\",\"student_id\":\"s\",\"event_name\":\"click\",\"page_url\":\"/\",\"session_id\":\"q\","
                + "\"timestamp\":\"2026-11-20T10:00:00Z\"}";
        stream.writeBatch(SharedSpark.kafkaRecords(List.of(event), 0, Instant.parse("2026-11-20T10:00:01Z")), 0);
        spark.read().format("delta").load(paths.silverEvents()).selectExpr("*").drop("event_id")
                .withColumn("event_id", org.apache.spark.sql.functions.lit("written-another-way"))
                .write().format("delta").mode("append").save(paths.silverEvents());

        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> new ReplayJob(spark, config, EventContract.current()).replay(DAY, DAY, 7, false));
        assertTrue(refused.getMessage().contains("bronze gives 1 events") && refused.getMessage().contains("silver has 2"), refused.getMessage());
        assertEquals(2, spark.read().format("delta").load(paths.silverEvents()).count(), "nothing replaced");
    }

    private List<String> rows(LakePaths paths) {
        Dataset<Row> silver = spark.read().format("delta").load(paths.silverEvents());
        return silver.select(silver.columns()[0], java.util.Arrays.copyOfRange(silver.columns(), 1, silver.columns().length))
                .orderBy("event_id").collectAsList().stream().map(Row::toString).toList();
    }
}
