package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.clickstream.jobs.lake.Tables;
import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Gold daily metrics and top pages for a day, replacing exactly that day. Reads the day's gold
 * sessions, so the sessions job runs first (as {@code bin/clickstream job gold} and the Airflow DAG do).
 */
public final class DailyMetricsJob extends GoldJob {
    public DailyMetricsJob(GoldContext context) {
        super(context);
        Tables.createIfNotExists(spark, paths.goldDailyMetrics(), DailyMetrics.METRICS_TABLE,
                "Gold: one row of engagement metrics per UTC day.", "metric_date");
        Tables.createIfNotExists(spark, paths.goldDailyTopPages(), DailyMetrics.TOP_PAGES_TABLE,
                "Gold: the most viewed pages per UTC day.", "metric_date");
        Tables.createIfNotExists(spark, paths.goldDailySearchTerms(), DailyMetrics.SEARCH_TERMS_TABLE,
                "Gold: the most searched terms per UTC day.", "metric_date");
    }

    @Override
    public String name() {
        return "daily-metrics";
    }

    /** Computes one day and replaces that day's rows; running it twice leaves the same tables. */
    @Override
    public String run(LocalDate day) {
        if (!DeltaTable.isDeltaTable(spark, paths.goldSessions())) {
            throw new IllegalStateException("no gold sessions table at " + paths.goldSessions() + ": run the sessions job first"
                    + " (bin/clickstream job gold --date " + day + " runs both in order)");
        }
        Dataset<Row> daySessions = GoldIo.day(spark, paths.goldSessions(), "session_date", day);
        Dataset<Row> dayEvents = context.aroundDay(day).where(col("event_date").equalTo(lit(java.sql.Date.valueOf(day))));
        // Rolling active users need only who was active on which day, a narrow read of 30 days.
        Dataset<Row> activeDays = context.silver(day.minusDays(29), day).select("student_id", "event_date");
        GoldIo.replaceDay(DailyMetrics.metrics(dayEvents, activeDays, daySessions, day), paths.goldDailyMetrics(), "metric_date", day);
        GoldIo.replaceDay(DailyMetrics.topPages(dayEvents, day, config.gold().topPages()), paths.goldDailyTopPages(), "metric_date", day);
        GoldIo.replaceDay(DailyMetrics.searchTerms(dayEvents, day, config.gold().topPages()), paths.goldDailySearchTerms(), "metric_date", day);
        Row row = GoldIo.day(spark, paths.goldDailyMetrics(), "metric_date", day).first();
        return String.format("%d active users, %d sessions, %d page views, %d events", row.<Long>getAs("active_users"),
                row.<Long>getAs("sessions"), row.<Long>getAs("page_views"), row.<Long>getAs("events"));
    }
}
