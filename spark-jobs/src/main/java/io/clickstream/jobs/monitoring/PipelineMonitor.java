package io.clickstream.jobs.monitoring;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpServer;
import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Tables;
import io.clickstream.jobs.streaming.StreamingJob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the streaming queries of this Spark application and reports each micro-batch: input and
 * processing rates, batch duration, rows written per layer (from the streaming job), copies left
 * out, late and bot events, and consumer lag per partition (newest offsets minus what the batch
 * read). As Prometheus metrics on {@code http://HOST:PORT/metrics}, and as rows of the Delta table
 * {@code monitoring/pipeline_metrics} (appended every {@code clickstream.monitoring.metrics-table-interval}
 * and when a query stops), so lag and throughput can be queried with SQL next to the data.
 *
 * <p>Spark calls the listener on its listener bus thread, never a stream's; the table is written
 * by a thread of its own, so neither slows a micro-batch.
 */
public final class PipelineMonitor extends StreamingQueryListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineMonitor.class);
    public static final StructType TABLE = new StructType()
            .add("query", DataTypes.StringType, false, "Streaming query name (clickstream_lake: Kafka to bronze and silver).")
            .add("query_id", DataTypes.StringType, false, "The query's id: it changes when the checkpoint is new.")
            .add("batch_id", DataTypes.LongType, false, "Micro-batch number within the query.")
            .add("batch_time", DataTypes.TimestampType, false, "When the micro-batch started (UTC).")
            .add("input_rows", DataTypes.LongType, false, "Kafka records the batch read.")
            .add("input_rows_per_second", DataTypes.DoubleType, true, "Records arriving per second since the batch before.")
            .add("processed_rows_per_second", DataTypes.DoubleType, true, "Records the batch processed per second of its duration.")
            .add("batch_duration_ms", DataTypes.LongType, false, "How long the batch took, milliseconds.")
            .add("bronze_rows", DataTypes.LongType, true, "Records written to bronze (every record read).")
            .add("silver_appended", DataTypes.LongType, true, "Events appended to silver (known new through the state store).")
            .add("silver_merged", DataTypes.LongType, true, "Events merged into silver (checked against silver: late, old or after a restart).")
            .add("duplicates", DataTypes.LongType, true, "Copies of events already written, left out.")
            .add("quarantined", DataTypes.LongType, true, "Records written to the quarantine table.")
            .add("late", DataTypes.LongType, true, "Events flagged is_late.")
            .add("bots", DataTypes.LongType, true, "Events flagged is_bot.")
            .add("lag_records", DataTypes.LongType, false, "Records in Kafka not yet read, over all partitions, after the batch.")
            .add("lag_by_partition", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), true,
                    "The same per topic-partition.")
            .add("metric_date", DataTypes.DateType, false, "UTC date of batch_time; partition column.");

    private final SparkSession spark;
    private final String table;
    private final LongFunction<StreamingJob.BatchResult> batchResults;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<UUID, String> queryNames = new ConcurrentHashMap<>();
    private final Map<String, AtomicReference<Double>> gauges = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Row> pendingRows = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService writer;
    private final HttpServer server;

    private PipelineMonitor(SparkSession spark, JobsConfig config, LongFunction<StreamingJob.BatchResult> batchResults) throws IOException {
        this.spark = requireNonNull(spark, "spark is null");
        this.batchResults = requireNonNull(batchResults, "batchResults is null");
        JobsConfig.Monitoring monitoring = config.monitoring();
        this.table = new LakePaths(config.lakeRoot()).pipelineMetrics();
        Tables.createIfNotExists(spark, table, TABLE, "One row per streaming micro-batch: rates, rows per layer, consumer lag.", "metric_date");
        if (monitoring.port() >= 0) {
            server = HttpServer.create(new InetSocketAddress(monitoring.host(), monitoring.port()), 0);
            server.createContext("/metrics", exchange -> {
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            LOG.info("metrics on http://{}:{}/metrics", monitoring.host(), server.getAddress().getPort());
        }
        else {
            server = null;
        }
        writer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pipeline-metrics-writer");
            thread.setDaemon(true);
            return thread;
        });
        long every = monitoring.metricsTableInterval().toMillis();
        writer.scheduleWithFixedDelay(this::writeTableQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the monitor and registers it with the session: metrics served on the configured port (0: any free port,
     * negative: none), table rows written in the background. {@code batchResults} gives what a batch wrote, by id.
     */
    public static PipelineMonitor start(SparkSession spark, JobsConfig config, LongFunction<StreamingJob.BatchResult> batchResults)
            throws IOException {
        PipelineMonitor monitor = new PipelineMonitor(spark, config, batchResults);
        spark.streams().addListener(monitor);
        return monitor;
    }

    /** The port the metrics are served on, or -1. */
    public int port() {
        return server == null ? -1 : server.getAddress().getPort();
    }

    /** The metrics in Prometheus's text format, as /metrics serves them. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        queryNames.put(event.id(), event.name() == null ? event.id().toString() : event.name());
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        StreamingQueryProgress progress = event.progress();
        String query = queryNames.getOrDefault(progress.id(), progress.name() == null ? progress.id().toString() : progress.name());
        Map<String, Long> lagByPartition = new TreeMap<>();
        long lag = 0;
        for (SourceProgress source : progress.sources()) {
            lag += ConsumerLag.lag(source.endOffset(), source.latestOffset(), lagByPartition);
        }
        Instant batchTime = Instant.parse(progress.timestamp());
        StreamingJob.BatchResult written = StreamingJob.QUERY_NAME.equals(query) ? batchResults.apply(progress.batchId()) : null;

        gauge("clickstream.stream.input.rows.per.second", query, finite(progress.inputRowsPerSecond()));
        gauge("clickstream.stream.processed.rows.per.second", query, finite(progress.processedRowsPerSecond()));
        gauge("clickstream.stream.batch.duration.seconds", query, progress.batchDuration() / 1000.0);
        gauge("clickstream.stream.last.batch.timestamp.seconds", query, batchTime.toEpochMilli() / 1000.0);
        gauge("clickstream.stream.consumer.lag.records", query, lag);
        lagByPartition.forEach((partition, behind) -> gauge("clickstream.stream.consumer.lag.partition.records", query + "\u0000" + partition,
                behind));
        Counter.builder("clickstream.stream.input.rows").tag("query", query).register(registry).increment(progress.numInputRows());
        if (written != null) {
            rows(query, "bronze", written.bronze());
            rows(query, "silver_appended", written.appended());
            rows(query, "silver_merged", written.merged());
            rows(query, "duplicates", written.duplicates());
            rows(query, "quarantine", written.quarantined());
            rows(query, "late", written.late());
            rows(query, "bots", written.bots());
            rows(query, "erased", written.erased());
        }
        pendingRows.add(RowFactory.create(query, progress.id().toString(), progress.batchId(), Timestamp.from(batchTime), progress.numInputRows(),
                finite(progress.inputRowsPerSecond()), finite(progress.processedRowsPerSecond()), progress.batchDuration(),
                written == null ? null : written.bronze(), written == null ? null : written.appended(), written == null ? null : written.merged(),
                written == null ? null : written.duplicates(), written == null ? null : written.quarantined(),
                written == null ? null : written.late(), written == null ? null : written.bots(), lag,
                scala.jdk.javaapi.CollectionConverters.asScala(lagByPartition), Date.valueOf(batchTime.atZone(ZoneOffset.UTC).toLocalDate())));
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        String query = queryNames.getOrDefault(event.id(), event.id().toString());
        gauge("clickstream.stream.last.idle.timestamp.seconds", query, Instant.parse(event.timestamp()).toEpochMilli() / 1000.0);
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        String query = queryNames.getOrDefault(event.id(), event.id().toString());
        gauge("clickstream.stream.failed", query, event.exception().isDefined() ? 1 : 0);
        writer.execute(this::writeTableQuietly);
    }

    /** Appends the rows gathered so far to the table now (the background writer does this every interval). */
    public synchronized void writeTable() {
        List<Row> rows = new ArrayList<>();
        for (Row row = pendingRows.poll(); row != null; row = pendingRows.poll()) {
            rows.add(row);
        }
        if (rows.isEmpty()) {
            return;
        }
        SparkSession.setActiveSession(spark);
        spark.createDataFrame(rows, TABLE).write().format("delta").mode(SaveMode.Append).save(table);
    }

    private void writeTableQuietly() {
        try {
            writeTable();
        }
        catch (RuntimeException e) {
            // The metrics table is a report, not the data: a failed append is logged and its rows are lost, the stream goes on.
            LOG.warn("could not append to the pipeline_metrics table: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        spark.streams().removeListener(this);
        writer.shutdown();
        try {
            writer.awaitTermination(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writeTableQuietly();
        if (server != null) {
            server.stop(0);
        }
        registry.close();
    }

    private void rows(String query, String layer, long count) {
        Counter.builder("clickstream.stream.rows.written").tag("query", query).tag("layer", layer).register(registry).increment(count);
    }

    /** A gauge per name and query (and partition, after a NUL in {@code series}), set to {@code value}. */
    private void gauge(String name, String series, double value) {
        gauges.computeIfAbsent(name + "\u0000" + series, key -> {
            AtomicReference<Double> holder = new AtomicReference<>(0.0);
            String[] parts = series.split("\u0000");
            Gauge.Builder<AtomicReference<Double>> builder = Gauge.builder(name, holder, AtomicReference::get).tag("query", parts[0]);
            if (parts.length > 1) {
                int dash = parts[1].lastIndexOf('-');
                builder.tag("topic", parts[1].substring(0, dash)).tag("partition", parts[1].substring(dash + 1));
            }
            builder.register(registry);
            return holder;
        }).set(value);
    }

    private static double finite(double value) {
        return Double.isFinite(value) ? value : 0;
    }
}
