package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.apache.spark.sql.Dataset;
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
        SessionsJob sessions = new SessionsJob(new GoldContext(spark, config));
        DailyMetricsJob job = new DailyMetricsJob(new GoldContext(spark, config));
        for (String day : List.of("2026-11-20", "2026-11-21", "2026-11-20")) {   // the second 11-20 must replace, not add
            sessions.run(LocalDate.parse(day));
            job.run(LocalDate.parse(day));
        }

        LakePaths paths = new LakePaths(config.lakeRoot());
        List<String> columns = List.of("metric_date", "active_users", "active_users_7d", "active_users_28d", "active_users_30d", "sessions",
                "avg_session_seconds", "median_session_seconds", "bounce_rate", "page_views", "events", "clicks", "video_plays",
                "video_completions", "quiz_submissions", "searches", "click_frequency", "scroll_events_0_25", "scroll_events_25_50",
                "scroll_events_50_75", "scroll_events_75_100");
        List<String> actualMetrics = new ArrayList<>();
        for (Row row : spark.read().format("delta").load(paths.goldDailyMetrics()).orderBy("metric_date").collectAsList()) {
            actualMetrics.add(String.join(" ", columns.stream().map(column -> String.valueOf(row.<Object>getAs(column))).toList()));
        }
        List<String> expectedMetrics = new ArrayList<>();
        for (String line : SharedSpark.lines("/golden/daily-metrics/expected-metrics.json")) {
            JsonNode e = mapper.readTree(line);
            expectedMetrics.add(String.join(" ", columns.stream().map(column -> e.get(column).asText()).toList()));
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
        new SessionsJob(new GoldContext(spark, config)).run(LocalDate.parse("2026-01-01"));
        assertEquals("0 active users, 0 sessions, 0 page views, 0 events", new DailyMetricsJob(new GoldContext(spark, config)).run(LocalDate.parse("2026-01-01")));
        Row row = spark.read().format("delta").load(new LakePaths(config.lakeRoot()).goldDailyMetrics()).first();
        assertEquals(0L, row.<Long>getAs("active_users_30d"));
        assertTrue(row.isNullAt(row.fieldIndex("bounce_rate")), "no sessions: no bounce rate");
    }

    @Test
    void theTopListsTakeTheBestNBeforeTheirOneUnpartitionedWindow() {
        // Ranking a whole day in one window would move every page (or term) to one task; Spark takes the best N first
        // (a top-N sort, or a limit per window group), which is why the jobs' logging silences WindowExec's warning.
        Dataset<Row> events = spark.sql("SELECT IF(id % 2 = 0, 'page_view', 'search') AS event_name, concat('/page/', id % 40) AS page_url, "
                + "concat('term ', id % 30) AS query, concat('student-', id % 7) AS student_id FROM range(0, 2000, 1, 4)");
        LocalDate day = LocalDate.parse("2026-11-20");
        for (Dataset<Row> top : List.of(DailyMetrics.topPages(events, day, 5), DailyMetrics.searchTerms(events, day, 5))) {
            String plan = top.queryExecution().executedPlan().toString();
            assertTrue(plan.contains("TakeOrderedAndProject(limit=5,") || plan.contains("WindowGroupLimit"), plan);
            assertEquals(List.of(1, 2, 3, 4, 5), top.collectAsList().stream().map(row -> row.<Integer>getAs("rank")).toList());
        }
    }
}
