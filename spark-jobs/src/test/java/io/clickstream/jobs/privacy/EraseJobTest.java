package io.clickstream.jobs.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.gold.GoldContext;
import io.clickstream.jobs.gold.SessionsJob;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One student erased from silver, quarantine, gold and bronze; the other students stay whole. */
class EraseJobTest {
    private static final String ERASED = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String KEPT = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void everyLayerLosesTheStudentAndReportsHowMuch() throws IOException {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            values.add(event("x" + i, ERASED, "2026-11-20T10:0" + i + ":00Z"));
            values.add(event("y" + i, KEPT, "2026-11-20T10:0" + i + ":30Z"));
        }
        values.add(event("bad", ERASED, "half past ten"));                          // quarantined, mentions the student
        new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(values, 0, Instant.parse("2026-11-20T10:05:00Z")), 0);
        new SessionsJob(new GoldContext(spark, config)).run(LocalDate.parse("2026-11-20"));

        Map<String, Long> removed = new EraseJob(spark, config).erase(ERASED);

        assertEquals(4, removed.get("silver.clickstream_processed"));
        assertEquals(1, removed.get("silver.clickstream_quarantine"));
        assertEquals(1, removed.get("gold.sessions"));
        assertEquals(5, removed.get("bronze (raw/clickstream)"));
        assertEquals(0, spark.read().format("delta").load(paths.silverEvents()).where("student_id = '" + ERASED + "'").count());
        assertEquals(4, spark.read().format("delta").load(paths.silverEvents()).where("student_id = '" + KEPT + "'").count());
        assertEquals(1, spark.read().format("delta").load(paths.goldSessions()).count(), "the other student's session stays");
        String bronze = bronzeText();
        assertFalse(bronze.contains(ERASED), "no bronze record of the student");
        assertEquals(4, bronze.lines().filter(line -> line.contains(KEPT)).count());

        assertEquals(0, new EraseJob(spark, config).erase(ERASED).values().stream().mapToLong(Long::longValue).sum(), "a repeat finds nothing");
        assertThrows(IllegalArgumentException.class, () -> new EraseJob(spark, config).erase("student-7"), "raw ids are refused");
    }

    @Test
    void aStudentIsErasedWhileTheStreamKeepsWritingSilver() throws Exception {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            values.add(event("x" + i, ERASED, "2026-11-2" + i + "T10:00:00Z"));
            values.add(event("y" + i, KEPT, "2026-11-2" + i + "T10:00:30Z"));
        }
        values.add(event("bad", ERASED, "half past ten"));
        Path incoming = lake.resolve("incoming");
        SharedSpark.kafkaRecords(values, 0, Instant.parse("2026-11-23T10:05:00Z")).write().parquet(incoming.resolve("part-0").toString());
        // A running stream goes on writing the other student's events into the days the erase reads, batch after batch: a
        // DELETE beside it would conflict with each of its commits (Delta's Serializable isolation).
        Dataset<Row> source = spark.readStream().schema(SharedSpark.KAFKA_RECORD)
                .option("recursiveFileLookup", "true").parquet(incoming.toString());
        StreamingQuery query = new StreamingJob(spark, config, EventContract.current()).start(source, Trigger.ProcessingTime(1_000));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger parts = new AtomicInteger(1);
        Thread feeder = new Thread(() -> {
            while (!stop.get()) {
                int part = parts.get();
                List<String> more = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    more.add(event("y" + i + "-" + part, KEPT, "2026-11-2" + i + "T11:00:00Z"));
                }
                SharedSpark.kafkaRecords(more, 100L * part, Instant.parse("2026-11-23T11:00:00Z")).write().parquet(incoming.resolve("part-" + part).toString());
                parts.incrementAndGet();
            }
        });
        Map<String, Long> removed;
        try {
            query.processAllAvailable();
            feeder.start();
            removed = new EraseJob(spark, config).erase(ERASED);
        }
        finally {
            stop.set(true);
            feeder.join();
            query.processAllAvailable();
            query.stop();
        }
        assertTrue(query.exception().isEmpty(), () -> "the stream never fails for the erasure: " + query.exception().get());
        assertEquals(4, removed.get("silver.clickstream_processed"), "answered by the stream: " + removed);
        assertEquals(1, removed.get("silver.clickstream_quarantine"));
        assertEquals(5, removed.get("bronze (raw/clickstream)"));
        assertEquals(0, spark.read().format("delta").load(paths.silverEvents()).where("student_id = '" + ERASED + "'").count());
        assertEquals(4L * parts.get(), spark.read().format("delta").load(paths.silverEvents()).where("student_id = '" + KEPT + "'").count(),
                "every event the stream wrote beside the erasure is kept");
        assertFalse(bronzeText().contains(ERASED));
        assertTrue(Files.exists(lake.resolve("_erase_requests/.streaming-job")), "the stream looked for requests (and took this one)");
        try (Stream<Path> left = Files.list(lake.resolve("_erase_requests"))) {
            List<String> names = left.map(path -> path.getFileName().toString()).filter(name -> !name.startsWith(".")).toList();
            assertEquals(1, names.size(), "the request and its answer are gone; the note of the erasure stays: " + names);
            assertTrue(names.get(0).matches(ERASED + "\\.[0-9]+\\.erased"), names.get(0));
        }
    }

    @Test
    void anErasedStudentsRecordsStayOutWhenTheyReachTheWriterAgain() throws IOException {
        JobsConfig config = SharedSpark.config(lake);
        LakePaths paths = new LakePaths(config.lakeRoot());
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            values.add(event("x" + i, ERASED, "2026-11-20T10:0" + i + ":00Z"));
            values.add(event("y" + i, KEPT, "2026-11-20T10:0" + i + ":30Z"));
        }
        values.add(event("bad", ERASED, "half past ten"));
        Instant sent = Instant.now().minusSeconds(60);
        new StreamingJob(spark, config, EventContract.current()).writeBatch(SharedSpark.kafkaRecords(values, 0, sent), 0);
        new EraseJob(spark, config).erase(ERASED);

        // The same records once more, as a batch run again after a crash (before its offsets were committed), a topic
        // read again from an earlier offset, or a replay would bring them: the erasure holds.
        StreamingJob.BatchResult again = new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(values, 0, sent), 1);
        assertEquals(4, again.erased(), "the student's three events and the quarantined record: " + again);
        assertEquals(3, again.bronze(), "the other student's records are written as before");
        assertEquals(0, spark.read().format("delta").load(paths.silverEvents()).where("student_id = '" + ERASED + "'").count());
        assertEquals(3, spark.read().format("delta").load(paths.silverEvents()).where("student_id = '" + KEPT + "'").count());
        assertEquals(0, spark.read().format("delta").load(paths.silverQuarantine()).where("contains(raw_value, '" + ERASED + "')").count());
        assertFalse(bronzeText().contains(ERASED), "no bronze record of the student");

        // What the student sends after the erasure is new data, and kept.
        StreamingJob.BatchResult later = new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(List.of(event("z1", ERASED, "2026-11-20T10:10:00Z")), 100, Instant.now().plusSeconds(1)), 2);
        assertEquals(0, later.erased());
        assertEquals(1, spark.read().format("delta").load(paths.silverEvents()).where("student_id = '" + ERASED + "'").count());
    }

    private String bronzeText() throws IOException {
        StringBuilder text = new StringBuilder();
        try (Stream<Path> files = Files.walk(lake.resolve("raw"))) {
            for (Path file : files.filter(path -> path.toString().endsWith(".json.gz")).toList()) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                    text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return text.toString();
    }

    private static String event(String eventId, String student, String time) {
        return "{\"event_id\":\"" + eventId + "\",\"student_id\":\"" + student + "\",\"event_name\":\"page_view\",\"page_url\":\"/courses/a\","
                + "\"session_id\":\"s-" + student.charAt(0) + "\",\"timestamp\":\"" + time + "\"}";
    }
}
