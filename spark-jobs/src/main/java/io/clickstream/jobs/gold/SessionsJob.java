package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Gold {@code sessions} (and {@code sessions_quarantine} for implausible ones) for a day: the
 * sessions that start on that UTC day, cut from silver events of the day before, the day and the
 * day after, so a session that crosses midnight is whole and belongs to its first day.
 */
public final class SessionsJob extends GoldJob {
    public SessionsJob(GoldContext context) {
        super(context);
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
        Dataset<Row> sessions = Sessions.summarise(context.aroundDay(day)).persist();
        try {
            GoldIo.replaceDay(Sessions.plausible(sessions, day, config.gold().maxSessionLength()), paths.goldSessions(), "session_date", day);
            GoldIo.replaceDay(Sessions.implausible(sessions, day, config.gold().maxSessionLength()), paths.goldSessionsQuarantine(),
                    "session_date", day);
        }
        finally {
            sessions.unpersist();
        }
        return GoldIo.day(spark, paths.goldSessions(), "session_date", day).count() + " sessions, "
                + GoldIo.day(spark, paths.goldSessionsQuarantine(), "session_date", day).count() + " implausible (quarantined)";
    }
}
