package io.clickstream.bench;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.schema.EventContract;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.to_date;

/**
 * The least a Spark stream from Kafka to Delta does, as a second reference for the streaming benchmark: each record
 * parsed into the published event's columns and appended to a Delta table partitioned by date and event name, with
 * the same session, batch size and heap as the streaming job; nothing else (no de-duplication, state, enrichment,
 * bronze, quarantine or enriched topic).
 *
 * <p>Run by {@link StreamingBenchmark} in a JVM of its own on the topic's backlog; prints one line,
 * {@code spark floor: ...}, with its events/s and its JVM's CPU time per event, both counted from the end of the first
 * batch to the end of the last, as the benchmark counts the streaming job's.
 *
 * <p>Arguments: {@code --table DIR --events N} (the records the topic holds).
 */
public final class SparkFloor {
    private SparkFloor() {}

    /** The end of one micro-batch: when the listener heard of it, the records it read, the JVM's CPU time by then. */
    private record BatchEnd(long nanos, long rows, long cpuNanos) {}

    public static void main(String[] args) throws Exception {
        Path table = null;
        long events = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--table" -> table = Path.of(args[++i]).toAbsolutePath();
                case "--events" -> events = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("usage: SparkFloor --table DIR --events N");
            }
        }
        if (table == null || events < 1) {
            throw new IllegalArgumentException("usage: SparkFloor --table DIR --events N");
        }
        JobsConfig config = JobsConfig.load(null);
        SparkSession spark = Sparks.session("clickstream-bench-spark-floor", config.spark());
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        List<BatchEnd> batches = new CopyOnWriteArrayList<>();
        spark.streams().addListener(new StreamingQueryListener() {
            @Override
            public void onQueryStarted(QueryStartedEvent event) {}

            @Override
            public void onQueryProgress(QueryProgressEvent event) {
                batches.add(new BatchEnd(System.nanoTime(), event.progress().numInputRows(), os.getProcessCpuTime()));
            }

            @Override
            public void onQueryIdle(QueryIdleEvent event) {}

            @Override
            public void onQueryTerminated(QueryTerminatedEvent event) {}
        });

        Dataset<Row> parsed = spark.readStream()
                .format("kafka")
                .option("kafka.bootstrap.servers", config.kafka().bootstrapServers())
                .option("subscribe", config.kafka().topic())
                .option("startingOffsets", "earliest")
                .option("maxOffsetsPerTrigger", config.kafka().maxOffsetsPerTrigger())
                .load()
                .select(from_json(col("value").cast("string"), EventColumns.publishedEvent(EventContract.current())).as("event"),
                        col("partition").as("kafka_partition"), col("offset").as("kafka_offset"))
                .select(col("event.*"), col("kafka_partition"), col("kafka_offset"))
                .withColumn(EventColumns.EVENT_DATE, to_date(col("timestamp").cast("timestamp")));
        StreamingQuery query = parsed.writeStream()
                .format("delta")
                .partitionBy(EventColumns.EVENT_DATE, "event_name")
                .option("checkpointLocation", table.resolve("_checkpoint").toString())
                .trigger(Trigger.AvailableNow())
                .start(table.resolve("events").toString());
        query.awaitTermination();
        // The last progress event may reach the listener just after the query ends.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (batches.stream().mapToLong(BatchEnd::rows).sum() < events && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long read = batches.stream().mapToLong(BatchEnd::rows).sum();
        if (read < events || batches.size() < 2) {
            throw new IllegalStateException("the floor read " + read + " of " + events + " records in " + batches.size() + " batches");
        }
        BatchEnd first = batches.get(0);
        BatchEnd last = batches.get(batches.size() - 1);
        long counted = read - first.rows();
        double seconds = (last.nanos() - first.nanos()) / 1e9;
        double cpuSeconds = (last.cpuNanos() - first.cpuNanos()) / 1e9;
        System.out.printf("spark floor: %d records in %d batches; %d after the first batch in %.1f s: %.0f events/s, %.1f µs CPU per event"
                + " (%.2f cores busy)%n", read, batches.size(), counted, seconds, counted / seconds, cpuSeconds * 1e6 / counted,
                cpuSeconds / seconds);
        spark.stop();
    }
}
