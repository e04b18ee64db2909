package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chapter engagement, hourly metrics and student features from one golden input (see
 * golden/engagement/README.md for the hand computation), through silver to gold on disk.
 */
class EngagementTest {
    private static final LocalDate DAY = LocalDate.parse("2026-11-20");
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    static Path lake;
    private static JobsConfig config;
    private static LakePaths paths;

    @BeforeAll
    static void silver() throws Exception {
        SparkSession spark = SharedSpark.session();
        config = SharedSpark.config(lake);
        paths = new LakePaths(config.lakeRoot());
        new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(SharedSpark.lines("/golden/engagement/input.jsonl"), 0, Instant.now()), 0);
    }

    @Test
    void chapterEngagementEqualsHandComputedValues() throws Exception {
        ChapterEngagementJob job = new ChapterEngagementJob(new GoldContext(spark, config));
        assertEquals("2 chapters", job.run(DAY));
        assertEquals("2 chapters", job.run(DAY));
        assertEquals(expected("expected-chapters.csv"), lines(paths.goldChapterEngagement(), "metric_date", "chapter_id"));
    }

    @Test
    void hourlyMetricsHaveEveryHourAndHandComputedBusyHours() throws Exception {
        HourlyMetricsJob job = new HourlyMetricsJob(new GoldContext(spark, config));
        assertEquals("24 hours, busiest 2026-11-20T09:00:00Z with 13 events from 2 students", job.run(DAY));
        job.run(DAY);
        List<Row> hours = spark.read().format("delta").load(paths.goldHourlyMetrics()).orderBy("metric_hour").collectAsList();
        assertEquals(24, hours.size());
        assertEquals(expected("expected-hourly.csv"), hours.stream().filter(row -> row.<Long>getAs("events") > 0)
                .map(row -> line(row, List.of("metric_hour", "active_users", "events", "page_views", "clicks"))).toList());
    }

    @Test
    void studentFeaturesArePointInTimeAndEqualHandComputedValues() throws Exception {
        StudentFeaturesJob job = new StudentFeaturesJob(new GoldContext(spark, config));
        assertEquals("3 students", job.run(LocalDate.parse("2026-11-15")));
        assertEquals("3 students", job.run(DAY));
        job.run(DAY);
        assertEquals(expected("expected-features.csv"), lines(paths.goldStudentFeatures(), "feature_date", "student_id"));
    }

    /**
     * Daily figures this input exercises beyond the daily-metrics golden set: click frequency
     * (J's 2 clicks over J's 8 and K's 4 active minutes = 2/12), scroll buckets (20, 40 and 80:
     * one each in 0-25, 25-50 and 75-100) and search terms (K's "fractions").
     */
    @Test
    void dailyClickFrequencyScrollBucketsAndSearchTerms() {
        new SessionsJob(new GoldContext(spark, config)).run(DAY);
        new DailyMetricsJob(new GoldContext(spark, config)).run(DAY);
        Row metrics = GoldIo.day(spark, paths.goldDailyMetrics(), "metric_date", DAY).first();
        assertEquals(2.0 / 12, metrics.<Double>getAs("click_frequency"), 1e-12);
        assertEquals(List.of(1L, 1L, 0L, 1L), List.of(metrics.<Long>getAs("scroll_events_0_25"), metrics.<Long>getAs("scroll_events_25_50"),
                metrics.<Long>getAs("scroll_events_50_75"), metrics.<Long>getAs("scroll_events_75_100")));
        assertEquals(List.of("2026-11-20,1,fractions,1,1"), GoldIo.day(spark, paths.goldDailySearchTerms(), "metric_date", DAY)
                .collectAsList().stream().map(row -> line(row, List.of("metric_date", "rank", "term", "searches", "students"))).toList());
    }

    private List<String> lines(String table, String... order) throws Exception {
        List<String> columns = Arrays.asList(header(table));
        return spark.read().format("delta").load(table).orderBy(order[0], Arrays.copyOfRange(order, 1, order.length)).collectAsList().stream()
                .map(row -> line(row, columns)).toList();
    }

    private static String[] header(String table) throws Exception {
        String file = table.endsWith("chapter_engagement") ? "expected-chapters.csv" : "expected-features.csv";
        return SharedSpark.lines("/golden/engagement/" + file).get(0).split(",");
    }

    private static List<String> expected(String file) throws Exception {
        List<String> lines = SharedSpark.lines("/golden/engagement/" + file);
        return lines.subList(1, lines.size());
    }

    private static String line(Row row, List<String> columns) {
        return String.join(",", columns.stream().map(column -> {
            Object value = row.getAs(column);
            return value instanceof Timestamp timestamp ? timestamp.toInstant().toString() : String.valueOf(value);
        }).toList());
    }
}
