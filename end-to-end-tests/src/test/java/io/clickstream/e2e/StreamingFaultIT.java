package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.stack.Directories;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.StackSettings;
import io.clickstream.testing.Await;
import io.clickstream.testing.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The streaming job against a real broker, ingest, Delta on disk and Trino, through its faults:
 * SIGKILL in the middle of the load and a restart, poison records written straight to the topic,
 * its checkpoint deleted, and silver rebuilt from bronze. After each, silver holds every accepted
 * event exactly once; the status command, the Prometheus endpoint, pipeline_metrics and the
 * enriched topic report what happened. Then the same jobs elsewhere, only configuration differing:
 * on a real S3 API server (the stream, maintenance, an erase) and, from the cluster jar, on a Spark
 * standalone cluster outside UTC; each builds the same tables.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamingFaultIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SILVER = "delta.silver.clickstream_processed";
    private static LocalStack stack;
    private static AcceptedEvents events;

    @BeforeAll
    static void start() throws Exception {
        Path home = Path.of(System.getProperty("clickstream.home"));
        Path work = Path.of("target", "streaming-fault-work").toAbsolutePath();
        Directories.deleteRecursively(work);
        StackSettings settings = new StackSettings(home, work, FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next(), 3,
                FreePorts.next());
        stack = LocalStack.start(settings, message -> System.out.println("[streaming-fault] " + message));
        stack.applyDdl();
        events = new AcceptedEvents(stack);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void killedMidBatchAndRestartedSilverHoldsEveryAcceptedEventOnceAndPoisonIsQuarantined() throws Exception {
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread sender = new Thread(() -> {
            while (sending.get()) {
                events.sendBatch(25);                       // about 500 events/s
                try {
                    Thread.sleep(50);
                }
                catch (InterruptedException e) {
                    return;
                }
            }
        }, "sender");
        sender.start();
        Await.until("the stream writes silver", Duration.ofMinutes(3), () -> stack.queryLong("SELECT count(*) FROM " + SILVER) > 0, true);
        Thread.sleep(1500);
        stack.killStreamingJob();
        Thread.sleep(4000);
        stack.startStreamingJob();
        Thread.sleep(4000);
        sending.set(false);
        sender.join();

        // Records no ingest would accept, written to the topic directly: the stream sets them aside and goes on.
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.broker().bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            for (String poison : List.of("{not json", "[1, 2]", "{\"event_id\":\"p\",\"student_id\":\"s\",\"event_name\":\"click\","
                    + "\"page_url\":\"/\",\"session_id\":\"q\",\"timestamp\":\"yesterday\"}")) {
                producer.send(new ProducerRecord<>(StackSettings.TOPIC, poison)).get();
            }
        }
        events.sendBatch(10);
        assertEquals(List.of(), events.refusals, "ingest accepted every batch");

        int accepted = events.accepted.size();
        Await.until("silver holds every accepted event", Duration.ofMinutes(4),
                () -> stack.queryLong("SELECT count(DISTINCT event_id) FROM " + SILVER), (long) accepted);
        assertEquals(accepted, stack.queryLong("SELECT count(*) FROM " + SILVER), "no event twice");
        Await.until("the poison in quarantine", Duration.ofMinutes(1),
                () -> stack.queryLong("SELECT count(*) FROM delta.silver.clickstream_quarantine"), 3L);
        assertEquals(1, stack.queryLong("SELECT count(*) FROM delta.silver.clickstream_quarantine WHERE reason LIKE 'timestamp%'"));
        assertTrue(stack.queryLong("SELECT count(*) FROM hive.bronze.clickstream_raw") >= accepted + 3, "bronze holds every record");
        stack.checkStreamingAlive();
    }

    @Test
    @Order(2)
    void statusMetricsAndTheEnrichedTopicReportTheStream() throws Exception {
        List<String> status = awaitNoLag("the status command reports no lag", Duration.ofMinutes(2), StreamingFaultIT::status);
        assertTrue(status.stream().anyMatch(line -> line.matches("\\s+lms_clickstream-\\d\\s+read \\d+\\s+newest \\d+\\s+lag 0")), status.toString());
        assertTrue(status.stream().anyMatch(line -> line.contains("/metrics: answering")), status.toString());

        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(stack.metricsUrl())).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("clickstream_stream_rows_written_total{layer=\"silver_appended\",query=\"clickstream_lake\"}"), metrics);
        assertTrue(metrics.contains("clickstream_stream_consumer_lag_partition_records{partition=\"0\",query=\"clickstream_lake\",topic=\"lms_clickstream\"}"),
                metrics);

        stack.applyDdl();                                   // registers pipeline_metrics once the job has created it
        // Rows are appended every 30 s; those of a killed process's last seconds are lost with it (it is a report).
        Await.until("pipeline_metrics rows with events", Duration.ofMinutes(2),
                () -> stack.queryLong("SELECT coalesce(sum(silver_appended), 0) FROM delta.monitoring.pipeline_metrics"
                        + " WHERE query = 'clickstream_lake'") > 0, true);
        assertTrue(stack.queryLong("SELECT sum(bronze_rows) FROM delta.monitoring.pipeline_metrics") > 0);
        assertEquals(0, stack.queryLong("SELECT count(*) FROM delta.monitoring.pipeline_metrics WHERE lag_records < 0 OR input_rows < 0"));
        long silver = stack.queryLong("SELECT count(*) FROM " + SILVER);

        Set<String> enriched = enrichedEventIds();
        assertEquals(silver, enriched.size(), "every silver event is on the enriched topic");
    }

    @Test
    @Order(3)
    void aLostCheckpointChangesNothingAndSilverRebuiltFromBronzeIsTheSameTable() throws Exception {
        String snapshot = "SELECT count(*) AS events, to_hex(checksum(event_id)) AS ids, to_hex(checksum(session_key)) AS sessions,"
                + " to_hex(checksum(kafka_offset)) AS offsets, to_hex(checksum(country)) AS countries, to_hex(checksum(is_bot)) AS bots,"
                + " to_hex(checksum(device_class)) AS devices, to_hex(checksum(is_late)) AS late FROM " + SILVER;
        List<Map<String, Object>> before = stack.query(snapshot);

        stack.killStreamingJob();
        Directories.deleteRecursively(stack.settings().lakeRoot().resolve("_checkpoints").resolve("clickstream_lake"));
        stack.startStreamingJob();                          // from the earliest offsets: everything again, every event checked against silver
        awaitNoLag("the new checkpoint caught up", Duration.ofMinutes(3), StreamingFaultIT::status);
        assertEquals(before, stack.query(snapshot), "re-reading Kafka from the start added nothing");

        stack.killStreamingJob();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<String> replay = stack.runJob("replay", "io.clickstream.jobs.streaming.ReplayJob",
                List.of("--date", today.minusDays(1).toString(), "--to", today.toString()), Duration.ofMinutes(5));
        assertTrue(replay.stream().anyMatch(line -> line.startsWith("replay ")), replay.toString());
        assertEquals(before, stack.query(snapshot), "silver rebuilt from bronze is the same table");
    }

    @Test
    @Order(4)
    void theSameJobWritesTheLakeToAnS3ApiServerWhenConfiguredSo() throws Exception {
        Path work = stack.workDir();
        int port = FreePorts.next();
        Path objects = work.resolve("s3");
        java.nio.file.Files.createDirectories(objects.resolve("lake"));       // the bucket
        Path properties = work.resolve("s3proxy.properties");
        java.nio.file.Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + S3_KEY,
                "s3proxy.credential=" + S3_SECRET,
                "jclouds.provider=filesystem",
                // Newer AWS SDKs (Trino's) send headers s3proxy does not know; they change nothing it serves.
                "s3proxy.ignore-unknown-headers=true",
                "jclouds.filesystem.basedir=" + objects,
                ""));
        Process s3 = new ProcessBuilder("java", "-jar", Path.of("target", "s3proxy", "s3proxy.jar").toAbsolutePath().toString(),
                "--properties", properties.toString()).redirectErrorStream(true).redirectOutput(work.resolve("logs/s3proxy.log").toFile()).start();
        try {
            Await.until("s3proxy answers", Duration.ofSeconds(60), () -> {
                try {
                    HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(), HttpResponse.BodyHandlers.discarding());
                    return true;
                }
                catch (java.io.IOException notYet) {
                    return false;
                }
            }, true);
            // Only configuration differs from the local lake: the root and the S3A settings; the key pair comes from the environment.
            Path config = work.resolve("s3-jobs.conf");
            java.nio.file.Files.writeString(config, String.join("\n",
                    "clickstream.lake-root = \"s3a://lake/lake\"",
                    "clickstream.kafka.enriched-topic = \"\"",
                    "clickstream.monitoring.port = -1",
                    "clickstream.spark.settings {",
                    "  \"spark.hadoop.fs.s3a.endpoint\" = \"http://127.0.0.1:" + port + "\"",
                    "  \"spark.hadoop.fs.s3a.endpoint.region\" = \"us-east-1\"",
                    "  \"spark.hadoop.fs.s3a.path.style.access\" = \"true\"",
                    "  \"spark.hadoop.fs.s3a.connection.ssl.enabled\" = \"false\"",
                    "  \"spark.hadoop.fs.s3a.buffer.dir\" = \"" + work.resolve("s3a-buffer") + "\"",
                    "}", ""));
            Map<String, String> environment = Map.of("CLICKSTREAM_JOBS_CONFIG", config.toString(), "AWS_ACCESS_KEY_ID", S3_KEY,
                    "AWS_SECRET_ACCESS_KEY", S3_SECRET);
            io.clickstream.stack.ChildProcess onS3 = stack.startJob("streaming-s3", "io.clickstream.jobs.streaming.StreamingJob", List.of(),
                    environment);
            awaitNoLag("the S3 stream caught up", Duration.ofMinutes(4), () -> {
                assertTrue(onS3.isAlive(), () -> "the streaming job on S3 stopped\n" + onS3.tail());
                return stack.runJob("status-s3", "io.clickstream.jobs.monitoring.PipelineStatus", List.of(), environment, Duration.ofMinutes(2));
            });
            assertTrue(java.nio.file.Files.exists(objects.resolve("lake/lake/silver/clickstream_processed/_delta_log")), "Delta's log is in the bucket");

            // Trino reads the S3 lake through its own S3 client: the same events as the local lake.
            try (java.sql.Connection connection = stack.trino().connect(); java.sql.Statement statement = connection.createStatement()) {
                statement.execute("CREATE CATALOG s3lake USING delta_lake WITH (\"hive.metastore\" = 'file', \"hive.metastore.catalog.dir\" = '"
                        + io.clickstream.stack.TrinoServer.localUri(work.resolve("trino-s3-metastore")) + "', \"fs.native-local.enabled\" = 'true',"
                        + " \"local.location\" = '/', \"fs.native-s3.enabled\" = 'true', \"s3.endpoint\" = 'http://127.0.0.1:" + port + "',"
                        + " \"s3.region\" = 'us-east-1', \"s3.path-style-access\" = 'true', \"s3.aws-access-key\" = '" + S3_KEY + "',"
                        + " \"s3.aws-secret-key\" = '" + S3_SECRET + "', \"delta.register-table-procedure.enabled\" = 'true')");
                statement.execute("CREATE SCHEMA s3lake.silver");
                statement.execute("CALL s3lake.system.register_table(schema_name => 'silver', table_name => 'clickstream_processed',"
                        + " table_location => 's3://lake/lake/silver/clickstream_processed')");
            }
            String compare = "SELECT count(*) AS events, to_hex(checksum(event_id)) AS ids, to_hex(checksum(country)) AS countries FROM ";
            assertEquals(stack.query(compare + SILVER), stack.query(compare + "s3lake.silver.clickstream_processed"));
            // In production these run beside the stream; here after it, so that the counts below are exact.
            onS3.close();

            // The maintenance job (OPTIMIZE, VACUUM) on the bucket's tables.
            String today = LocalDate.now(ZoneOffset.UTC).toString();
            List<String> maintenance = stack.runJob("maintenance-s3", "io.clickstream.jobs.gold.GoldCli", List.of("maintenance", "--date", today),
                    environment, Duration.ofMinutes(5));
            assertTrue(maintenance.stream().anyMatch(line -> line.matches("maintenance " + today + ": [1-9]\\d* tables: compacted .*")),
                    maintenance::toString);

            // A GDPR erase on the bucket: silver and bronze's gzip objects rewritten without the student, the rest kept.
            io.clickstream.schema.Pseudonymiser pseudonymiser = new io.clickstream.schema.Pseudonymiser(stack.settings().pseudonymisationKey());
            String pseudonym = pseudonymiser.pseudonymise("test-student-3");
            String another = pseudonymiser.pseudonymise("test-student-4");
            Path bronze = objects.resolve("lake/lake/raw/clickstream");   // s3proxy keeps each object as a file named by its key
            String student = "SELECT count(*) FROM s3lake.silver.clickstream_processed WHERE student_id = '" + pseudonym + "'";
            long silverBefore = stack.queryLong("SELECT count(*) FROM s3lake.silver.clickstream_processed");
            long studentsRows = stack.queryLong(student);
            long bronzeBefore = linesContaining(bronze, pseudonym);
            long anotherBefore = linesContaining(bronze, another);
            assertTrue(studentsRows > 0 && bronzeBefore > 0 && anotherBefore > 0, "both students are on S3 before the erase");
            List<String> erase = stack.runJob("erase-s3", "io.clickstream.jobs.privacy.EraseJob", List.of("--pseudonym", pseudonym), environment,
                    Duration.ofMinutes(5));
            Map<String, Long> removed = new java.util.HashMap<>();
            java.util.regex.Pattern reportLine = java.util.regex.Pattern.compile("^  (.+?)\\s+(\\d+) (rows|records)$");
            for (String line : erase) {
                java.util.regex.Matcher place = reportLine.matcher(line);
                if (place.matches()) {
                    removed.put(place.group(1), Long.parseLong(place.group(2)));
                }
            }
            assertEquals(studentsRows, removed.get("silver.clickstream_processed"), erase::toString);
            assertEquals(bronzeBefore, removed.get("bronze (raw/clickstream)"), erase::toString);
            assertEquals(0, stack.queryLong(student), "silver on S3 holds nothing of the student");
            assertEquals(silverBefore - studentsRows, stack.queryLong("SELECT count(*) FROM s3lake.silver.clickstream_processed"));
            assertEquals(0, linesContaining(bronze, pseudonym), "bronze on S3 holds nothing of the student");
            assertEquals(anotherBefore, linesContaining(bronze, another), "bronze on S3 keeps the other students' records");
        }
        finally {
            s3.destroy();
            s3.waitFor();
        }
    }

    @Test
    @Order(5)
    void theClusterJarRunsTheStreamOnASparkStandaloneClusterOutsideUtc() throws Exception {
        Path clusterJar;
        try (java.util.stream.Stream<Path> jars = java.nio.file.Files.list(stack.settings().home().resolve("spark-jobs").resolve("target"))) {
            clusterJar = jars.filter(jar -> jar.getFileName().toString().endsWith("-cluster.jar")).findFirst().orElseThrow();
        }
        // Nodes whose local date is not today's UTC date: a day or a timestamp taken from the JVM's zone would land elsewhere.
        String zone = java.time.LocalTime.now(ZoneOffset.UTC).getHour() >= 12 ? "Pacific/Kiritimati" : "Etc/GMT+12";
        Path lake = stack.workDir().resolve("cluster-lake");
        Map<String, String> environment = Map.of("CLICKSTREAM_LAKE_ROOT", lake.toString(), "CLICKSTREAM_METRICS_PORT", "-1", "ENRICHED_TOPIC", "");
        try (SparkStandalone cluster = SparkStandalone.start(stack, zone, 2, "2g")) {
            io.clickstream.stack.ChildProcess job = cluster.submit("streaming-on-cluster", "client", "io.clickstream.jobs.streaming.StreamingJob",
                    clusterJar, List.of(), environment);
            awaitNoLag("the stream on the cluster caught up", Duration.ofMinutes(5), () -> {
                assertTrue(job.isAlive(), () -> "the streaming job on the cluster stopped (executors' logs under spark-standalone/work)\n" + job.tail());
                return stack.runJob("status-cluster", "io.clickstream.jobs.monitoring.PipelineStatus", List.of(), environment, Duration.ofMinutes(2));
            });
            job.close();
            assertTrue(cluster.executorLogs().contains("Running task"), "the batches ran in the worker's executors");

            // A batch job with its driver on the cluster too (spark-submit --deploy-mode cluster): gold's sessions of these days.
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            List<String> sessions = List.of("sessions", "--date", today.minusDays(1).toString(), "--to", today.toString());
            io.clickstream.stack.ChildProcess gold = cluster.submit("sessions-on-cluster", "cluster", "io.clickstream.jobs.gold.GoldCli", clusterJar,
                    sessions, environment);
            assertEquals(0, gold.awaitExit(Duration.ofMinutes(5)), () -> "the sessions job on the cluster failed\n" + gold.tail() + "\n" + cluster.driverLogs());
            assertTrue(cluster.driverLogs().contains("sessions " + today + ": "), cluster::driverLogs);
            stack.runJob("sessions", "io.clickstream.jobs.gold.GoldCli", sessions, Duration.ofMinutes(5));
        }
        // The same table as the local job's, enriched (YAUAA and DB-IP from the cluster jar) and dated in UTC.
        try (java.sql.Connection connection = stack.trino().connect(); java.sql.Statement statement = connection.createStatement()) {
            statement.execute("CALL delta.system.register_table(schema_name => 'silver', table_name => 'clickstream_processed_on_cluster',"
                    + " table_location => '" + io.clickstream.stack.TrinoServer.localUri(lake.resolve("silver").resolve("clickstream_processed")) + "')");
        }
        String snapshot = "SELECT count(*) AS events, to_hex(checksum(event_id)) AS ids, to_hex(checksum(event_date)) AS days,"
                + " to_hex(checksum(event_timestamp)) AS times, to_hex(checksum(session_key)) AS sessions, to_hex(checksum(country)) AS countries,"
                + " to_hex(checksum(device_class)) AS devices, to_hex(checksum(is_bot)) AS bots, to_hex(checksum(is_late)) AS late FROM ";
        assertEquals(stack.query(snapshot + SILVER), stack.query(snapshot + "delta.silver.clickstream_processed_on_cluster"));
        assertEquals(bronzeDays(stack.settings().lakeRoot()), bronzeDays(lake), "bronze's day folders are UTC days");

        try (java.sql.Connection connection = stack.trino().connect(); java.sql.Statement statement = connection.createStatement()) {
            for (Map.Entry<String, Path> sessions : Map.of("sessions_local_run", stack.settings().lakeRoot(), "sessions_on_cluster", lake).entrySet()) {
                statement.execute("CALL delta.system.register_table(schema_name => 'gold', table_name => '" + sessions.getKey() + "', table_location => '"
                        + io.clickstream.stack.TrinoServer.localUri(sessions.getValue().resolve("gold").resolve("sessions")) + "')");
            }
        }
        String sessions = "SELECT count(*) AS sessions, to_hex(checksum(session_key)) AS keys, to_hex(checksum(session_date)) AS days,"
                + " to_hex(checksum(session_start)) AS starts, to_hex(checksum(events)) AS events FROM delta.gold.";
        List<Map<String, Object>> local = stack.query(sessions + "sessions_local_run");
        assertTrue((Long) local.get(0).get("sessions") > 0, local::toString);
        assertEquals(local, stack.query(sessions + "sessions_on_cluster"), "the sessions job built the same table on the cluster");
    }

    /** Records of bronze's gzip JSON files under {@code folder} that contain {@code text}. */
    private static long linesContaining(Path folder, String text) throws java.io.IOException {
        long found = 0;
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(folder)) {
            for (Path file : files.filter(file -> file.getFileName().toString().endsWith(".gz")).toList()) {
                try (java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(
                        new java.util.zip.GZIPInputStream(java.nio.file.Files.newInputStream(file)), java.nio.charset.StandardCharsets.UTF_8))) {
                    found += lines.lines().filter(line -> line.contains(text)).count();
                }
            }
        }
        return found;
    }

    /** Bronze's YYYY/MM/DD folders under a lake. */
    private static Set<String> bronzeDays(Path lake) throws java.io.IOException {
        Path raw = lake.resolve("raw").resolve("clickstream");
        try (java.util.stream.Stream<Path> folders = java.nio.file.Files.walk(raw, 3)) {
            return folders.filter(folder -> raw.relativize(folder).getNameCount() == 3).map(folder -> raw.relativize(folder).toString())
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    /** The local S3 server's key pair: test fixtures, handed to the jobs through the environment as real keys would be. */
    private static final String S3_KEY = "local-test-key";
    private static final String S3_SECRET = "local-test-secret";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /**
     * Runs a status command until it reports no lag for the stream and returns that run's lines. Each run is a JVM of its
     * own, about 5 s of a core: back to back (as they were) they took a core from the stream being waited for, so runs are
     * spaced a few seconds apart.
     */
    private static List<String> awaitNoLag(String what, Duration timeout, java.util.concurrent.Callable<List<String>> statusRun) throws Exception {
        List<String> lines = new ArrayList<>();
        boolean[] ran = {false};
        Await.until(what, timeout, () -> {
            if (ran[0]) {
                Thread.sleep(3000);
            }
            ran[0] = true;
            lines.clear();
            lines.addAll(statusRun.call());
            return lines.stream().anyMatch(line -> line.startsWith("clickstream_lake") && line.endsWith("lag 0 records"));
        }, true);
        return lines;
    }

    /** What {@code bin/clickstream status} prints for this stack, this run's lines only (the log is appended to). */
    private static List<String> status() throws Exception {
        List<String> lines = stack.runJob("status", "io.clickstream.jobs.monitoring.PipelineStatus", List.of(), Duration.ofMinutes(2));
        int last = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("clickstream_lake ")) {
                last = i;
            }
        }
        return lines.subList(last, lines.size());
    }

    /** Every event_id on the enriched topic, read to its end. */
    private static Set<String> enrichedEventIds() throws Exception {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers());
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor("lms_clickstream_enriched").stream()
                    .map(partition -> new TopicPartition(partition.topic(), partition.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (partitions.stream().anyMatch(partition -> consumer.position(partition) < end.get(partition)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode event = MAPPER.readTree(record.value());
                    assertTrue(event.has("session_key") && event.has("device_class") && event.has("is_bot"), record.value());
                    ids.add(event.path("event_id").asText());
                }
            }
        }
        return ids;
    }
}
