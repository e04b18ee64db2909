package io.clickstream.jobs.simulate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.timestamp_seconds;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.jobs.lake.Tables;
import io.clickstream.schema.EventContract;
import java.io.File;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * The traffic simulator's bulk mode: a whole historic day of realistic LMS events written straight
 * into silver, for benchmarks and for trying gold on a busy day without waiting a day. Students
 * have ten sessions of twenty steps each (course and chapter page views, scrolls, heartbeats,
 * videos, quizzes, searches, clicks), spread over the day; ids look like pseudonyms.
 *
 * <p>Idempotent: it replaces only the simulated events of that day (event ids {@code sim-DAY-N}),
 * so running it twice leaves one copy and real events of the day are kept.
 *
 * <p>How to run: {@code bin/clickstream simulate --day 2026-11-20 --events 1000000} (or
 * {@code bin/clickstream job historic-day --date 2026-11-20 --events 1000000}); it prints
 * {@code historic day 2026-11-20: 1000000 simulated events in silver, 1000000 events for the day in all (12 s)}.
 */
public final class HistoricDay {
    static final String ID_PREFIX = "sim-";
    private static final int EVENTS_PER_STUDENT = 200;
    private static final String[] STEPS = {"page_view", "page_view", "scroll", "heartbeat", "video_play", "scroll", "click", "heartbeat",
        "video_pause", "video_play", "heartbeat", "video_complete", "scroll", "search", "page_view", "quiz_start", "quiz_answer",
        "quiz_answer", "quiz_submit", "heartbeat"};

    private HistoricDay() {}

    /**
     * Replaces the simulated events of {@code day} in silver with {@code events} new ones; returns how many silver
     * holds for the day afterwards. Files cover half an hour of arrivals each (at 10 million events), as the streaming job's micro-batches
     * cover seconds, so queries on recent arrivals skip files by their statistics as they do on a streamed lake.
     */
    public static long write(SparkSession spark, JobsConfig config, LocalDate day, long events) {
        LakePaths paths = new LakePaths(config.lakeRoot());
        Tables.createSilver(spark, config, EventContract.current());
        generate(spark, day, events).repartitionByRange((int) Math.max(1, Math.min(48, events / 200_000)), col("received_at")).write().format("delta").mode(SaveMode.Overwrite)
                .option("replaceWhere", "event_date = DATE'" + day + "' AND event_id LIKE '" + ID_PREFIX + day + "-%'")
                .save(paths.silverEvents());
        return spark.read().format("delta").load(paths.silverEvents()).where(col(EventColumns.EVENT_DATE).equalTo(lit(day.toString()).cast("date")))
                .count();
    }

    /** Deterministic, realistic-looking events: each student has ten sessions of twenty steps, spread over the day. */
    public static Dataset<Row> generate(SparkSession spark, LocalDate day, long events) {
        long students = Math.max(1, events / EVENTS_PER_STUDENT);
        Column id = col("id");
        Column student = pmod(id, lit(students));
        Column k = id.divide(students).cast("long");                       // the student's k-th event
        Column session = k.divide(20).cast("long");
        Column step = pmod(k, lit(20));
        long dayStart = day.atStartOfDay().toEpochSecond(ZoneOffset.UTC);
        // Sessions two hours apart from a per-student start in the first four hours, 45 s between steps.
        Column startOffset = pmod(xxhash64(student), lit(4 * 3600L));
        Column seconds = lit(dayStart).plus(startOffset).plus(session.multiply(7200)).plus(step.multiply(45));
        Column course = element_at(expr("array('algebra','biology','physics','chemistry','history','literature')"),
                pmod(xxhash64(student, session), lit(6)).plus(1).cast("int"));
        Column chapterNumber = pmod(xxhash64(student, session, lit("chapter")), lit(12)).plus(1);
        Column eventName = element_at(expr("array('" + String.join("','", STEPS) + "')"), step.plus(1).cast("int"));
        Column chapter = concat(course, lit("-ch"), chapterNumber);
        Column page = when(step.equalTo(0), concat(lit("/courses/"), course))
                .when(step.equalTo(13), lit("/search"))
                .otherwise(concat(lit("/courses/"), course, lit("/chapter-"), chapterNumber));
        Dataset<Row> generated = spark.range(events).select(
                concat(lit(ID_PREFIX), lit(day.toString()), lit("-"), id).as("event_id"),
                sha2(concat(lit("student-"), student.cast("string")), 256).as("student_id"),
                eventName.as("event_name"),
                page.as("page_url"),
                when(step.equalTo(0).or(step.equalTo(13)), lit(null).cast("string")).otherwise(chapter).as("chapter_id"),
                concat(lit("s-"), student.cast("string"), lit("-"), session.cast("string")).as("session_id"),
                element_at(expr("array('desktop','mobile','tablet')"), pmod(student, lit(3)).plus(1).cast("int")).as("device_type"),
                element_at(expr("array('Firefox','Chrome','Safari','Edge')"), pmod(student, lit(4)).plus(1).cast("int")).as("browser"),
                timestamp_seconds(seconds).as("event_timestamp"),
                lit(null).cast("string").as("referrer"),
                lit("Mozilla/5.0").as("user_agent"),
                lit("203.0.113.0").as("ip"),
                lit(null).cast("string").as("metadata"),
                when(eventName.equalTo("scroll"), pmod(xxhash64(id), lit(101)).cast("double")).as("scroll_depth"),
                when(eventName.equalTo("heartbeat"), lit(45.0)).as("duration"),
                when(eventName.equalTo("search"), element_at(expr("array('fractions','photosynthesis','newton','acids')"),
                        pmod(id, lit(4)).plus(1).cast("int"))).as("query"),
                timestamp_seconds(seconds.plus(2)).as("received_at"),
                lit(1).as("schema_version"),
                pmod(student, lit(3)).cast("int").as("kafka_partition"),
                id.as("kafka_offset"),
                to_date(timestamp_seconds(seconds)).as("event_date"),
                sha2(concat(lit("student-"), student.cast("string"), lit("|"), session.cast("string")), 256).substr(1, 32)
                        .as(EventColumns.SESSION_KEY),
                lit(false).as(EventColumns.IS_LATE),
                lit(false).as(EventColumns.IS_BOT),
                lit(null).cast("string").as(EventColumns.BOT_REASON),
                element_at(expr("array('Desktop','Phone','Tablet')"), pmod(student, lit(3)).plus(1).cast("int")).as(EventColumns.DEVICE_CLASS),
                element_at(expr("array('Windows NT','Android','iOS','Mac OS')"), pmod(student, lit(4)).plus(1).cast("int")).as(EventColumns.OS_NAME),
                element_at(expr("array('Firefox','Chrome','Safari','Edge')"), pmod(student, lit(4)).plus(1).cast("int")).as(EventColumns.BROWSER_NAME),
                element_at(expr("array('NL','US','IN','BR','DE','NG')"), pmod(xxhash64(student, lit("country")), lit(6)).plus(1).cast("int"))
                        .as(EventColumns.COUNTRY));
        List<Column> ordered = new ArrayList<>();
        for (StructField field : EventColumns.silver(EventContract.current()).fields()) {
            ordered.add(col(field.name()).cast(field.dataType()));
        }
        return generated.select(ordered.toArray(Column[]::new));
    }

    public static void main(String[] args) {
        LocalDate day = null;
        long events = 1_000_000;
        File configFile = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--date" -> day = LocalDate.parse(args[++i]);
                    case "--events" -> events = Long.parseLong(args[++i]);
                    case "--config" -> configFile = new File(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (day == null || events < 1) {
                throw new IllegalArgumentException("--date YYYY-MM-DD is required and --events must be positive");
            }
        }
        catch (RuntimeException e) {
            System.err.println("historic-day: " + e.getMessage());
            System.err.println("usage: historic-day --date YYYY-MM-DD [--events N] [--config FILE]");
            System.exit(2);
            return;
        }
        JobsConfig config = JobsConfig.load(configFile);
        SparkSession spark = Sparks.session("clickstream-historic-day", config.spark());
        long started = System.nanoTime();
        long inSilver = write(spark, config, day, events);
        System.out.printf("historic day %s: %d simulated events in silver, %d events for the day in all (%.0f s)%n", day, events, inSilver,
                (System.nanoTime() - started) / 1e9);
        spark.stop();
    }
}
