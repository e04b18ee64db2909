package io.clickstream.jobs.gold;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Gold {@code student_features} for a day: reads silver for the day and the 27 before it, never
 * later, so each day's rows are point-in-time correct however late the job runs.
 */
public final class StudentFeaturesJob implements DailyJob {
    private final GoldContext context;
    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;

    public StudentFeaturesJob(GoldContext context) {
        this.context = context;
        this.spark = context.spark();
        this.config = context.config();
        this.paths = context.paths();
        Tables.createIfNotExists(spark, paths.goldStudentFeatures(), StudentFeatures.TABLE,
                "Gold: ML features, one row per student and UTC day, point-in-time correct (see docs/data-contracts.md).", "feature_date");
    }

    @Override
    public String name() {
        return "student-features";
    }

    @Override
    public String run(LocalDate day) {
        Dataset<Row> earlier = Sessions.assign(context.silver(day.minusDays(StudentFeatures.LOOK_BACK_DAYS), day.minusDays(1)),
                config.gold().sessionInactivityGap());
        GoldIo.replaceDay(StudentFeatures.compute(earlier, context.aroundDay(day), day), paths.goldStudentFeatures(), "feature_date", day);
        return GoldIo.day(spark, paths.goldStudentFeatures(), "feature_date", day).count() + " students";
    }
}
