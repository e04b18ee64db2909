package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.when;

import io.clickstream.jobs.JobsConfig;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
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
     * One row per funnel and step for the day. {@code events} must be in sessions ({@code session_number}, see
     * {@link Sessions#assign}) and cover the day and, for steps past midnight, the day after.
     */
    public static Dataset<Row> compute(SparkSession spark, Dataset<Row> events, List<JobsConfig.Funnel> funnels, LocalDate day) {
        long[][] reached = reached(events, funnels, day);
        List<Row> rows = new ArrayList<>();
        for (int f = 0; f < funnels.size(); f++) {
            JobsConfig.Funnel funnel = funnels.get(f);
            long entered = reached[f][0];
            for (int step = 0; step < funnel.steps().size(); step++) {
                long students = reached[f][step];
                Long previous = step == 0 ? null : reached[f][step - 1];
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

    /**
     * {@code [funnel][step]}: distinct students who reached the step. One pass: each student's
     * step-matching events, in time order, are walked once per funnel ({@link Walk}).
     */
    private static long[][] reached(Dataset<Row> events, List<JobsConfig.Funnel> funnels, LocalDate day) {
        Column[] masks = new Column[funnels.size()];
        Column any = lit(false);
        for (int f = 0; f < funnels.size(); f++) {
            Column mask = lit(0L);
            List<JobsConfig.Step> steps = funnels.get(f).steps();
            for (int step = 0; step < steps.size(); step++) {
                mask = mask.bitwiseOR(when(matches(steps.get(step)), lit(1L << step)).otherwise(lit(0L)));
            }
            masks[f] = mask;
        }
        Dataset<Row> matching = events.select(col("student_id"), col("session_number"), unix_micros(col("event_timestamp")).as("micros"),
                        col("event_id"), col("event_date").equalTo(lit(java.sql.Date.valueOf(day))).as("on_day"), array(masks).as("masks"));
        for (int f = 0; f < funnels.size(); f++) {
            any = any.or(col("masks").getItem(f).notEqual(0L));
        }
        // Events come clustered by student from the sessions' window, so this groups without another shuffle.
        Dataset<Row> perStudent = matching.where(any).groupBy("student_id")
                .agg(collect_list(struct(col("micros"), col("event_id"), col("session_number"), col("on_day"), col("masks"))).as("events"));
        Walk walk = new Walk(funnels.stream().map(funnel -> funnel.steps().size()).mapToInt(Integer::intValue).toArray(),
                funnels.stream().mapToLong(funnel -> funnel.window() == null ? -1 : funnel.window().toNanos() / 1_000).toArray());
        Dataset<Row> furthest = perStudent.flatMap(walk, Encoders.row(new StructType()
                .add("funnel", DataTypes.IntegerType, false).add("steps", DataTypes.IntegerType, false)));
        long[][] reached = new long[funnels.size()][];
        for (int f = 0; f < funnels.size(); f++) {
            reached[f] = new long[funnels.get(f).steps().size()];
        }
        for (Row row : furthest.groupBy("funnel", "steps").count().collectAsList()) {
            for (int step = 0; step < row.getInt(1); step++) {
                reached[row.getInt(0)][step] += row.getLong(2);
            }
        }
        return reached;
    }

    /**
     * For one student's step-matching events: the furthest step reached in each funnel they
     * entered on the day, as rows (funnel index, steps reached).
     */
    private record Walk(int[] steps, long[] windowMicros) implements FlatMapFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Row student) {
            List<Row> events = new ArrayList<>(student.getList(1));
            events.sort(Comparator.<Row>comparingLong(event -> event.getLong(0)).thenComparing(event -> event.getString(1)));
            List<Row> furthest = new ArrayList<>();
            for (int f = 0; f < steps.length; f++) {
                int best = 0;
                long anchoredSession = 0;           // session numbers start at 1
                for (int anchor = 0; anchor < events.size() && best < steps[f]; anchor++) {
                    Row event = events.get(anchor);
                    if (!event.getBoolean(3) || (mask(event, f) & 1L) == 0) {
                        continue;
                    }
                    if (windowMicros[f] < 0) {
                        // In a session the first anchor reaches at least as far as any later one: walk from it only.
                        if (event.getLong(2) == anchoredSession) {
                            continue;
                        }
                        anchoredSession = event.getLong(2);
                    }
                    best = Math.max(best, walk(events, anchor, f));
                }
                if (best > 0) {
                    furthest.add(RowFactory.create(f, best));
                }
            }
            return furthest.iterator();
        }

        /** Steps reached from the anchor: each next step is the earliest later event in scope that matches it. */
        private int walk(List<Row> events, int anchor, int f) {
            Row first = events.get(anchor);
            int reached = 1;
            for (int next = anchor + 1; next < events.size() && reached < steps[f]; next++) {
                Row event = events.get(next);
                boolean inScope = windowMicros[f] < 0 ? event.getLong(2) == first.getLong(2)
                        : event.getLong(0) <= first.getLong(0) + windowMicros[f];
                if (!inScope) {
                    break;                      // sessions and windows are runs of the time-ordered events
                }
                if ((mask(event, f) & (1L << reached)) != 0) {
                    reached++;
                }
            }
            return reached;
        }

        private static long mask(Row event, int f) {
            return event.<Long>getList(4).get(f);
        }
    }

    private static Column matches(JobsConfig.Step step) {
        Column condition = col("event_name").equalTo(step.event());
        if (step.pagePattern() != null) {
            condition = condition.and(coalesce(col("page_url").rlike(step.pagePattern()), lit(false)));
        }
        return condition;
    }
}
