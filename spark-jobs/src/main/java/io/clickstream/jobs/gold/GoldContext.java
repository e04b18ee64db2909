package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What the gold jobs of one run share: the Spark session, the configuration, the lake, and a day's
 * silver events, read and cut into sessions once however many jobs use them.
 *
 * <p>The day's events are cached from the first job that needs them until {@link #release()} or
 * until a job asks for another day; {@code bin/clickstream job gold} releases them after each day.
 */
public final class GoldContext {
    /** The silver columns gold reads; the cached days hold only these (silver has many more). */
    static final List<String> COLUMNS = List.of("event_id", "student_id", "event_name", "event_timestamp", "event_date", "page_url",
            "chapter_id", "session_id", "device_type", "browser", "country", "user_agent", "scroll_depth", "duration", "query", "received_at");

    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;
    private LocalDate cachedDay;
    private long cachedVersion;
    private Dataset<Row> cached;

    public GoldContext(SparkSession spark, JobsConfig config) {
        this.spark = spark;
        this.config = config;
        this.paths = new LakePaths(config.lakeRoot());
    }

    public SparkSession spark() {
        return spark;
    }

    public JobsConfig config() {
        return config;
    }

    LakePaths paths() {
        return paths;
    }

    /** Silver events from {@code from} to {@code to}, both included, with only the columns gold reads. */
    Dataset<Row> silver(LocalDate from, LocalDate to) {
        Dataset<Row> events = GoldIo.silver(spark, paths, from, to);
        List<String> present = Arrays.asList(events.columns());
        // Silver gains a column (country, say) when the contract grows: read what is there.
        return events.select(COLUMNS.stream().filter(present::contains).map(name -> col(name)).toArray(Column[]::new));
    }

    /**
     * Silver events of the day before {@code day}, the day and the day after, in sessions (see
     * {@link Sessions#assign}): what a session crossing midnight needs to be whole. Cached.
     */
    synchronized Dataset<Row> aroundDay(LocalDate day) {
        if (!isCached(day)) {
            release();
            GoldIo.requireSilver(spark, paths);
            long version = silverVersion();
            cached = Sessions.assign(silver(day.minusDays(1), day.plusDays(1)), config.gold().sessionInactivityGap()).persist();
            cachedDay = day;
            cachedVersion = version;
        }
        return cached;
    }

    /** True when the day's events are cached and silver has not changed since (the stream may have appended late events). */
    private boolean isCached(LocalDate day) {
        return day.equals(cachedDay) && silverVersion() == cachedVersion;
    }

    private long silverVersion() {
        return DeltaTable.forPath(spark, paths.silverEvents()).history(1).select("version").first().getLong(0);
    }

    /**
     * The day's silver events. From the cached days when a job of this run already read them (with
     * their sessions and previous event), else read alone, so a job that needs only the day (hourly
     * metrics every hour) does not pay for three days and a sort.
     */
    synchronized Dataset<Row> onDay(LocalDate day) {
        Dataset<Row> events = isCached(day) ? cached : silver(day, day);
        return events.where(col("event_date").equalTo(lit(java.sql.Date.valueOf(day))));
    }

    /** Drops the cached days; the next job reads silver again. */
    public synchronized void release() {
        if (cached != null) {
            cached.unpersist();
        }
        cached = null;
        cachedDay = null;
    }
}
