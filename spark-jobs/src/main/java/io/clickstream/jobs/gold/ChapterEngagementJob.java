package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import org.apache.spark.sql.SparkSession;

/** Gold {@code chapter_engagement} for a day, from that day's silver events. */
public final class ChapterEngagementJob implements DailyJob {
    private final GoldContext context;
    private final SparkSession spark;
    private final LakePaths paths;

    public ChapterEngagementJob(GoldContext context) {
        this.context = context;
        this.spark = context.spark();
        this.paths = context.paths();
        Tables.createIfNotExists(spark, paths.goldChapterEngagement(), ChapterEngagement.TABLE,
                "Gold: engagement per course chapter and UTC day.", "metric_date");
    }

    @Override
    public String name() {
        return "chapter-engagement";
    }

    @Override
    public String run(LocalDate day) {
        GoldIo.replaceDay(ChapterEngagement.compute(context.onDay(day), day), paths.goldChapterEngagement(), "metric_date", day);
        return GoldIo.day(spark, paths.goldChapterEngagement(), "metric_date", day).count() + " chapters";
    }
}
