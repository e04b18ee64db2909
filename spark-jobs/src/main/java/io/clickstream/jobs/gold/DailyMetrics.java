package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.when;

import java.time.Duration;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Daily metrics from one day of silver events. Pure: tests feed it a small data set.
 *
 * <p>A session is a run of one student's events with no gap longer than the inactivity gap; its
 * duration is last event time minus first event time (a single-event session lasts 0 s).
 */
public final class DailyMetrics {
    public static final StructType METRICS_TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day the metrics describe; partition column.")
            .add("active_users", DataTypes.LongType, false, "Distinct pseudonymised students with at least one event.")
            .add("sessions", DataTypes.LongType, false, "Sessions: runs of a student's events without an inactivity gap.")
            .add("page_views", DataTypes.LongType, false, "Events named page_view.")
            .add("events", DataTypes.LongType, false, "All events.")
            .add("avg_session_seconds", DataTypes.DoubleType, true, "Mean session duration in seconds; null without sessions.")
            .add("computed_at", DataTypes.TimestampType, false, "When this row was computed.");

    public static final StructType TOP_PAGES_TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day; partition column.")
            .add("rank", DataTypes.IntegerType, false, "1 = most page views; ties broken by page_url.")
            .add("page_url", DataTypes.StringType, false, "The page.")
            .add("page_views", DataTypes.LongType, false, "page_view events on the page.")
            .add("visitors", DataTypes.LongType, false, "Distinct students who viewed the page.");

    private DailyMetrics() {}

    /** One row per session: student, session number, start, end, duration, events. */
    public static Dataset<Row> sessions(Dataset<Row> events, Duration inactivityGap) {
        WindowSpec byStudent = Window.partitionBy("student_id").orderBy("event_timestamp", "event_id");
        long gapMicros = inactivityGap.toNanos() / 1_000;
        Dataset<Row> marked = events
                .withColumn("previous_timestamp", lag("event_timestamp", 1).over(byStudent))
                .withColumn("starts_session", when(col("previous_timestamp").isNull()
                        .or(unix_micros(col("event_timestamp")).minus(unix_micros(col("previous_timestamp"))).gt(gapMicros)), 1).otherwise(0))
                .withColumn("session_number", sum("starts_session").over(byStudent.rowsBetween(Window.unboundedPreceding(), Window.currentRow())));
        return marked.groupBy("student_id", "session_number").agg(
                min("event_timestamp").as("session_start"),
                max("event_timestamp").as("session_end"),
                count(lit(1)).as("session_events"))
                .withColumn("session_seconds",
                        unix_micros(col("session_end")).minus(unix_micros(col("session_start"))).cast("double").divide(1_000_000.0));
    }

    /** Exactly one row for the day, zeros when the day had no events. */
    public static Dataset<Row> metrics(Dataset<Row> events, LocalDate day, Duration inactivityGap) {
        Dataset<Row> eventTotals = events.agg(
                countDistinct("student_id").as("active_users"),
                sum(when(col("event_name").equalTo("page_view"), 1L).otherwise(0L)).as("page_views"),
                count(lit(1)).as("events"));
        Dataset<Row> sessionTotals = sessions(events, inactivityGap).agg(
                count(lit(1)).as("sessions"),
                avg("session_seconds").as("avg_session_seconds"));
        return eventTotals.crossJoin(sessionTotals).select(
                lit(java.sql.Date.valueOf(day)).as("metric_date"),
                col("active_users"),
                col("sessions"),
                // sum over no rows is null: a quiet day has 0 page views, not an unknown number.
                org.apache.spark.sql.functions.coalesce(col("page_views"), lit(0L)).as("page_views"),
                col("events"),
                col("avg_session_seconds"),
                current_timestamp().as("computed_at"));
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
