package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;

/** Gold {@code chapter_engagement} for a day, from that day's silver events. */
public final class ChapterEngagementJob extends GoldJob {
    public ChapterEngagementJob(GoldContext context) {
        super(context);
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
