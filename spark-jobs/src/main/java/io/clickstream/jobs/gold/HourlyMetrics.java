package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_trunc;
import static org.apache.spark.sql.functions.lit;

import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Activity per UTC hour of a day: all 24 hours, quiet ones as zeros, so baselines and charts have no holes. Pure. */
public final class HourlyMetrics {
    public static final StructType TABLE = new StructType()
            .add("metric_hour", DataTypes.TimestampType, false, "Start of the UTC hour.")
            .add("active_users", DataTypes.LongType, false, "Distinct students with an event in the hour.")
            .add("events", DataTypes.LongType, false, "Events in the hour.")
            .add("page_views", DataTypes.LongType, false, "page_view events in the hour.")
            .add("clicks", DataTypes.LongType, false, "click events in the hour.")
            .add("computed_at", DataTypes.TimestampType, false, "When this row was computed.")
            .add("metric_date", DataTypes.DateType, false, "UTC day of the hour; partition column.");

    private HourlyMetrics() {}

    public static Dataset<Row> compute(SparkSession spark, Dataset<Row> dayEvents, LocalDate day) {
        List<Row> hours = new ArrayList<>();
        for (int hour = 0; hour < 24; hour++) {
            hours.add(RowFactory.create(Timestamp.from(day.atTime(hour, 0).toInstant(ZoneOffset.UTC))));
        }
        Dataset<Row> allHours = spark.createDataFrame(hours, new StructType().add("metric_hour", DataTypes.TimestampType, false));
        Dataset<Row> counted = dayEvents.groupBy(date_trunc("hour", col("event_timestamp")).as("hour")).agg(
                countDistinct("student_id").as("active_users"),
                org.apache.spark.sql.functions.count(lit(1)).as("events"),
                GoldColumns.count("page_view").as("page_views"),
                GoldColumns.count("click").as("clicks"));
        return allHours.join(counted, allHours.col("metric_hour").equalTo(counted.col("hour")), "left")
                .select(col("metric_hour"),
                        coalesce(col("active_users"), lit(0L)).as("active_users"),
                        coalesce(col("events"), lit(0L)).as("events"),
                        coalesce(col("page_views"), lit(0L)).as("page_views"),
                        coalesce(col("clicks"), lit(0L)).as("clicks"),
                        current_timestamp().as("computed_at"),
                        lit(java.sql.Date.valueOf(day)).as("metric_date"));
    }
}
