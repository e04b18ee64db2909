package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden data through silver to gold on disk; the expected files were computed by hand (see the golden README). */
class DailyMetricsTest {
    private final SparkSession spark = SharedSpark.session();
    private final ObjectMapper mapper = new ObjectMapper();

    @TempDir
    Path lake;

    @Test
    void goldEqualsHandComputedValuesAndReRunsReplaceOnlyTheirDay() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(SharedSpark.lines("/golden/daily-metrics/input.jsonl"), 0, Instant.now()), 0);
        DailyMetricsJob job = new DailyMetricsJob(spark, config);
        job.run(LocalDate.parse("2026-11-20"));
        job.run(LocalDate.parse("2026-11-21"));
        job.run(LocalDate.parse("2026-11-20"));          // re-run: must replace, not add

        LakePaths paths = new LakePaths(config.lakeRoot());
        List<String> actualMetrics = new ArrayList<>();
        for (Row row : spark.read().format("delta").load(paths.goldDailyMetrics()).orderBy("metric_date").collectAsList()) {
            actualMetrics.add(row.getAs("metric_date") + " " + row.getAs("active_users") + " " + row.getAs("sessions") + " "
                    + row.getAs("page_views") + " " + row.getAs("events") + " " + row.getAs("avg_session_seconds"));
        }
        List<String> expectedMetrics = new ArrayList<>();
        for (String line : SharedSpark.lines("/golden/daily-metrics/expected-metrics.json")) {
            JsonNode e = mapper.readTree(line);
            expectedMetrics.add(e.get("metric_date").asText() + " " + e.get("active_users").asLong() + " " + e.get("sessions").asLong() + " "
                    + e.get("page_views").asLong() + " " + e.get("events").asLong() + " " + e.get("avg_session_seconds").asDouble());
        }
        assertEquals(expectedMetrics, actualMetrics);

        List<String> actualTop = spark.read().format("delta").load(paths.goldDailyTopPages()).orderBy("metric_date", "rank")
                .collectAsList().stream().map(row -> row.getAs("metric_date") + "," + row.getAs("rank") + "," + row.getAs("page_url") + ","
                        + row.getAs("page_views") + "," + row.getAs("visitors")).toList();
        List<String> expectedTop = SharedSpark.lines("/golden/daily-metrics/expected-top-pages.csv");
        assertEquals(expectedTop.subList(1, expectedTop.size()), actualTop);
    }

    @Test
    void aDayWithoutEventsHasOneRowOfZeros() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        new StreamingJob(spark, config, EventContract.current());
        Row row = new DailyMetricsJob(spark, config).run(LocalDate.parse("2026-01-01"));
        assertEquals(0L, row.<Long>getAs("active_users"));
        assertEquals(0L, row.<Long>getAs("sessions"));
        assertEquals(0L, row.<Long>getAs("page_views"));
    }
}
