package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Gold {@code student_features} for a day: reads silver for the day and the 27 before it, never
 * later, so each day's rows are point-in-time correct however late the job runs.
 */
public final class StudentFeaturesJob extends GoldJob {
    public StudentFeaturesJob(GoldContext context) {
        super(context);
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
