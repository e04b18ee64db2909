package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_trunc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;

/** Aggregate columns more than one gold job computes. */
final class GoldColumns {
    private GoldColumns() {}

    /** Events of one name ({@code null}: all events) in the group; 0, not null, over no rows. */
    static Column count(String eventName) {
        Column matches = eventName == null ? lit(true) : col("event_name").equalTo(eventName);
        return coalesce(sum(when(matches, 1L).otherwise(0L)), lit(0L));
    }

    /**
     * Distinct minutes (or hours, ...) with activity per student, without a distinct aggregate, which
     * makes Spark expand every row: over events in sessions ({@link Sessions#assign}, with each
     * event's {@code previous_timestamp}), the events that start a new unit for their student.
     * Units never cross a UTC day, so the count per student and day is exact.
     */
    static Column distinctUnits(String unit) {
        return coalesce(sum(when(col("previous_timestamp").isNull()
                .or(date_trunc(unit, col("previous_timestamp")).notEqual(date_trunc(unit, col("event_timestamp")))), 1L).otherwise(0L)), lit(0L));
    }
}
