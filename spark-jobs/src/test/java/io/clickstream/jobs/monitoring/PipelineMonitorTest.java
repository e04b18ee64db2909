package io.clickstream.jobs.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import io.clickstream.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real stream watched by the monitor: Prometheus text over HTTP, rows in pipeline_metrics, and the checkpoint status reads. */
class PipelineMonitorTest {
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void eachBatchIsReportedAsMetricsAndAsATableRow() throws Exception {
        JobsConfig base = SharedSpark.config(lake);
        JobsConfig config = new JobsConfig(base.lakeRoot(), base.spark(), base.kafka(), base.streaming(), base.gold(), base.live(),
                new JobsConfig.Monitoring("127.0.0.1", 0, Duration.ofHours(1)));
        LakePaths paths = new LakePaths(config.lakeRoot());
        List<String> values = new java.util.ArrayList<>(SharedSpark.lines("/golden/daily-metrics/input.jsonl"));
        values.add("{not json");
        SharedSpark.kafkaRecords(values, 0, Instant.parse("2026-11-21T00:00:00Z")).write().parquet(lake.resolve("in").toString());

        StreamingJob job = new StreamingJob(spark, config, EventContract.current());
        try (PipelineMonitor monitor = PipelineMonitor.start(spark, config, job::result)) {
            Dataset<Row> input = spark.readStream().schema(SharedSpark.KAFKA_RECORD)
                    .parquet(lake.resolve("in").toString());
            StreamingQuery query = job.start(input, Trigger.AvailableNow());
            query.awaitTermination();
            Await.until("the batch's report", Duration.ofSeconds(30), () -> monitor.scrape().contains("layer=\"bronze\""), true);

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.port() + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("clickstream_stream_rows_written_total{layer=\"bronze\",query=\"clickstream_lake\"} " + values.size() + ".0"),
                    metrics);
            assertTrue(metrics.contains("clickstream_stream_rows_written_total{layer=\"quarantine\",query=\"clickstream_lake\"} 1.0"), metrics);
            assertTrue(metrics.contains("clickstream_stream_batch_duration_seconds{query=\"clickstream_lake\"}"), metrics);
            assertTrue(metrics.contains("clickstream_stream_consumer_lag_records{query=\"clickstream_lake\"} 0.0"), metrics);

            monitor.writeTable();
            Row row = spark.read().format("delta").load(paths.pipelineMetrics()).where("query = 'clickstream_lake'").first();
            assertEquals(values.size(), row.<Long>getAs("input_rows"));
            assertEquals(values.size() - 1, row.<Long>getAs("silver_appended") + row.<Long>getAs("silver_merged"));
            assertEquals(1, row.<Long>getAs("quarantined"));
        }

        org.apache.hadoop.fs.Path checkpoint = new org.apache.hadoop.fs.Path(paths.checkpoint(StreamingJob.QUERY_NAME));
        PipelineStatus.QueryState state = PipelineStatus.lastCommitted(FileSystem.getLocal(new org.apache.hadoop.conf.Configuration()),
                checkpoint).orElseThrow();
        assertEquals(StreamingJob.QUERY_NAME, state.query());
        assertEquals(0, state.batchId());
        assertTrue(Duration.between(state.batchTime(), Instant.now()).toMinutes() < 5, state.toString());
    }
}
