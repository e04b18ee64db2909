package io.clickstream.jobs.live;

import static java.util.Objects.requireNonNull;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.window;

import java.time.Duration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Pure transforms from Kafka records (accepted events and dead letters, the Kafka source's
 * columns) to the live topic's records: a {@code key} and a JSON {@code value} each.
 *
 * <p>Windows are cut by arrival time, the Kafka record timestamp that ingest stamps when it
 * accepts an event: "online now" and "events per second" are about what reaches the platform now,
 * and a browser whose clock is wrong or whose queue is replayed after a reload cannot move a count
 * into the past or the future.
 *
 * <p>Every aggregate record is an upsert: its key names the window (and student or page) and its
 * value carries the window's whole count so far, so the topic can be compacted and a record
 * written twice after a restart changes nothing. Record kinds (field {@code kind}):
 * <ul>
 *   <li>{@code presence}, key {@code presence/STUDENT}: the student's last arrival, page and action
 *       in a one-minute window; the newest per student is all a reader needs for "online now".</li>
 *   <li>{@code second}, key {@code second/EPOCH_MILLIS}: accepted and rejected events in one second.</li>
 *   <li>{@code page}, key {@code page/EPOCH_MILLIS/PAGE_URL}: page views and events on a page in one minute.</li>
 *   <li>{@code action}, key {@code action/EVENT_ID}: one recent action (pseudonymised student, event, page).</li>
 * </ul>
 * Student ids are the pseudonyms ingest wrote; nothing here sees a raw id.
 *
 * <p>An event can reach Kafka twice (a tracker re-sends its queue after a reload, a client retries
 * after a lost answer); the counts take each event_id once while its copies arrive within
 * {@code allowedLateness} of each other (Spark's state store, bounded by the watermark).
 */
public final class LiveAggregates {
    /** Arrival time of a record: the Kafka timestamp ingest's producer stamped. */
    static final String ARRIVED = "arrived";
    /** What identifies a record when counting: its event_id, so that a re-sent copy counts once. */
    static final String RECORD_ID = "record_id";
    private static final StructType EVENT = new StructType()
            .add("event_id", DataTypes.StringType)
            .add("student_id", DataTypes.StringType)
            .add("event_name", DataTypes.StringType)
            .add("page_url", DataTypes.StringType);

    private final String acceptedTopic;
    private final Duration allowedLateness;

    public LiveAggregates(String acceptedTopic, Duration allowedLateness) {
        this.acceptedTopic = requireNonNull(acceptedTopic, "acceptedTopic is null");
        this.allowedLateness = requireNonNull(allowedLateness, "allowedLateness is null");
    }

    /**
     * One row per record: {@code arrived}, {@code accepted} (from the accepted-events topic, else a
     * dead letter), {@code record_id} (the event_id, or the Kafka coordinates where there is none)
     * and the event's id, student, name and page (null for dead letters and for values that are not
     * JSON: those count as received but never as a student's action).
     */
    public Dataset<Row> events(Dataset<Row> kafkaRecords) {
        Column accepted = col("topic").equalTo(lit(acceptedTopic));
        return kafkaRecords
                .select(col("timestamp").as(ARRIVED), accepted.as("accepted"),
                        when(accepted, from_json(col("value").cast("string"), EVENT)).as("event"),
                        concat(col("topic"), lit("/"), col("partition"), lit("/"), col("offset")).as("coordinates"))
                .select(col(ARRIVED), col("accepted"), coalesce(col("event.event_id"), col("coordinates")).as(RECORD_ID),
                        col("event.event_id").as("event_id"), col("event.student_id").as("student"),
                        col("event.event_name").as("event_name"), col("event.page_url").as("page_url"));
    }

    /** Per student and minute of arrival: the last arrival, its page and its action ({@code presence} records). */
    public Dataset<Row> presence(Dataset<Row> events) {
        return watermarked(events.where(col("accepted").and(col("student").isNotNull())))
                .groupBy(window(col(ARRIVED), "1 minute"), col("student"))
                .agg(max(col(ARRIVED)).as("last_seen"), max_by(col("page_url"), col(ARRIVED)).as("page_url"),
                        max_by(col("event_name"), col(ARRIVED)).as("event_name"), count(lit(1)).as("events"))
                .select(concat(lit("presence/"), col("student")).as("key"),
                        to_json(struct(lit("presence").as("kind"), col("student"), millis("window.start").as("minute"),
                                millis("last_seen").as("last_seen"), col("page_url"), col("event_name"), col("events"))).as("value"));
    }

    /** Accepted and rejected events per second of arrival ({@code second} records). */
    public Dataset<Row> traffic(Dataset<Row> events) {
        return watermarked(events)
                .groupBy(window(col(ARRIVED), "1 second"))
                .agg(sum(when(col("accepted"), 1).otherwise(0)).as("accepted"), sum(when(col("accepted"), 0).otherwise(1)).as("rejected"))
                .select(concat(lit("second/"), millis("window.start").cast("string")).as("key"),
                        to_json(struct(lit("second").as("kind"), millis("window.start").as("second"), col("accepted"), col("rejected")))
                                .as("value"));
    }

    /** Page views and events per page and minute of arrival ({@code page} records). */
    public Dataset<Row> pages(Dataset<Row> events) {
        return watermarked(events.where(col("accepted").and(col("page_url").isNotNull())))
                .groupBy(window(col(ARRIVED), "1 minute"), col("page_url"))
                .agg(sum(when(col("event_name").equalTo("page_view"), 1).otherwise(0)).as("page_views"), count(lit(1)).as("events"))
                .select(concat(lit("page/"), millis("window.start").cast("string"), lit("/"), col("page_url")).as("key"),
                        to_json(struct(lit("page").as("kind"), millis("window.start").as("minute"), col("page_url"), col("page_views"),
                                col("events"))).as("value"));
    }

    /** The newest {@code limit} accepted actions of a micro-batch ({@code action} records); a batch transform, not a stream. */
    public Dataset<Row> recentActions(Dataset<Row> batchEvents, int limit) {
        return batchEvents.where(col("accepted").and(col("event_id").isNotNull()))
                .orderBy(col(ARRIVED).desc())
                .limit(limit)
                .select(concat(lit("action/"), col("event_id")).as("key"),
                        to_json(struct(lit("action").as("kind"), col("event_id"), millis(ARRIVED).as("time"), col("student"),
                                col("event_name"), col("page_url"))).as("value"));
    }

    /**
     * State for a window is kept until arrivals are {@code allowedLateness} past its end, then dropped;
     * a record whose id arrived before within that time is left out.
     */
    private Dataset<Row> watermarked(Dataset<Row> events) {
        Dataset<Row> watermarked = events.withWatermark(ARRIVED, allowedLateness.toMillis() + " milliseconds");
        // Spark takes the watermark-bounded form only on streams; on a batch (the tests) every copy is in view anyway.
        return events.isStreaming() ? watermarked.dropDuplicatesWithinWatermark(RECORD_ID) : watermarked.dropDuplicates(RECORD_ID);
    }

    private static Column millis(String timestampColumn) {
        return expr("unix_millis(" + timestampColumn + ")");
    }
}
