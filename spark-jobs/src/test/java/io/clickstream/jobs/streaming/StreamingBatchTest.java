package io.clickstream.jobs.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.schema.EventContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Micro-batches written to real Delta tables and bronze files on disk, including replays. */
class StreamingBatchTest {
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void batchLandsInEveryLayerAndAReplayChangesNothing() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        StreamingJob job = new StreamingJob(spark, config, EventContract.current());
        LakePaths paths = new LakePaths(config.lakeRoot());
        List<String> values = new java.util.ArrayList<>(SharedSpark.lines("/golden/daily-metrics/input.jsonl"));
        values.add(values.get(0));                       // a client retry: same event_id again
        values.add("{not json");                         // poison
        values.add("{\"event_id\":\"x1\",\"student_id\":\"s\",\"event_name\":\"click\",\"page_url\":\"/\","
                + "\"session_id\":\"q\",\"timestamp\":\"half past nine\"}");   // bad timestamp
        Dataset<Row> batch = SharedSpark.kafkaRecords(values, 100, Instant.parse("2026-11-21T01:02:03Z"));

        job.writeBatch(batch, 7);
        job.writeBatch(batch, 7);                        // replay after a crash

        Dataset<Row> silver = spark.read().format("delta").load(paths.silverEvents());
        assertEquals(11, silver.count());
        assertEquals(11, silver.select("event_id").distinct().count());
        Row a5 = silver.where("event_id = 'a5'").first();
        assertEquals(12.5, a5.<Double>getAs("duration"));
        assertEquals("2026-11-20", a5.getAs("event_date").toString());
        assertEquals("2026-11-20 09:05:00.0", a5.getAs("event_timestamp").toString());

        Dataset<Row> quarantine = spark.read().format("delta").load(paths.silverQuarantine());
        assertEquals(2, quarantine.count());
        assertEquals(List.of("not a JSON event object, or event_id missing", "timestamp missing or not a date-time"),
                quarantine.orderBy("kafka_offset").select("reason").as(org.apache.spark.sql.Encoders.STRING()).collectAsList());

        Path day = lake.resolve("raw/clickstream/2026/11/21");
        List<Path> files = gzipFiles(day);
        assertEquals(1, Files.list(day).count(), "a replay must reuse the batch folder");
        assertTrue(!files.isEmpty());
        assertEquals(values.size(), spark.read().option("recursiveFileLookup", "true").json(day.toString()).count());
    }

    @Test
    void laterBatchWithAnAlreadyStoredEventIdAddsNothing() {
        JobsConfig config = SharedSpark.config(lake);
        StreamingJob job = new StreamingJob(spark, config, EventContract.current());
        String event = "{\"event_id\":\"dup-1\",\"student_id\":\"s\",\"event_name\":\"click\",\"page_url\":\"/\","
                + "\"session_id\":\"q\",\"timestamp\":\"2026-11-20T10:00:00Z\"}";
        job.writeBatch(SharedSpark.kafkaRecords(List.of(event), 0, Instant.parse("2026-11-20T10:00:01Z")), 0);
        job.writeBatch(SharedSpark.kafkaRecords(List.of(event), 1, Instant.parse("2026-11-20T10:00:02Z")), 1);
        assertEquals(1, spark.read().format("delta").load(new LakePaths(config.lakeRoot()).silverEvents()).count());
    }

    @Test
    void realStreamRunsEveryBatchThroughTheSameWritesAndRestartsFromItsCheckpoint() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        Path incoming = lake.resolve("incoming");
        List<String> values = SharedSpark.lines("/golden/daily-metrics/input.jsonl");
        SharedSpark.kafkaRecords(values.subList(0, 6), 0, Instant.parse("2026-11-20T12:00:00Z"))
                .write().parquet(incoming.resolve("part1").toString());

        runAvailableNow(config, incoming);
        assertEquals(6, spark.read().format("delta").load(paths.silverEvents()).count());

        // New input, then a restart: the checkpoint skips what was done and takes only the new records.
        SharedSpark.kafkaRecords(values.subList(6, values.size()), 6, Instant.parse("2026-11-20T12:00:01Z"))
                .write().parquet(incoming.resolve("part2").toString());
        runAvailableNow(config, incoming);
        assertEquals(values.size(), spark.read().format("delta").load(paths.silverEvents()).count());
        assertEquals(values.size(), spark.read().option("recursiveFileLookup", "true")
                .json(lake.resolve("raw/clickstream/2026/11/20").toString()).count());
    }

    private void runAvailableNow(JobsConfig config, Path incoming) throws Exception {
        Dataset<Row> stream = spark.readStream().schema(SharedSpark.kafkaRecords(List.of(), 0, Instant.now()).schema())
                .option("recursiveFileLookup", "true").parquet(incoming.toString());
        org.apache.spark.sql.streaming.StreamingQuery query = new StreamingJob(spark, config, EventContract.current())
                .start(stream, org.apache.spark.sql.streaming.Trigger.AvailableNow());
        query.awaitTermination();
        assertTrue(query.exception().isEmpty(), () -> query.exception().get().toString());
    }

    private static List<Path> gzipFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.toString().endsWith(".json.gz")).toList();
        }
    }
}
