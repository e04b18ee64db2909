package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Tables;
import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Gold {@code sessions} (and {@code sessions_quarantine} for implausible ones) for a day: the
 * sessions that start on that UTC day, cut from silver events of the day before, the day and the
 * day after, so a session that crosses midnight is whole and belongs to its first day.
 */
public final class SessionsJob implements DailyJob {
    private final SparkSession spark;
    private final JobsConfig config;
    private final LakePaths paths;

    public SessionsJob(SparkSession spark, JobsConfig config) {
        this.spark = spark;
        this.config = config;
        this.paths = new LakePaths(config.lakeRoot());
        Tables.createIfNotExists(spark, paths.goldSessions(), Sessions.TABLE,
                "Gold: one row per student session (30-minute inactivity gap by default), by the UTC day it starts.", "session_date");
        Tables.createIfNotExists(spark, paths.goldSessionsQuarantine(), Sessions.QUARANTINE_TABLE,
                "Gold: sessions too long to be real, kept out of sessions and every average, with the reason.", "session_date");
    }

    @Override
    public String name() {
        return "sessions";
    }

    @Override
    public String run(LocalDate day) {
        if (!DeltaTable.isDeltaTable(spark, paths.silverEvents())) {
            throw new IllegalStateException("no silver table at " + paths.silverEvents() + ": start the streaming job first");
        }
        Dataset<Row> events = spark.read().format("delta").load(paths.silverEvents())
                .where(col("event_date").between(lit(java.sql.Date.valueOf(day.minusDays(1))), lit(java.sql.Date.valueOf(day.plusDays(1)))));
        Dataset<Row> sessions = Sessions.of(events, config.gold().sessionInactivityGap()).persist();
        try {
            String onlyThisDay = "session_date = DATE'" + day + "'";
            Sessions.plausible(sessions, day, config.gold().maxSessionLength())
                    .write().format("delta").mode(SaveMode.Overwrite).option("replaceWhere", onlyThisDay).save(paths.goldSessions());
            Sessions.implausible(sessions, day, config.gold().maxSessionLength())
                    .write().format("delta").mode(SaveMode.Overwrite).option("replaceWhere", onlyThisDay).save(paths.goldSessionsQuarantine());
        }
        finally {
            sessions.unpersist();
        }
        String onlyThisDay = "session_date = DATE'" + day + "'";
        long written = spark.read().format("delta").load(paths.goldSessions()).where(onlyThisDay).count();
        long quarantined = spark.read().format("delta").load(paths.goldSessionsQuarantine()).where(onlyThisDay).count();
        return written + " sessions, " + quarantined + " implausible (quarantined)";
    }
}
