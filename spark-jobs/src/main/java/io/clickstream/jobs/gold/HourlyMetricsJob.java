package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import org.apache.spark.sql.Row;

/** Gold {@code hourly_metrics}: the day's 24 hours, rebuilt whole (cheap), so an hourly schedule may run it every hour. */
public final class HourlyMetricsJob extends GoldJob {
    public HourlyMetricsJob(GoldContext context) {
        super(context);
        Tables.createIfNotExists(spark, paths.goldHourlyMetrics(), HourlyMetrics.TABLE, "Gold: activity per UTC hour.", "metric_date");
    }

    @Override
    public String name() {
        return "hourly-metrics";
    }

    @Override
    public String run(LocalDate day) {
        GoldIo.replaceDay(HourlyMetrics.compute(spark, context.onDay(day), day), paths.goldHourlyMetrics(), "metric_date", day);
        Row busiest = GoldIo.day(spark, paths.goldHourlyMetrics(), "metric_date", day)
                .orderBy(org.apache.spark.sql.functions.desc("events"), org.apache.spark.sql.functions.col("metric_hour")).first();
        return String.format("24 hours, busiest %s with %d events from %d students", busiest.getTimestamp(0).toInstant(),
                busiest.<Long>getAs("events"), busiest.<Long>getAs("active_users"));
    }
}
