package io.clickstream.jobs.gold;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import org.apache.spark.sql.SparkSession;

/** Gold {@code chapter_engagement} for a day, from that day's silver events. */
public final class ChapterEngagementJob implements DailyJob {
    private final SparkSession spark;
    private final LakePaths paths;

    public ChapterEngagementJob(SparkSession spark, JobsConfig config) {
        this.spark = spark;
        this.paths = new LakePaths(config.lakeRoot());
        Tables.createIfNotExists(spark, paths.goldChapterEngagement(), ChapterEngagement.TABLE,
                "Gold: engagement per course chapter and UTC day.", "metric_date");
    }

    @Override
    public String name() {
        return "chapter-engagement";
    }

    @Override
    public String run(LocalDate day) {
        GoldIo.replaceDay(ChapterEngagement.compute(GoldIo.silver(spark, paths, day, day), day), paths.goldChapterEngagement(), "metric_date", day);
        return GoldIo.day(spark, paths.goldChapterEngagement(), "metric_date", day).count() + " chapters";
    }
}
