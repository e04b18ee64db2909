package io.clickstream.jobs.gold;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.Tables;
import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Gold {@code anomalies} for a day: traffic against gold hourly metrics of the baseline days, bot-like students from silver. */
public final class AnomaliesJob extends GoldJob {
    public AnomaliesJob(GoldContext context) {
        super(context);
        Tables.createIfNotExists(spark, paths.goldAnomalies(), Anomalies.TABLE,
                "Gold: traffic spikes and drops per hour and bot-like students, with the reason and the score.", "metric_date");
    }

    @Override
    public String name() {
        return "anomalies";
    }

    @Override
    public String run(LocalDate day) {
        if (!DeltaTable.isDeltaTable(spark, paths.goldHourlyMetrics())) {
            throw new IllegalStateException("no gold hourly_metrics at " + paths.goldHourlyMetrics() + ": run the hourly-metrics job first");
        }
        JobsConfig.Anomalies settings = config.gold().anomalies();
        Dataset<Row> hourly = spark.read().format("delta").load(paths.goldHourlyMetrics())
                .where(org.apache.spark.sql.functions.col("metric_date").between(
                        org.apache.spark.sql.functions.lit(java.sql.Date.valueOf(day.minusDays(settings.baselineDays()))),
                        org.apache.spark.sql.functions.lit(java.sql.Date.valueOf(day))));
        GoldIo.replaceDay(Anomalies.detect(hourly, context.aroundDay(day), day, settings), paths.goldAnomalies(), "metric_date", day);
        Dataset<Row> written = GoldIo.day(spark, paths.goldAnomalies(), "metric_date", day);
        long traffic = written.where("kind <> 'bot_student'").count();
        return traffic + " traffic anomalies, " + (written.count() - traffic) + " bot-like students";
    }
}
