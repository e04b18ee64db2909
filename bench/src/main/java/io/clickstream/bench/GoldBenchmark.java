package io.clickstream.bench;

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
import io.clickstream.jobs.gold.GoldCli;
import io.clickstream.jobs.gold.GoldContext;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import io.clickstream.stack.Directories;
import io.clickstream.stack.Modules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * The full daily gold build over a generated day of silver.
 *
 * <p>Generates {@code --events} (10 million by default) realistic events for one UTC day straight
 * into a silver Delta table on local disk (students with ten sessions of twenty events each: course
 * and chapter page views, scrolls, heartbeats, videos, quizzes, searches, clicks, spread over the
 * day), then times every gold job of {@code bin/clickstream job gold} for that day and prints each
 * job's seconds, the total, and the driver's peak heap.
 *
 * <p>How to run: {@code bench/gold [--events N]} (runs the Spark work in its own JVM with
 * {@code -Xmx6g}).
 */
public final class GoldBenchmark {
    static final LocalDate DAY = LocalDate.parse("2026-11-20");
    private static final int EVENTS_PER_STUDENT = 200;
    private static final String[] STEPS = {"page_view", "page_view", "scroll", "heartbeat", "video_play", "scroll", "click", "heartbeat",
        "video_pause", "video_play", "heartbeat", "video_complete", "scroll", "search", "page_view", "quiz_start", "quiz_answer",
        "quiz_answer", "quiz_submit", "heartbeat"};

    public static void main(String[] args) throws Exception {
        long events = 10_000_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--events")) {
                events = Long.parseLong(args[++i]);
            }
            else if (!args[i].equals("--run")) {
                throw new IllegalArgumentException("usage: bench/gold [--events N]");
            }
        }
        Path home = Path.of(System.getProperty("clickstream.home", ".")).toAbsolutePath().normalize();
        if (List.of(args).contains("--run")) {
            run(home, events);
            return;
        }
        List<String> jvm = new ArrayList<>(List.of("-Xmx6g", "-Dclickstream.home=" + home));
        jvm.addAll(Modules.SPARK_JVM_OPTIONS);
        Process child = new ProcessBuilder(new Modules(home).javaCommand("bench", jvm, GoldBenchmark.class.getName(),
                List.of("--run", "--events", String.valueOf(events)))).inheritIO().start();
        System.exit(child.waitFor());
    }

    private static void run(Path home, long events) throws Exception {
        Path work = home.resolve("work").resolve("bench-gold");
        Directories.deleteRecursively(work);
        Files.createDirectories(work);
        JobsConfig defaults = JobsConfig.load(null);
        JobsConfig config = new JobsConfig(work.resolve("lake").toString(),
                new JobsConfig.Spark("local[2]", 4, work.resolve("spark-tmp").toString()), defaults.kafka(), defaults.streaming(), defaults.gold(),
                defaults.live());
        SparkSession spark = Sparks.session("clickstream-bench-gold", config.spark());
        new StreamingJob(spark, config, EventContract.current());        // creates silver with its declared columns

        long started = System.nanoTime();
        // Files cover half an hour of arrivals each, as the streaming job's micro-batches cover seconds: queries on
        // recent arrivals (the Live dashboard) skip by file statistics, as they do on a lake the stream wrote.
        generate(spark, events).repartitionByRange(48, col("received_at")).write().format("delta").mode(SaveMode.Append)
                .save(new LakePaths(config.lakeRoot()).silverEvents());
        double generateSeconds = (System.nanoTime() - started) / 1e9;
        long inSilver = spark.read().format("delta").load(new LakePaths(config.lakeRoot()).silverEvents()).count();
        System.out.printf("  generated %d events for %s into silver in %.0f s%n", inSilver, DAY, generateSeconds);

        Map<String, Double> seconds = new java.util.LinkedHashMap<>();
        long total = System.nanoTime();
        for (var job : GoldCli.jobs(new GoldContext(spark, config))) {
            long jobStarted = System.nanoTime();
            String summary = job.run(DAY);
            seconds.put(job.name(), (System.nanoTime() - jobStarted) / 1e9);
            System.out.printf("  %-20s %6.1f s  %s%n", job.name(), seconds.get(job.name()), summary);
        }
        double totalSeconds = (System.nanoTime() - total) / 1e9;
        Runtime runtime = Runtime.getRuntime();
        System.out.println();
        System.out.printf("machine: %d cores, %s; Spark local[2], driver -Xmx%d MB%n", runtime.availableProcessors(),
                System.getProperty("os.name"), runtime.maxMemory() / 1024 / 1024);
        System.out.println("| events in the day | gold jobs | total s | events/s | target |");
        System.out.println("|---:|---:|---:|---:|---|");
        System.out.printf("| %d | %d | %.0f | %.0f | <= 180 s |%n", inSilver, seconds.size(), totalSeconds, inSilver / totalSeconds);
        spark.stop();
    }

    /** Deterministic, realistic-looking events: each student has ten sessions of twenty steps, spread over the day. */
    static Dataset<Row> generate(SparkSession spark, long events) {
        long students = Math.max(1, events / EVENTS_PER_STUDENT);
        Column id = col("id");
        Column student = pmod(id, lit(students));
        Column k = id.divide(students).cast("long");                       // the student's k-th event
        Column session = k.divide(20).cast("long");
        Column step = pmod(k, lit(20));
        long dayStart = DAY.atStartOfDay().toEpochSecond(ZoneOffset.UTC);
        // Sessions two hours apart from a per-student start in the first four hours, 45 s between steps.
        Column startOffset = pmod(xxhash64(student), lit(4 * 3600L));
        Column seconds = lit(dayStart).plus(startOffset).plus(session.multiply(7200)).plus(step.multiply(45));
        Column course = element_at(expr("array('algebra','biology','physics','chemistry','history','literature')"),
                pmod(xxhash64(student, session), lit(6)).plus(1).cast("int"));
        Column chapterNumber = pmod(xxhash64(student, session, lit("chapter")), lit(12)).plus(1);
        String[] names = STEPS;
        Column eventName = element_at(expr("array('" + String.join("','", names) + "')"), step.plus(1).cast("int"));
        Column chapter = concat(course, lit("-ch"), chapterNumber);
        Column page = when(step.equalTo(0), concat(lit("/courses/"), course))
                .when(step.equalTo(13), lit("/search"))
                .otherwise(concat(lit("/courses/"), course, lit("/chapter-"), chapterNumber));
        Dataset<Row> generated = spark.range(events).select(
                concat(lit("e"), id).as("event_id"),
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
                to_date(timestamp_seconds(seconds)).as("event_date"));
        List<Column> ordered = new ArrayList<>();
        for (StructField field : EventColumns.silver(EventContract.current()).fields()) {
            ordered.add(col(field.name()).cast(field.dataType()));
        }
        return generated.select(ordered.toArray(Column[]::new));
    }
}
