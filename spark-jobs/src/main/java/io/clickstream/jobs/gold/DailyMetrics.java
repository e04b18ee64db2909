package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.time.LocalDate;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Daily metrics from silver events and gold sessions. Pure: tests feed it small data sets.
 *
 * <p>Session figures come from the day's plausible sessions (those starting that UTC day; see
 * {@link Sessions}); event figures from the day's events; rolling active users from the events of
 * the 7, 28 and 30 days ending with the day.
 */
public final class DailyMetrics {
    public static final StructType METRICS_TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day the metrics describe; partition column.")
            .add("active_users", DataTypes.LongType, false, "DAU: distinct pseudonymised students with at least one event that day.")
            .add("active_users_7d", DataTypes.LongType, false, "WAU: distinct students with an event in the 7 days ending that day.")
            .add("active_users_28d", DataTypes.LongType, false, "Distinct students with an event in the 28 days ending that day.")
            .add("active_users_30d", DataTypes.LongType, false, "MAU: distinct students with an event in the 30 days ending that day.")
            .add("sessions", DataTypes.LongType, false, "Plausible sessions starting that day (gold sessions).")
            .add("avg_session_seconds", DataTypes.DoubleType, true, "Mean session duration in seconds; null without sessions.")
            .add("median_session_seconds", DataTypes.DoubleType, true, "Median session duration in seconds (exact); null without sessions.")
            .add("bounce_rate", DataTypes.DoubleType, true, "Share of sessions that bounced (one page, no interaction), 0 to 1; null without sessions.")
            .add("page_views", DataTypes.LongType, false, "Events named page_view.")
            .add("events", DataTypes.LongType, false, "All events.")
            .add("clicks", DataTypes.LongType, false, "Events named click.")
            .add("video_plays", DataTypes.LongType, false, "Events named video_play.")
            .add("video_completions", DataTypes.LongType, false, "Events named video_complete.")
            .add("quiz_submissions", DataTypes.LongType, false, "Events named quiz_submit.")
            .add("searches", DataTypes.LongType, false, "Events named search.")
            .add("click_frequency", DataTypes.DoubleType, true,
                    "Clicks per active minute per active student: clicks / the students' distinct active minutes; null without activity.")
            .add("scroll_events_0_25", DataTypes.LongType, false, "scroll events with scroll_depth from 0 to under 25 percent.")
            .add("scroll_events_25_50", DataTypes.LongType, false, "scroll events with scroll_depth from 25 to under 50 percent.")
            .add("scroll_events_50_75", DataTypes.LongType, false, "scroll events with scroll_depth from 50 to under 75 percent.")
            .add("scroll_events_75_100", DataTypes.LongType, false, "scroll events with scroll_depth from 75 to 100 percent.")
            .add("computed_at", DataTypes.TimestampType, false, "When this row was computed.");

    public static final StructType SEARCH_TERMS_TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day; partition column.")
            .add("rank", DataTypes.IntegerType, false, "1 = most searched; ties broken by the term.")
            .add("term", DataTypes.StringType, false, "metadata.query of search events, lower-cased, trimmed, inner spaces collapsed.")
            .add("searches", DataTypes.LongType, false, "search events with the term.")
            .add("students", DataTypes.LongType, false, "Distinct students who searched for it.");

    public static final StructType TOP_PAGES_TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day; partition column.")
            .add("rank", DataTypes.IntegerType, false, "1 = most page views; ties broken by page_url.")
            .add("page_url", DataTypes.StringType, false, "The page.")
            .add("page_views", DataTypes.LongType, false, "page_view events on the page.")
            .add("visitors", DataTypes.LongType, false, "Distinct students who viewed the page.");

    private DailyMetrics() {}

    /**
     * Exactly one row for the day, zeros when the day had no events. {@code dayEvents}: the day's
     * events in sessions ({@link Sessions#assign}); {@code activeDays}: {@code student_id} and
     * {@code event_date} of the events of the 30 days ending with {@code day}; {@code daySessions}:
     * the day's plausible sessions.
     */
    public static Dataset<Row> metrics(Dataset<Row> dayEvents, Dataset<Row> activeDays, Dataset<Row> daySessions, LocalDate day) {
        // Rolling active users from each student's last active day (one row per student) instead of
        // several distinct counts over 30 days of events, which would make Spark expand every event.
        Dataset<Row> activeUsers = activeDays.groupBy("student_id").agg(max("event_date").as("last_active")).agg(
                activeSince(day, 0).as("active_users"),
                activeSince(day, 6).as("active_users_7d"),
                activeSince(day, 27).as("active_users_28d"),
                activeSince(day, 29).as("active_users_30d"));
        Dataset<Row> eventTotals = dayEvents.agg(
                GoldColumns.count(null).as("events"),
                GoldColumns.count("page_view").as("page_views"),
                GoldColumns.count("click").as("clicks"),
                GoldColumns.count("video_play").as("video_plays"),
                GoldColumns.count("video_complete").as("video_completions"),
                GoldColumns.count("quiz_submit").as("quiz_submissions"),
                GoldColumns.count("search").as("searches"),
                scrollBucket(0, 25).as("scroll_events_0_25"),
                scrollBucket(25, 50).as("scroll_events_25_50"),
                scrollBucket(50, 75).as("scroll_events_50_75"),
                scrollBucket(75, 101).as("scroll_events_75_100"),
                // A student's minutes in time order: counting the minutes each starts counts the distinct ones, without a distinct.
                GoldColumns.distinctUnits("minute").as("active_minutes"))
                .crossJoin(activeUsers);
        Dataset<Row> sessionTotals = daySessions.agg(
                count(lit(1)).as("sessions"),
                avg("duration_seconds").as("avg_session_seconds"),
                expr("percentile(duration_seconds, 0.5)").as("median_session_seconds"),
                avg(when(col("bounce"), 1.0).otherwise(0.0)).as("bounce_rate"));
        return eventTotals.crossJoin(sessionTotals).select(
                lit(java.sql.Date.valueOf(day)).as("metric_date"),
                col("active_users"),
                col("active_users_7d"),
                col("active_users_28d"),
                col("active_users_30d"),
                col("sessions"),
                col("avg_session_seconds"),
                col("median_session_seconds"),
                col("bounce_rate"),
                col("page_views"),
                col("events"),
                col("clicks"),
                col("video_plays"),
                col("video_completions"),
                col("quiz_submissions"),
                col("searches"),
                when(col("active_minutes").gt(0), col("clicks").cast("double").divide(col("active_minutes"))).as("click_frequency"),
                col("scroll_events_0_25"),
                col("scroll_events_25_50"),
                col("scroll_events_50_75"),
                col("scroll_events_75_100"),
                current_timestamp().as("computed_at"));
    }

    /** Students whose last active day is at most {@code daysBefore} days before {@code day}. */
    private static Column activeSince(LocalDate day, int daysBefore) {
        return coalesce(sum(when(col("last_active").geq(lit(java.sql.Date.valueOf(day.minusDays(daysBefore)))), 1L).otherwise(0L)), lit(0L));
    }

    /** The day's scroll events with {@code from <= scroll_depth < to}. */
    private static Column scrollBucket(int from, int to) {
        Column inBucket = col("event_name").equalTo("scroll").and(col("scroll_depth").geq(from)).and(col("scroll_depth").lt(to));
        return coalesce(sum(when(inBucket, 1L).otherwise(0L)), lit(0L));
    }

    /** The day's most searched terms, at most {@code limit}. */
    public static Dataset<Row> searchTerms(Dataset<Row> events, LocalDate day, int limit) {
        Dataset<Row> perTerm = events.where(col("event_name").equalTo("search").and(col("query").isNotNull()))
                .withColumn("term", regexp_replace(trim(lower(col("query"))), "\\s+", " "))
                .where(col("term").notEqual(""))
                .groupBy("term")
                .agg(count(lit(1)).as("searches"), countDistinct("student_id").as("students"));
        return perTerm
                .withColumn("rank", row_number().over(Window.orderBy(desc("searches"), col("term"))))
                .where(col("rank").leq(limit))
                .select(lit(java.sql.Date.valueOf(day)).as("metric_date"), col("rank"), col("term"), col("searches"), col("students"));
    }

    /** The day's most viewed pages, best first, at most {@code limit}. */
    public static Dataset<Row> topPages(Dataset<Row> events, LocalDate day, int limit) {
        Dataset<Row> perPage = events.where(col("event_name").equalTo("page_view"))
                .groupBy("page_url")
                .agg(count(lit(1)).as("page_views"), countDistinct("student_id").as("visitors"));
        return perPage
                .withColumn("rank", row_number().over(Window.orderBy(desc("page_views"), col("page_url"))))
                .where(col("rank").leq(limit))
                .select(lit(java.sql.Date.valueOf(day)).as("metric_date"), col("rank"), col("page_url"), col("page_views"), col("visitors"));
    }
}
