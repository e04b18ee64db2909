package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
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

/** Engagement per course chapter and day, from the day's silver events that carry a {@code chapter_id}. Pure. */
public final class ChapterEngagement {
    public static final StructType TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day; partition column.")
            .add("chapter_id", DataTypes.StringType, false, "The course chapter (events' chapter_id).")
            .add("visitors", DataTypes.LongType, false, "Distinct students with any event in the chapter.")
            .add("page_views", DataTypes.LongType, false, "page_view events in the chapter.")
            .add("time_spent_seconds", DataTypes.DoubleType, false, "Seconds reported by heartbeat events in the chapter (metadata.duration).")
            .add("avg_scroll_depth", DataTypes.DoubleType, true,
                    "Mean over students who scrolled of their deepest scroll_depth (percent) in the chapter; null when nobody scrolled.")
            .add("video_plays", DataTypes.LongType, false, "video_play events in the chapter.")
            .add("video_completions", DataTypes.LongType, false, "video_complete events in the chapter.")
            .add("video_completion_rate", DataTypes.DoubleType, true,
                    "Students who completed a video / students who played one, in the chapter; null when nobody played.")
            .add("quiz_attempts", DataTypes.LongType, false, "quiz_submit events in the chapter.")
            .add("quiz_students", DataTypes.LongType, false, "Distinct students who submitted a quiz in the chapter.")
            .add("computed_at", DataTypes.TimestampType, false, "When this row was computed.");

    private ChapterEngagement() {}

    public static Dataset<Row> compute(Dataset<Row> dayEvents, LocalDate day) {
        Dataset<Row> perStudent = dayEvents.where(col("chapter_id").isNotNull())
                .groupBy("chapter_id", "student_id")
                .agg(GoldColumns.count("page_view").as("page_views"),
                        coalesce(sum(when(col("event_name").equalTo("heartbeat"), col("duration"))), lit(0.0)).as("time_spent_seconds"),
                        max(when(col("event_name").equalTo("scroll"), col("scroll_depth"))).as("max_scroll_depth"),
                        GoldColumns.count("video_play").as("video_plays"),
                        GoldColumns.count("video_complete").as("video_completions"),
                        GoldColumns.count("quiz_submit").as("quiz_attempts"));
        return perStudent.groupBy("chapter_id").agg(
                        org.apache.spark.sql.functions.count(lit(1)).as("visitors"),
                        sum("page_views").as("page_views"),
                        sum("time_spent_seconds").as("time_spent_seconds"),
                        avg("max_scroll_depth").as("avg_scroll_depth"),
                        sum("video_plays").as("video_plays"),
                        sum("video_completions").as("video_completions"),
                        sum(when(col("video_plays").gt(0), 1L).otherwise(0L)).as("players"),
                        sum(when(col("video_completions").gt(0), 1L).otherwise(0L)).as("completers"),
                        sum("quiz_attempts").as("quiz_attempts"),
                        sum(when(col("quiz_attempts").gt(0), 1L).otherwise(0L)).as("quiz_students"))
                .select(lit(java.sql.Date.valueOf(day)).as("metric_date"), col("chapter_id"), col("visitors"), col("page_views"),
                        col("time_spent_seconds"), col("avg_scroll_depth"), col("video_plays"), col("video_completions"),
                        when(col("players").gt(0), col("completers").cast("double").divide(col("players"))).as("video_completion_rate"),
                        col("quiz_attempts"), col("quiz_students"), current_timestamp().as("computed_at"));
    }
}
