package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.time.LocalDate;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The ML feature table: one row per student and day, for every student with an event in the 28
 * days ending with the day. Point-in-time correct: a day's row is computed only from events up to
 * the end of that day (the job reads nothing later), so training on past rows never sees the future.
 * Pure.
 */
public final class StudentFeatures {
    public static final StructType TABLE = new StructType()
            .add("feature_date", DataTypes.DateType, false, "The UTC day the features describe, as of its end; partition column.")
            .add("student_id", DataTypes.StringType, false, "Pseudonymised student (HMAC-SHA256, as in silver).")
            .add("events", DataTypes.LongType, false, "Events on the day.")
            .add("clicks", DataTypes.LongType, false, "click events on the day.")
            .add("active_minutes", DataTypes.LongType, false, "Distinct clock minutes (UTC) with at least one event on the day.")
            .add("sessions", DataTypes.LongType, false, "Sessions starting on the day (30-minute inactivity gap, as gold sessions).")
            .add("avg_scroll_depth", DataTypes.DoubleType, true, "Mean scroll_depth (percent) of the day's scroll events; null without any.")
            .add("video_completion_ratio", DataTypes.DoubleType, true, "video_complete / video_play events on the day; null without plays.")
            .add("quiz_attempts", DataTypes.LongType, false, "quiz_submit events on the day.")
            .add("searches", DataTypes.LongType, false, "search events on the day.")
            .add("click_frequency", DataTypes.DoubleType, true, "clicks per active minute on the day; null without active minutes.")
            .add("days_since_last_activity", DataTypes.IntegerType, false, "Days from the last day with an event (up to this day) to this day; 0 when active today.")
            .add("events_7d", DataTypes.LongType, false, "Events in the 7 days ending with the day.")
            .add("events_28d", DataTypes.LongType, false, "Events in the 28 days ending with the day.")
            .add("active_days_7d", DataTypes.LongType, false, "Days with an event among the 7 ending with the day.")
            .add("active_days_28d", DataTypes.LongType, false, "Days with an event among the 28 ending with the day.")
            .add("active_minutes_7d", DataTypes.LongType, false, "Sum of active_minutes over the 7 days ending with the day.")
            .add("active_minutes_28d", DataTypes.LongType, false, "Sum of active_minutes over the 28 days ending with the day.")
            .add("sessions_7d", DataTypes.LongType, false, "Sessions starting in the 7 days ending with the day.")
            .add("sessions_28d", DataTypes.LongType, false, "Sessions starting in the 28 days ending with the day.")
            .add("quiz_attempts_7d", DataTypes.LongType, false, "quiz_submit events in the 7 days ending with the day.")
            .add("quiz_attempts_28d", DataTypes.LongType, false, "quiz_submit events in the 28 days ending with the day.")
            .add("video_completions_7d", DataTypes.LongType, false, "video_complete events in the 7 days ending with the day.")
            .add("video_completions_28d", DataTypes.LongType, false, "video_complete events in the 28 days ending with the day.")
            .add("computed_at", DataTypes.TimestampType, false, "When this row was computed.");

    /** Days of events a row depends on: the day and the 27 before it. */
    public static final int LOOK_BACK_DAYS = 27;

    private StudentFeatures() {}

    /**
     * @param earlier silver events from {@code day - 27} to {@code day - 1}, in sessions ({@link Sessions#assign})
     * @param aroundDay silver events of the day before {@code day} to the day after, in sessions; only
     *     the day's rows are read, and they only look back (to their previous event), so nothing
     *     after the day counts
     */
    public static Dataset<Row> compute(Dataset<Row> earlier, Dataset<Row> aroundDay, LocalDate day) {
        Column[] columns = {col("student_id"), col("event_date"), col("event_timestamp"), col("event_name"), col("scroll_depth"),
                col("previous_timestamp"), col("starts_session")};
        Dataset<Row> events = earlier.select(columns)
                .unionByName(aroundDay.where(col("event_date").equalTo(lit(java.sql.Date.valueOf(day)))).select(columns));
        // A session counts on the day it starts; within 28 days, the first day's first event starts one.
        Dataset<Row> perDay = events.groupBy("student_id", "event_date").agg(
                count(lit(1)).as("events"),
                GoldColumns.count("click").as("clicks"),
                GoldColumns.distinctUnits("minute").as("active_minutes"),
                sum("starts_session").cast("long").as("sessions"),
                GoldColumns.count("video_play").as("video_plays"),
                GoldColumns.count("video_complete").as("video_completions"),
                GoldColumns.count("quiz_submit").as("quiz_attempts"),
                GoldColumns.count("search").as("searches"),
                sum(when(col("event_name").equalTo("scroll"), col("scroll_depth"))).as("scroll_sum"),
                count(when(col("event_name").equalTo("scroll").and(col("scroll_depth").isNotNull()), 1)).as("scrolls"));
        Column today = col("event_date").equalTo(lit(java.sql.Date.valueOf(day)));
        Column lastWeek = col("event_date").geq(lit(java.sql.Date.valueOf(day.minusDays(6))));
        Dataset<Row> perStudent = perDay.groupBy("student_id").agg(
                sumWhere(today, "events").as("events"),
                sumWhere(today, "clicks").as("clicks"),
                sumWhere(today, "active_minutes").as("active_minutes"),
                sumWhere(today, "sessions").as("sessions"),
                sum(when(today, col("scroll_sum"))).as("scroll_sum"),
                sumWhere(today, "scrolls").as("scrolls"),
                sumWhere(today, "video_plays").as("video_plays"),
                sumWhere(today, "video_completions").as("video_completions"),
                sumWhere(today, "quiz_attempts").as("quiz_attempts"),
                sumWhere(today, "searches").as("searches"),
                max("event_date").as("last_active"),
                sumWhere(lastWeek, "events").as("events_7d"),
                sum("events").as("events_28d"),
                sum(when(lastWeek, 1L).otherwise(0L)).as("active_days_7d"),
                count(lit(1)).as("active_days_28d"),
                sumWhere(lastWeek, "active_minutes").as("active_minutes_7d"),
                sum("active_minutes").as("active_minutes_28d"),
                sumWhere(lastWeek, "sessions").as("sessions_7d"),
                sum("sessions").as("sessions_28d"),
                sumWhere(lastWeek, "quiz_attempts").as("quiz_attempts_7d"),
                sum("quiz_attempts").as("quiz_attempts_28d"),
                sumWhere(lastWeek, "video_completions").as("video_completions_7d"),
                sum("video_completions").as("video_completions_28d"));
        return perStudent.select(
                lit(java.sql.Date.valueOf(day)).as("feature_date"),
                col("student_id"),
                col("events"),
                col("clicks"),
                col("active_minutes"),
                col("sessions"),
                when(col("scrolls").gt(0), col("scroll_sum").divide(col("scrolls"))).as("avg_scroll_depth"),
                when(col("video_plays").gt(0), col("video_completions").cast("double").divide(col("video_plays"))).as("video_completion_ratio"),
                col("quiz_attempts"),
                col("searches"),
                when(col("active_minutes").gt(0), col("clicks").cast("double").divide(col("active_minutes"))).as("click_frequency"),
                datediff(lit(java.sql.Date.valueOf(day)), col("last_active")).as("days_since_last_activity"),
                col("events_7d"), col("events_28d"), col("active_days_7d"), col("active_days_28d"),
                col("active_minutes_7d"), col("active_minutes_28d"), col("sessions_7d"), col("sessions_28d"),
                col("quiz_attempts_7d"), col("quiz_attempts_28d"), col("video_completions_7d"), col("video_completions_28d"),
                current_timestamp().as("computed_at"));
    }

    /** Sum of a per-day column over the days matching {@code when}; 0, not null, when none match. */
    private static Column sumWhere(Column days, String column) {
        return coalesce(sum(when(days, col(column)).otherwise(lit(0L))), lit(0L));
    }
}
