package io.clickstream.jobs.gold;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import org.apache.spark.sql.SparkSession;

/** What every gold job holds: the run's context (the shared day of silver) and, for short, its session, configuration and lake. */
abstract class GoldJob implements DailyJob {
    protected final GoldContext context;
    protected final SparkSession spark;
    protected final JobsConfig config;
    protected final LakePaths paths;

    GoldJob(GoldContext context) {
        this.context = context;
        this.spark = context.spark();
        this.config = context.config();
        this.paths = context.paths();
    }
}
