package io.clickstream.stack;

import io.clickstream.ddl.DdlRunner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The whole pipe as local processes: Kafka broker, Trino, ingest and the streaming job. Closing it
 * stops every process it started, newest first.
 */
public final class LocalStack implements AutoCloseable {
    private final StackSettings settings;
    private final Modules modules;
    private final Consumer<String> progress;
    private final List<AutoCloseable> started = new ArrayList<>();
    private KafkaBroker broker;
    private final List<KafkaBroker.Ports> kafkaPorts = new java.util.ArrayList<>();
    private TrinoServer trino;
    private ChildProcess ingest;
    private ChildProcess streaming;
    private ChildProcess liveJob;
    public static final String LIVE_TOPIC = "lms_clickstream_live";

    private final boolean withLakehouse;

    private LocalStack(StackSettings settings, Consumer<String> progress, boolean withLakehouse) {
        this.withLakehouse = withLakehouse;
        this.settings = settings;
        this.modules = new Modules(settings.home());
        this.progress = progress;
    }

    /** Starts everything; Trino starts in parallel with the rest because it takes longest. */
    public static LocalStack start(StackSettings settings, Consumer<String> progress) throws Exception {
        return start(settings, progress, true);
    }

    /** {@code withLakehouse = false}: only the broker and ingest (for ingest benchmarks). */
    public static LocalStack start(StackSettings settings, Consumer<String> progress, boolean withLakehouse) throws Exception {
        return start(settings, progress, withLakehouse, 1);
    }

    /**
     * {@code kafkaNodes} Kafka nodes on loopback: node 1 on the settings' ports, the others on free
     * ports; with 3 or more, topics get 3 replicas and {@code min.insync.replicas=2}.
     */
    public static LocalStack start(StackSettings settings, Consumer<String> progress, boolean withLakehouse, int kafkaNodes) throws Exception {
        LocalStack stack = new LocalStack(settings, progress, withLakehouse);
        stack.kafkaPorts.add(new KafkaBroker.Ports(settings.kafkaPort(), settings.kafkaControllerPort()));
        for (int node = 2; node <= kafkaNodes; node++) {
            stack.kafkaPorts.add(new KafkaBroker.Ports(freePort(), freePort()));
        }
        try {
            stack.startAll();
            return stack;
        }
        catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        stopLeftovers();
        String key = settings.pseudonymisationKey();
        CompletableFuture<TrinoServer> trinoStarting = !withLakehouse ? CompletableFuture.completedFuture(null) : CompletableFuture.supplyAsync(() -> {
            try {
                return TrinoServer.start(settings.home(), settings.workDir(), settings.processMarker(), settings.trinoPort());
            }
            catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        try {
            progress.accept("starting Kafka (" + kafkaPorts.size() + (kafkaPorts.size() == 1 ? " node" : " nodes") + ") on 127.0.0.1:"
                    + settings.kafkaPort());
            broker = KafkaBroker.start(modules, settings.workDir(), settings.processMarker(), kafkaPorts, settings.topicPartitions());
            started.add(broker);
            broker.createTopics(Map.of(StackSettings.TOPIC, settings.topicPartitions(), StackSettings.DEAD_LETTER_TOPIC, 1));

            startIngest(key);

            if (!withLakehouse) {
                return;
            }
            startStreamingJob();

            progress.accept("waiting for Trino on 127.0.0.1:" + settings.trinoPort());
            trino = trinoStarting.join();
            started.add(trino);
        }
        catch (Exception e) {
            trinoStarting.thenAccept(TrinoServer::close);
            throw e;
        }
    }

    private void startIngest(String key) throws Exception {
        ingest = startIngestProcess("ingest", key, settings.ingestPort(), settings.workDir().resolve("spool"));
    }

    /**
     * Another ingest instance on {@code port}, with its own spool, in front of the same broker and
     * live topic, as behind a load balancer; returns its base URL.
     */
    public String startAnotherIngest(int port) throws Exception {
        String name = "ingest-" + port;
        startIngestProcess(name, settings.pseudonymisationKey(), port, settings.workDir().resolve("spool-" + port));
        return "http://127.0.0.1:" + port;
    }

    /**
     * The live aggregates job (Kafka -> the live topic the dashboard reads). It reads from the
     * newest offsets on its first start, so start it before the traffic it should count.
     */
    public void startLiveJob() throws Exception {
        progress.accept("starting the live aggregates job (Kafka -> " + LIVE_TOPIC + ")");
        ChildProcess live = ChildProcess.start("live", sparkJob("io.clickstream.jobs.live.LiveAggregatesJob", List.of()),
                jobsEnvironment(), settings.workDir().toFile(), settings.workDir().resolve("logs/live.log"));
        started.add(live);
        live.awaitReady("live", Duration.ofMinutes(3), () -> java.nio.file.Files.readString(live.log()).contains("live aggregates from"));
        liveJob = live;
    }

    /** Fails with the live job's log when it was started and is no longer running. */
    public void checkLiveJobAlive() {
        if (liveJob != null && !liveJob.isAlive()) {
            throw new IllegalStateException("the live job stopped\n" + liveJob.tail());
        }
    }

    private ChildProcess startIngestProcess(String name, String key, int port, Path spool) throws Exception {
        progress.accept("starting " + name + " on http://127.0.0.1:" + port);
        Map<String, String> ingestEnvironment = Map.of(
                "INGEST_PORT", String.valueOf(port),
                "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "CLICKSTREAM_PSEUDONYMISATION_KEY", key,
                "INGEST_SPOOL_DIR", spool.toString(),
                // The demo LMS pages (/demo/) send with the local key.
                "INGEST_DEMO_WRITE_KEY_NAME", "local",
                // Above the local brokers' replica.lag.time.max.ms (10 s), as ingest's default is above Kafka's (30 s).
                "INGEST_SPOOL_IN_DOUBT_SETTLE", "15 seconds",
                // The local stack's one client key, with room for benchmarks; production sets its own keys and limits.
                "INGEST_WRITE_KEYS", "local:" + settings.writeKey() + ":1000000");
        List<String> jvm = new java.util.ArrayList<>(List.of(settings.processMarker(), "-Xmx512m"));
        // Extra options for the ingest JVM, such as a Flight Recorder profile: INGEST_JVM_OPTIONS="-XX:StartFlightRecording=..."
        String extra = System.getenv("INGEST_JVM_OPTIONS");
        List<String> extraOptions = extra == null || extra.isBlank() ? List.of() : List.of(extra.trim().split("\\s+"));
        // The parallel collector unless the options name another: on few cores G1's concurrent work costs ingest
        // about 15 % of its CPU (docs/benchmarks.md), and its young pauses stay short with ingest's small live set.
        if (extraOptions.stream().noneMatch(option -> option.startsWith("-XX:+Use") && option.endsWith("GC"))) {
            jvm.add("-XX:+UseParallelGC");
        }
        jvm.addAll(extraOptions);
        ChildProcess process = ChildProcess.start(name, modules.javaCommand("ingest", jvm,
                "io.clickstream.ingest.IngestApp", List.of()), ingestEnvironment, settings.workDir().toFile(),
                settings.workDir().resolve("logs/" + name + ".log"));
        started.add(process);
        process.awaitReady("ready", Duration.ofMinutes(1), () -> httpStatus("http://127.0.0.1:" + port + "/ready") == 200);
        return process;
    }

    /** Kills one Kafka node (from 1) with SIGKILL, for replication tests; the other nodes keep serving. */
    public void killKafkaNode(int node) throws InterruptedException {
        broker.kill(node);
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Stops the broker (SIGTERM, a clean shutdown), for outage tests; its data stays. */
    public void stopBroker() {
        broker.close();
        started.remove(broker);
    }

    /** Starts the broker again on the same port and data. */
    public void restartBroker() throws Exception {
        broker = KafkaBroker.start(modules, settings.workDir(), settings.processMarker(), kafkaPorts, settings.topicPartitions());
        started.add(0, broker);
    }

    /** Starts the streaming job (Kafka -> bronze, silver, quarantine) and waits until its query runs. */
    public void startStreamingJob() throws Exception {
        progress.accept("starting the streaming job (Kafka -> bronze + silver)");
        // The log is appended to across restarts: count the start lines, not just look for one.
        long startsBefore = streamingStarts();
        ChildProcess job = ChildProcess.start("streaming", sparkJob("io.clickstream.jobs.streaming.StreamingJob", List.of()),
                jobsEnvironment(), settings.workDir().toFile(), settings.workDir().resolve("logs/streaming.log"));
        streaming = job;
        started.add(job);
        job.awaitReady("streaming", Duration.ofMinutes(3), () -> streamingStarts() > startsBefore || !job.isAlive());
        checkStreamingAlive();
    }

    private long streamingStarts() throws java.io.IOException {
        Path log = settings.workDir().resolve("logs/streaming.log");
        return java.nio.file.Files.exists(log) ? java.nio.file.Files.readAllLines(log).stream()
                .filter(line -> line.contains("streaming " + StackSettings.TOPIC + " from")).count() : 0;
    }

    /** Kills the streaming job with SIGKILL, as a crash or the OOM killer would: mid-batch, no shutdown hook. */
    public void killStreamingJob() throws InterruptedException {
        streaming.kill();
        started.remove(streaming);
    }

    /**
     * Runs a Spark job's main class as its own process on this stack's lake and broker, waits for it, and returns its
     * output lines; fails with the output's tail when it exits with other than 0.
     */
    public List<String> runJob(String name, String mainClass, List<String> arguments, Duration timeout) throws Exception {
        return runJob(name, mainClass, arguments, Map.of(), timeout);
    }

    /** As {@link #runJob(String, String, List, Duration)}, with more environment (such as CLICKSTREAM_JOBS_CONFIG). */
    public List<String> runJob(String name, String mainClass, List<String> arguments, Map<String, String> environment, Duration timeout)
            throws Exception {
        ChildProcess job = startJob(name, mainClass, arguments, environment);
        int exit = job.awaitExit(timeout);
        if (exit != 0) {
            throw new IllegalStateException(name + " failed (exit " + exit + ")\n" + job.tail());
        }
        return java.nio.file.Files.readAllLines(job.log());
    }

    /**
     * Starts a Spark job's main class as its own process with the stack's job environment plus {@code environment};
     * it is stopped with the stack. Its output goes to {@code logs/NAME.log}.
     */
    public ChildProcess startJob(String name, String mainClass, List<String> arguments, Map<String, String> environment) throws Exception {
        return startJob(name, sparkJob(mainClass, arguments), environment);
    }

    /** As {@link #startJob(String, String, List, Map)} with a command of the caller's (another classpath, say). */
    public ChildProcess startJob(String name, List<String> command, Map<String, String> environment) throws Exception {
        Map<String, String> merged = new LinkedHashMap<>(jobsEnvironment());
        merged.putAll(environment);
        ChildProcess job = ChildProcess.start(name, command, merged, settings.workDir().toFile(), settings.workDir().resolve("logs/" + name + ".log"));
        started.add(job);
        return job;
    }

    /** Kills ingest with SIGKILL: no shutdown hook runs, nothing is flushed. */
    public void killIngest() throws InterruptedException {
        ingest.kill();
        started.remove(ingest);
    }

    /** Starts ingest again with the same configuration and spool directory. */
    public void restartIngest() throws Exception {
        startIngest(settings.pseudonymisationKey());
    }

    /** A run killed with SIGKILL cannot stop its children; the next run on the same work directory does. */
    private void stopLeftovers() {
        String marker = settings.processMarker();
        List<ProcessHandle> leftovers = ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().map(line -> line.contains(marker + " ")).orElse(false))
                .toList();
        for (ProcessHandle process : leftovers) {
            process.destroy();
        }
        for (ProcessHandle process : leftovers) {
            try {
                process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            catch (Exception e) {
                process.destroyForcibly();
            }
        }
        if (!leftovers.isEmpty()) {
            progress.accept("stopped " + leftovers.size() + " process(es) left running by an earlier run on " + settings.workDir());
        }
    }

    public String ingestUrl() {
        return "http://127.0.0.1:" + settings.ingestPort();
    }

    /** The Authorization header value the local stack's ingest accepts. */
    public String authorization() throws java.io.IOException {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((settings.writeKey() + ":").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public URI trackEndpoint() {
        return URI.create(ingestUrl() + "/v1/track");
    }

    /** Fails with the streaming job's log when it is no longer running. */
    public void checkStreamingAlive() {
        if (!streaming.isAlive()) {
            throw new IllegalStateException("the streaming job stopped\n" + streaming.tail());
        }
    }

    /** The streaming job's process id, for memory readings. */
    public long streamingPid() {
        return streaming.pid();
    }

    /** The ingest process id, for memory readings. */
    public long ingestPid() {
        return ingest.pid();
    }

    public KafkaBroker broker() {
        return broker;
    }

    public TrinoServer trino() {
        return trino;
    }

    public StackSettings settings() {
        return settings;
    }

    /** Applies the Trino DDL; returns one line per step. */
    public List<String> applyDdl() throws SQLException {
        try (Connection connection = trino.connect()) {
            return new DdlRunner(connection, TrinoServer.localUri(settings.lakeRoot())).apply();
        }
    }

    /** Runs every gold job (sessions, then daily metrics) for the days, as one process, and returns its progress lines. */
    public List<String> runGold(LocalDate from, LocalDate to) throws Exception {
        return runJob("gold", "io.clickstream.jobs.gold.GoldCli", List.of("gold", "--date", from.toString(), "--to", to.toString()),
                Duration.ofMinutes(20)).stream().filter(line -> line.matches("[a-z-]+ \\d{4}-\\d{2}-\\d{2}: .*")).toList();
    }

    /** A single number from Trino. */
    public long queryLong(String sql) throws SQLException {
        try (Connection connection = trino.connect(); Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Rows from Trino as ordered column maps. */
    public List<Map<String, Object>> query(String sql) throws SQLException {
        List<Map<String, Object>> result = new ArrayList<>();
        try (Connection connection = trino.connect(); Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= columns; i++) {
                    row.put(rows.getMetaData().getColumnLabel(i), rows.getObject(i));
                }
                result.add(row);
            }
        }
        return result;
    }

    private List<String> sparkJob(String mainClass, List<String> arguments) {
        List<String> jvm = new ArrayList<>(List.of(settings.processMarker()));
        jvm.addAll(Modules.sparkJvmOptions());
        return modules.javaCommand("spark-jobs", jvm, mainClass, arguments);
    }

    private Map<String, String> jobsEnvironment() {
        return Map.of(
                "CLICKSTREAM_LAKE_ROOT", settings.lakeRoot().toString(),
                "CLICKSTREAM_SPARK_LOCAL_DIR", settings.workDir().resolve("spark-tmp").toString(),
                "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "CLICKSTREAM_METRICS_PORT", String.valueOf(settings.metricsPort()),
                "SPARK_LOCAL_IP", "127.0.0.1");
    }

    /** The streaming job's Prometheus metrics. */
    public String metricsUrl() {
        return "http://127.0.0.1:" + settings.metricsPort() + "/metrics";
    }

    private static int httpStatus(String url) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }
        catch (Exception e) {
            return -1;
        }
    }

    public Path workDir() {
        return settings.workDir();
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            }
            catch (Exception e) {
                progress.accept("could not stop a process cleanly: " + e.getMessage());
            }
        }
        started.clear();
    }
}
