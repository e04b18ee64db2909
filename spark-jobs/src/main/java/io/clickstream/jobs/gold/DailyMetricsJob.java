package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.jobs.lake.Tables;
import io.delta.tables.DeltaTable;
import java.io.File;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Gold daily metrics and top pages for a date or a date range, replacing exactly those dates.
 *
 * <p>How to run: {@code bin/clickstream job daily-metrics --date 2026-11-20 [--to 2026-11-22]}.
 * Prints one line per day: {@code daily-metrics 2026-11-20: 42 active users, 57 sessions, 310 page views}.
 */
public final class DailyMetricsJob {
    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;

    public DailyMetricsJob(SparkSession spark, JobsConfig config) {
        this.spark = spark;
        this.config = config;
        this.paths = new LakePaths(config.lakeRoot());
        Tables.createIfNotExists(spark, paths.goldDailyMetrics(), DailyMetrics.METRICS_TABLE,
                "Gold: one row of engagement metrics per UTC day.", "metric_date");
        Tables.createIfNotExists(spark, paths.goldDailyTopPages(), DailyMetrics.TOP_PAGES_TABLE,
                "Gold: the most viewed pages per UTC day.", "metric_date");
    }

    /** Computes one day and replaces that day's rows; running it twice leaves the same tables. */
    public Row run(LocalDate day) {
        if (!DeltaTable.isDeltaTable(spark, paths.silverEvents())) {
            throw new IllegalStateException("no silver table at " + paths.silverEvents() + ": start the streaming job first");
        }
        Dataset<Row> events = spark.read().format("delta").load(paths.silverEvents())
                .where(col("event_date").equalTo(lit(java.sql.Date.valueOf(day))))
                .persist();
        try {
            Dataset<Row> metrics = DailyMetrics.metrics(events, day, config.gold().sessionInactivityGap());
            Dataset<Row> topPages = DailyMetrics.topPages(events, day, config.gold().topPages());
            String onlyThisDay = "metric_date = DATE'" + day + "'";
            metrics.write().format("delta").mode(SaveMode.Overwrite).option("replaceWhere", onlyThisDay).save(paths.goldDailyMetrics());
            topPages.write().format("delta").mode(SaveMode.Overwrite).option("replaceWhere", onlyThisDay).save(paths.goldDailyTopPages());
            return spark.read().format("delta").load(paths.goldDailyMetrics()).where(onlyThisDay).first();
        }
        finally {
            events.unpersist();
        }
    }

    public static void main(String[] args) {
        LocalDate from = null;
        LocalDate to = null;
        File configFile = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--date", "--from" -> from = LocalDate.parse(args[++i]);
                    case "--to" -> to = LocalDate.parse(args[++i]);
                    case "--config" -> configFile = new File(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (from == null) {
                throw new IllegalArgumentException("--date YYYY-MM-DD is required");
            }
        }
        catch (IllegalArgumentException | ArrayIndexOutOfBoundsException | DateTimeParseException e) {
            System.err.println("daily-metrics: " + e.getMessage());
            System.err.println("usage: daily-metrics --date YYYY-MM-DD [--to YYYY-MM-DD] [--config FILE]");
            System.exit(2);
            return;
        }
        to = to == null ? from : to;
        JobsConfig config = JobsConfig.load(configFile);
        SparkSession spark = Sparks.session("clickstream-daily-metrics", config.spark());
        DailyMetricsJob job = new DailyMetricsJob(spark, config);
        for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
            Row row = job.run(day);
            System.out.printf("daily-metrics %s: %d active users, %d sessions, %d page views, %d events%n",
                    day, row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4));
        }
        spark.stop();
    }
}
