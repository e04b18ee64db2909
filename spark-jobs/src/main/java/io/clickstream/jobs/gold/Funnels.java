package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.unix_micros;

import io.clickstream.jobs.JobsConfig;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Conversion funnels defined in configuration as ordered steps. Pure: tests feed it small data sets.
 *
 * <ul>
 *   <li>A student enters a funnel with an event matching its first step on the day; that event is
 *       the anchor. From each anchor, each next step is the earliest later event (by time, then
 *       event_id) that matches it and lies in the anchor's session ({@code window = session}) or
 *       within the window after the anchor ({@code window = 1 hour}, say).</li>
 *   <li>A student reached step k when some anchor of theirs reached it; each step counts
 *       distinct students, so a student counts once per step and day however often they repeat.</li>
 *   <li>Conversion from start = students at the step / students at step 1; from previous =
 *       students at the step / students at the step before; drop-off = students lost since the
 *       step before.</li>
 * </ul>
 */
public final class Funnels {
    public static final StructType TABLE = new StructType()
            .add("metric_date", DataTypes.DateType, false, "UTC day of the students' first-step events; partition column.")
            .add("funnel", DataTypes.StringType, false, "Funnel name from the configuration (clickstream.gold.funnels).")
            .add("step", DataTypes.IntegerType, false, "Step number, from 1.")
            .add("step_name", DataTypes.StringType, false, "Step name from the configuration.")
            .add("students", DataTypes.LongType, false, "Distinct students who reached the step (in order, inside the scope).")
            .add("conversion_from_start", DataTypes.DoubleType, true, "students / students at step 1; null when nobody entered.")
            .add("conversion_from_previous", DataTypes.DoubleType, true,
                    "students / students at the previous step; 1 for step 1 when anyone entered; null when the previous step had none.")
            .add("drop_off", DataTypes.LongType, false, "Students at the previous step who did not reach this one; 0 for step 1.")
            .add("scope", DataTypes.StringType, false, "Where the steps must happen: 'session' or a window such as 'PT1H' after the first step.")
            .add("computed_at", DataTypes.TimestampType, false, "When this row was computed.");

    private Funnels() {}

    /**
     * One row per funnel and step for the day. {@code events} must carry {@code session_key}
     * (see {@link Sessions#assign}) and cover the day and, for windows past midnight, the day after.
     */
    public static Dataset<Row> compute(SparkSession spark, Dataset<Row> events, List<JobsConfig.Funnel> funnels, LocalDate day) {
        List<Row> rows = new ArrayList<>();
        for (JobsConfig.Funnel funnel : funnels) {
            List<Long> reached = reached(events, funnel, day);
            for (int step = 0; step < funnel.steps().size(); step++) {
                long students = reached.get(step);
                long entered = reached.get(0);
                Long previous = step == 0 ? null : reached.get(step - 1);
                rows.add(RowFactory.create(java.sql.Date.valueOf(day), funnel.name(), step + 1, funnel.steps().get(step).name(), students,
                        entered == 0 ? null : (double) students / entered,
                        step == 0 ? (entered == 0 ? null : 1.0) : previous == 0 ? null : (double) students / previous,
                        step == 0 ? 0L : previous - students,
                        funnel.window() == null ? "session" : funnel.window().toString()));
            }
        }
        StructType withoutTime = new StructType(java.util.Arrays.copyOf(TABLE.fields(), TABLE.fields().length - 1));
        return spark.createDataFrame(rows, withoutTime).withColumn("computed_at", current_timestamp());
    }

    /** Distinct students who reached each step, in order. */
    private static List<Long> reached(Dataset<Row> events, JobsConfig.Funnel funnel, LocalDate day) {
        Column order = struct(col("event_timestamp"), col("event_id"));
        Dataset<Row> first = events.where(matches(funnel.steps().get(0)).and(col("event_date").equalTo(lit(java.sql.Date.valueOf(day)))))
                .select(col("student_id"), col("session_key"), col("event_id").as("anchor_id"), col("event_timestamp").as("anchor_time"),
                        order.as("last"));
        List<Long> reached = new ArrayList<>();
        // Each step's survivors are kept, so the next join and count do not recompute the chain before it.
        Dataset<Row> current = first.persist();
        List<Dataset<Row>> kept = new ArrayList<>(List.of(current));
        reached.add(current.agg(countDistinct("student_id")).first().getLong(0));
        for (JobsConfig.Step step : funnel.steps().subList(1, funnel.steps().size())) {
            Dataset<Row> candidates = events.where(matches(step))
                    .select(col("student_id").as("c_student"), col("session_key").as("c_session"), col("event_timestamp").as("c_time"),
                            order.as("c_order"));
            Column scope = funnel.window() == null ? col("c_session").equalTo(col("session_key"))
                    : unix_micros(col("c_time")).leq(unix_micros(col("anchor_time")).plus(funnel.window().toNanos() / 1_000));
            current = current.join(candidates, col("c_student").equalTo(col("student_id")).and(col("c_order").gt(col("last"))).and(scope))
                    .groupBy("student_id", "session_key", "anchor_id", "anchor_time")
                    .agg(min("c_order").as("last"))
                    .persist();
            kept.add(current);
            reached.add(current.agg(countDistinct("student_id")).first().getLong(0));
        }
        kept.forEach(Dataset::unpersist);
        return reached;
    }

    private static Column matches(JobsConfig.Step step) {
        Column condition = col("event_name").equalTo(step.event());
        if (step.pagePattern() != null) {
            condition = condition.and(coalesce(col("page_url").rlike(step.pagePattern()), lit(false)));
        }
        return condition;
    }
}
