package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden sessions through silver to gold on disk; the expected files were computed by hand (see the golden README). */
class SessionsTest {
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void sessionsEqualHandComputedValuesAcrossMidnightGapsAndTheMaximum() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(SharedSpark.lines("/golden/sessions/input.jsonl"), 0, Instant.now()), 0);
        SessionsJob job = new SessionsJob(new GoldContext(spark, config));
        assertEquals("5 sessions, 1 implausible (quarantined)", job.run(LocalDate.parse("2026-11-20")));
        assertEquals("1 sessions, 0 implausible (quarantined)", job.run(LocalDate.parse("2026-11-21")));
        job.run(LocalDate.parse("2026-11-20"));          // re-run: must replace, not add

        LakePaths paths = new LakePaths(config.lakeRoot());
        List<Row> sessions = spark.read().format("delta").load(paths.goldSessions()).orderBy("session_date", "student_id", "session_start")
                .collectAsList();
        List<String> expected = SharedSpark.lines("/golden/sessions/expected-sessions.csv");
        assertEquals(expected.subList(1, expected.size()), sessions.stream().map(row -> String.join(",",
                text(row, "session_date"), text(row, "student_id"), text(row, "session_start"), text(row, "session_end"),
                text(row, "duration_seconds"), text(row, "events"), text(row, "page_views"), text(row, "pages"), text(row, "first_page"),
                text(row, "last_page"), text(row, "device_type"), text(row, "browser"), text(row, "bounce"), text(row, "engaged_seconds"),
                text(row, "client_sessions"))).toList());
        for (Row row : sessions) {
            String key = row.getAs("student_id") + ":" + ChronoUnit.MICROS.between(Instant.EPOCH, row.<Timestamp>getAs("session_start").toInstant());
            assertEquals(sha256(key), row.getAs("session_key"), "session_key of " + key);
        }

        List<String> expectedQuarantine = SharedSpark.lines("/golden/sessions/expected-quarantine.csv");
        assertEquals(expectedQuarantine.subList(1, expectedQuarantine.size()),
                spark.read().format("delta").load(paths.goldSessionsQuarantine()).orderBy("session_start").collectAsList().stream()
                        .map(row -> String.join(",", text(row, "session_date"), text(row, "student_id"), text(row, "session_start"),
                                text(row, "session_end"), text(row, "duration_seconds"), text(row, "events"), text(row, "page_views"),
                                text(row, "pages"), text(row, "engaged_seconds"), text(row, "reason"))).toList());
    }

    @Test
    void aRunThatSharesTheDayReadsSilverAgainWhenLateEventsArrive() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        StreamingJob stream = new StreamingJob(spark, config, EventContract.current());
        stream.writeBatch(SharedSpark.kafkaRecords(SharedSpark.lines("/golden/sessions/input.jsonl"), 0, Instant.now()), 0);
        GoldContext context = new GoldContext(spark, config);
        SessionsJob job = new SessionsJob(context);
        assertEquals("5 sessions, 1 implausible (quarantined)", job.run(LocalDate.parse("2026-11-20")));

        // The day is cached by the context; a late event for it lands in silver (a new Delta version).
        stream.writeBatch(SharedSpark.kafkaRecords(List.of("{\"event_id\": \"late-1\", \"student_id\": \"student-late\", "
                + "\"event_name\": \"page_view\", \"page_url\": \"/courses/algebra\", \"session_id\": \"s-late\", "
                + "\"timestamp\": \"2026-11-20T10:00:00Z\", \"received_at\": \"2026-11-22T10:00:00Z\", \"schema_version\": 1}"),
                1_000, Instant.now()), 1);
        assertEquals("6 sessions, 1 implausible (quarantined)", job.run(LocalDate.parse("2026-11-20")));
        context.release();
    }

    private static String text(Row row, String column) {
        Object value = row.getAs(column);
        return value instanceof Timestamp timestamp ? timestamp.toInstant().toString() : String.valueOf(value);
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
