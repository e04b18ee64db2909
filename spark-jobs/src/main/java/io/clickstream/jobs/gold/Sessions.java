package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.min_by;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.when;

import java.time.Duration;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Sessions from silver events. Pure: tests feed it a small data set.
 *
 * <ul>
 *   <li>A session is a run of one student's events, in event-time order, with no gap longer
 *       than the inactivity gap (a gap of exactly the limit continues the session).</li>
 *   <li>A session belongs to the UTC day it starts on, even when it runs past midnight; the job
 *       for a day reads the day before and after as well, so both days' runs cut it the same way.</li>
 *   <li>Bounce: the session stayed on one page and had no interaction (only page views and
 *       heartbeats).</li>
 *   <li>Engaged time: the seconds heartbeats reported ({@code duration}) inside the session.</li>
 *   <li>Implausible sessions (longer than the configured maximum) are kept apart, with the
 *       reason, so they never distort averages.</li>
 * </ul>
 */
public final class Sessions {
    /** Events that are a student doing something on the page, as opposed to viewing it or the tracker's heartbeat. */
    public static final List<String> INTERACTIONS = List.of("click", "scroll", "search", "video_play", "video_pause", "video_complete",
            "quiz_start", "quiz_answer", "quiz_submit");

    public static final StructType TABLE = new StructType()
            .add("session_key", DataTypes.StringType, false,
                    "Stable id of the session: SHA-256 of the pseudonymised student and the start time, in hex.")
            .add("student_id", DataTypes.StringType, false, "Pseudonymised student (HMAC-SHA256, as in silver).")
            .add("session_start", DataTypes.TimestampType, false, "Time of the session's first event (UTC).")
            .add("session_end", DataTypes.TimestampType, false, "Time of the session's last event (UTC).")
            .add("duration_seconds", DataTypes.DoubleType, false, "session_end minus session_start; 0 for a single event.")
            .add("events", DataTypes.LongType, false, "Events in the session.")
            .add("page_views", DataTypes.LongType, false, "page_view events in the session.")
            .add("pages", DataTypes.LongType, false, "Distinct page_url values in the session.")
            .add("first_page", DataTypes.StringType, false, "page_url of the first event.")
            .add("last_page", DataTypes.StringType, false, "page_url of the last event.")
            .add("device_type", DataTypes.StringType, true, "device_type of the first event that has one; null when none has.")
            .add("browser", DataTypes.StringType, true, "browser of the first event that has one; null when none has.")
            .add("country", DataTypes.StringType, true,
                    "Country of the first event that has one (ISO 3166 alpha-2); null until events carry a country.")
            .add("bounce", DataTypes.BooleanType, false, "True when the session stayed on one page with no interaction event.")
            .add("engaged_seconds", DataTypes.DoubleType, false, "Sum of the duration reported by the session's heartbeat events.")
            .add("client_sessions", DataTypes.LongType, false, "Distinct client session_id values the session spans (1 normally).")
            .add("session_date", DataTypes.DateType, false, "UTC date of session_start; partition column.");

    public static final StructType QUARANTINE_TABLE = TABLE
            .add("reason", DataTypes.StringType, false, "Why the session is not in the sessions table.")
            .add("quarantined_at", DataTypes.TimestampType, false, "When the job set it aside.");

    private Sessions() {}

    /**
     * The events with the session each belongs to: {@code session_number} (per student, from 1),
     * {@code starts_session} (1 on a session's first event, else 0) and {@code previous_timestamp}
     * (the student's event before, null for the first). One sort: both windows run over the
     * student's events in the same time order. The session's key is derived per session, not per
     * event ({@link #summarise}).
     */
    public static Dataset<Row> assign(Dataset<Row> events, Duration inactivityGap) {
        WindowSpec byStudent = Window.partitionBy("student_id").orderBy("event_timestamp", "event_id");
        long gapMicros = inactivityGap.toNanos() / 1_000;
        return events
                .withColumn("previous_timestamp", lag("event_timestamp", 1).over(byStudent))
                .withColumn("starts_session", when(col("previous_timestamp").isNull()
                        .or(unix_micros(col("event_timestamp")).minus(unix_micros(col("previous_timestamp"))).gt(gapMicros)), 1).otherwise(0))
                .withColumn("session_number", sum("starts_session").over(byStudent.rowsBetween(Window.unboundedPreceding(), Window.currentRow())));
    }

    private static Column sessionKey(Column student, Column sessionStart) {
        return sha2(concat_ws(":", student, unix_micros(sessionStart).cast("string")), 256);
    }

    /** Every session of events in sessions ({@link #assign}), whatever day it starts on. */
    public static Dataset<Row> summarise(Dataset<Row> marked) {
        Column interaction = col("event_name").isin(INTERACTIONS.toArray());
        Column order = struct(col("event_timestamp"), col("event_id"));
        Column country = Arrays.asList(marked.columns()).contains("country")
                ? min_by(col("country"), when(col("country").isNotNull(), order)) : lit(null).cast(DataTypes.StringType);
        Dataset<Row> sessions = marked.groupBy("student_id", "session_number").agg(
                min("event_timestamp").as("session_start"),
                max("event_timestamp").as("session_end"),
                count(lit(1)).as("events"),
                sum(when(col("event_name").equalTo("page_view"), 1L).otherwise(0L)).as("page_views"),
                // size(collect_set) rather than a second countDistinct: several distinct aggregates make Spark expand every row.
                size(collect_set("page_url")).cast("long").as("pages"),
                min_by(col("page_url"), order).as("first_page"),
                max_by(col("page_url"), order).as("last_page"),
                min_by(col("device_type"), when(col("device_type").isNotNull(), order)).as("device_type"),
                min_by(col("browser"), when(col("browser").isNotNull(), order)).as("browser"),
                country.as("country"),
                sum(when(interaction, 1L).otherwise(0L)).as("interactions"),
                coalesce(sum(when(col("event_name").equalTo("heartbeat"), coalesce(col("duration"), lit(0.0)))), lit(0.0)).as("engaged_seconds"),
                size(collect_set("session_id")).cast("long").as("client_sessions"));
        return sessions.select(
                sessionKey(col("student_id"), col("session_start")).as("session_key"),
                col("student_id"),
                col("session_start"),
                col("session_end"),
                unix_micros(col("session_end")).minus(unix_micros(col("session_start"))).cast("double").divide(1_000_000.0).as("duration_seconds"),
                col("events"),
                col("page_views"),
                col("pages"),
                col("first_page"),
                col("last_page"),
                col("device_type"),
                col("browser"),
                col("country"),
                col("pages").equalTo(1).and(col("interactions").equalTo(0)).as("bounce"),
                col("engaged_seconds"),
                col("client_sessions"),
                to_date(col("session_start")).as("session_date"));
    }

    /** The sessions starting on {@code day} that are plausible. */
    public static Dataset<Row> plausible(Dataset<Row> sessions, LocalDate day, Duration maximum) {
        return startingOn(sessions, day).where(col("duration_seconds").leq(maximum.toSeconds()));
    }

    /** The sessions starting on {@code day} that are too long to be real, with the reason. */
    public static Dataset<Row> implausible(Dataset<Row> sessions, LocalDate day, Duration maximum) {
        return startingOn(sessions, day).where(col("duration_seconds").gt(maximum.toSeconds()))
                .withColumn("reason", lit("longer than the maximum session length of " + maximum.toSeconds() + " s"))
                .withColumn("quarantined_at", current_timestamp());
    }

    private static Dataset<Row> startingOn(Dataset<Row> sessions, LocalDate day) {
        return sessions.where(col("session_date").equalTo(lit(java.sql.Date.valueOf(day))));
    }
}
