package io.clickstream.jobs.lake;

import io.clickstream.jobs.JobsConfig;
import java.io.File;
import org.apache.spark.sql.SparkSession;

/** Builds the SparkSession every job uses: Delta enabled, UTC, settings that matter on small machines. */
public final class Sparks {
    private Sparks() {}

    public static SparkSession session(String appName, JobsConfig.Spark config) {
        File localDir = new File(config.localDir()).getAbsoluteFile();
        localDir.mkdirs();
        SparkSession.Builder builder = SparkSession.builder()
                .appName(appName)
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", config.shufflePartitions())
                .config("spark.databricks.delta.snapshotPartitions", 2)
                .config("spark.sql.streaming.noDataMicroBatches.enabled", false)
                // Trino reads INT96 poorly; micros are exact and portable.
                .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
                // Gold's per-session aggregates (collect_set) hash up to this many groups per task before falling back to
                // sorting every row; the default (128) sorts a day's events again just to count distinct pages per session.
                .config("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", 262_144)
                .config("spark.local.dir", localDir.getPath())
                .config("spark.sql.warehouse.dir", new File(localDir, "warehouse").getPath())
                // Local paths without a chmod or readlink process per file (see LocalFileSystems).
                .config("spark.hadoop.fs.file.impl", LocalFileSystems.Checksummed.class.getName())
                .config("spark.hadoop.fs.AbstractFileSystem.file.impl", LocalFileSystems.Fs.class.getName())
                // Delta's log, committed to every second by the stream: listed by name on local disks, with startAfter on
                // S3A (see LocalDeltaLogStore); Delta's defaults read the status of every commit the log keeps, each time.
                .config("spark.delta.logStore.file.impl", LocalDeltaLogStore.class.getName())
                .config("spark.hadoop.delta.enableFastS3AListFrom", true)
                .config("spark.ui.enabled", Boolean.getBoolean("clickstream.spark.ui"))
                // Every query's start event carries its plan as text; the default "formatted" text took about a tenth of
                // the streaming driver's time per micro-batch (the plan of a batch is wide). "simple" is the plain tree.
                .config("spark.sql.ui.explainMode", "simple");
        config.settings().forEach(builder::config);
        // spark-submit sets the master on a cluster; only a plain java launch takes ours.
        if (System.getProperty("spark.master") == null) {
            builder.master(config.master())
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    // File listings (Delta VACUUM, recursive reads) run as parallel Spark jobs of up to 10 000 tasks by
                    // default, which on a laptop's few cores takes minutes for a handful of files; a cluster keeps the default.
                    .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", 8)
                    // Gold caches a day of events in memory; on a few cores, encoding the cache costs more than the memory it saves.
                    .config("spark.sql.inMemoryColumnarStorage.compressed", false);
        }
        return builder.getOrCreate();
    }
}
