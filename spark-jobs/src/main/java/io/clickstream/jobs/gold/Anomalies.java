package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.hour;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.when;

import io.clickstream.jobs.JobsConfig;
import java.time.LocalDate;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Anomalies of a day. Pure: tests feed it small data sets.
 *
 * <ul>
 *   <li><b>Traffic</b>: each hour's events against the same hour of the previous days (daily
 *       rhythm), by robust z-score {@code (x - median) / spread} with spread = MAD / 0.6745 (the mean
 *       absolute deviation times 1.2533 when the MAD is 0), but never below sqrt(median), the Poisson
 *       noise of a count, so a quiet hour is not flagged for one extra event. |z| above the
 *       threshold is a spike or a drop. Hours with fewer than 3 baseline days are not judged.</li>
 *   <li><b>Bot-like students</b>: a robot user agent (bot, crawler, spider, headless, curl,
 *       python-requests, ...), or many events per active minute, or machine-regular timing (the
 *       coefficient of variation of the gaps between events below the threshold over enough events).</li>
 * </ul>
 */
public final class Anomalies {
    public static final StructType TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day; partition column.")
            .add("kind", DataTypes.StringType, false, "traffic_spike, traffic_drop or bot_student.")
            .add("subject", DataTypes.StringType, false, "The hour (ISO time) for traffic, the pseudonymised student for bots.")
            .add("score", DataTypes.DoubleType, false,
                    "Robust z-score for traffic; for bots the strongest signal: events per active minute, or 1/CV of gaps, or 100 for a robot user agent.")
            .add("observed", DataTypes.DoubleType, false, "Events in the hour, or the student's events that day.")
            .add("expected", DataTypes.DoubleType, true, "Median of the baseline hours; null for bots.")
            .add("reason", DataTypes.StringType, false, "Why the row was flagged, in words.")
            .add("computed_at", DataTypes.TimestampType, false, "When this row was computed.");

    /** Substrings of user agents that announce a robot (matched lower-case). */
    public static final String ROBOT_AGENT = "bot|crawler|spider|headless|curl/|wget/|python-requests|httpclient|scrapy";

    private Anomalies() {}

    /**
     * @param hourly gold hourly metrics of the day and of the baseline days before it
     * @param aroundDay silver events in sessions ({@link Sessions#assign}) of the day and the days
     *     around it; bots are judged on the day's events alone
     */
    public static Dataset<Row> detect(Dataset<Row> hourly, Dataset<Row> aroundDay, LocalDate day, JobsConfig.Anomalies settings) {
        return traffic(hourly, day, settings).unionByName(bots(aroundDay, day, settings)).withColumn("computed_at", current_timestamp());
    }

    static Dataset<Row> traffic(Dataset<Row> hourly, LocalDate day, JobsConfig.Anomalies settings) {
        Column onDay = col("metric_date").equalTo(lit(java.sql.Date.valueOf(day)));
        Dataset<Row> baseline = hourly.where(col("metric_date").lt(lit(java.sql.Date.valueOf(day)))
                        .and(col("metric_date").geq(lit(java.sql.Date.valueOf(day.minusDays(settings.baselineDays()))))))
                .withColumn("hour_of_day", hour(col("metric_hour")));
        Dataset<Row> medians = baseline.groupBy("hour_of_day").agg(
                expr("percentile(events, 0.5)").as("median"), count(lit(1)).as("baseline_days"));
        Dataset<Row> deviations = baseline.join(medians, "hour_of_day")
                .groupBy("hour_of_day").agg(
                        expr("percentile(abs(events - median), 0.5)").as("mad"),
                        avg(abs(col("events").minus(col("median")))).as("mean_deviation"));
        // Counts are noisy even when the baseline is flat: never judge against a spread below Poisson noise (sqrt of the median).
        Column spread = greatest(when(col("mad").gt(0), col("mad").divide(0.6745)).otherwise(col("mean_deviation").multiply(1.2533)),
                sqrt(greatest(col("median"), lit(1.0))));
        return hourly.where(onDay).withColumn("hour_of_day", hour(col("metric_hour")))
                .join(medians, "hour_of_day").join(deviations, "hour_of_day")
                .where(col("baseline_days").geq(3))
                .withColumn("z", col("events").minus(col("median")).divide(spread))
                .where(abs(col("z")).gt(settings.zThreshold()))
                .select(lit(java.sql.Date.valueOf(day)).as("metric_date"),
                        when(col("z").gt(0), "traffic_spike").otherwise("traffic_drop").as("kind"),
                        date_format(col("metric_hour"), "yyyy-MM-dd'T'HH:mm:ss'Z'").as("subject"),
                        col("z").as("score"),
                        col("events").cast("double").as("observed"),
                        col("median").cast("double").as("expected"),
                        concat(lit("events "), col("events"), lit(" against a median of "), col("median"),
                                lit(" for this hour over "), col("baseline_days"), lit(" days (robust z "), format_number(col("z"), 1), lit(")")).as("reason"));
    }

    static Dataset<Row> bots(Dataset<Row> aroundDay, LocalDate day, JobsConfig.Anomalies settings) {
        Column onDay = col("event_date").equalTo(lit(java.sql.Date.valueOf(day)));
        // Gaps between the day's events only: the first event of the day has none.
        Dataset<Row> gaps = aroundDay.where(onDay)
                .withColumn("gap_seconds", when(to_date(col("previous_timestamp")).equalTo(lit(java.sql.Date.valueOf(day))),
                        unix_micros(col("event_timestamp")).minus(unix_micros(col("previous_timestamp"))).divide(1_000_000.0)));
        Dataset<Row> perStudent = gaps.groupBy("student_id").agg(
                count(lit(1)).as("events"),
                GoldColumns.distinctUnits("minute").as("active_minutes"),
                max(when(lower(col("user_agent")).rlike(ROBOT_AGENT), 1).otherwise(0)).as("robot_agent"),
                avg("gap_seconds").as("mean_gap"),
                stddev_pop("gap_seconds").as("gap_deviation"));
        Column rate = col("events").divide(col("active_minutes"));
        Column variation = when(col("mean_gap").gt(0), col("gap_deviation").divide(col("mean_gap")));
        Column robot = col("robot_agent").equalTo(1);
        Column fast = rate.gt(settings.maxEventsPerMinute());
        Column regular = col("events").geq(settings.minEventsForRegularity()).and(variation.lt(settings.minGapVariation()));
        return perStudent.where(robot.or(fast).or(regular)).select(
                lit(java.sql.Date.valueOf(day)).as("metric_date"),
                lit("bot_student").as("kind"),
                col("student_id").as("subject"),
                greatest(when(robot, lit(100.0)), when(fast, rate), when(regular, lit(1.0).divide(greatest(variation, lit(0.001))))).as("score"),
                col("events").cast("double").as("observed"),
                lit(null).cast(DataTypes.DoubleType).as("expected"),
                regexp_replace(concat(when(robot, lit("robot user agent; ")).otherwise(lit("")),
                        when(fast, concat(format_number(rate, 1), lit(" events per active minute; "))).otherwise(lit("")),
                        when(regular, concat(lit("machine-regular timing (gap variation "), format_number(variation, 3), lit("); ")))
                                .otherwise(lit(""))), "; $", "").as("reason"));
    }
}
