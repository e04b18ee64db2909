package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ddl.DdlRunner;
import io.clickstream.ddl.DdlScript;
import io.clickstream.stack.Directories;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.StackSettings;
import io.clickstream.stack.SupersetBundle;
import io.clickstream.stack.SupersetChartQuery;
import io.clickstream.testing.Await;
import io.clickstream.testing.FreePorts;
import io.clickstream.testing.LmsEvent;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole pipe through real components started as the demo starts them: a Kafka broker, ingest,
 * the streaming job and Trino as their own processes; gold as a batch process. Input is the
 * golden day of spark-jobs' DailyMetricsTest (hand-computed), sent over HTTP with raw student
 * ids that must never be stored, plus duplicates and invalid events.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** The golden scenario happened yesterday (UTC), within the accepted event age. */
    private static final LocalDate DAY = LocalDate.now(ZoneOffset.UTC).minusDays(1);
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    private static LocalStack stack;
    private static final List<LmsEvent> VALID = new ArrayList<>();
    private static final Map<String, String> RAW_IDS = Map.of(
            "A", "raw-student-A-" + RUN, "B", "raw-student-B-" + RUN, "C", "raw-student-C-" + RUN);

    @BeforeAll
    static void startStackAndSend() throws Exception {
        Path home = Path.of(System.getProperty("clickstream.home"));
        Path work = Path.of("target", "e2e-work").toAbsolutePath();
        Directories.deleteRecursively(work);
        int kafkaPort = FreePorts.next();
        StackSettings settings = new StackSettings(home, work, kafkaPort, FreePorts.next(), FreePorts.next(), FreePorts.next(), 2);
        stack = LocalStack.start(settings, message -> System.out.println("[stack] " + message));
        stack.applyDdl();

        VALID.addAll(List.of(
                event("A", "page_view", "/courses/algebra", "08:00:00"),
                event("A", "page_view", "/courses/algebra/chapter-1", "08:10:00"),
                event("A", "click", "/courses/algebra/chapter-1", "08:20:00"),
                event("A", "page_view", "/courses/algebra/chapter-1", "09:00:00"),
                event("A", "video_play", "/courses/algebra/chapter-1", "09:05:00").metadata("duration", 12.5),
                event("B", "page_view", "/courses/algebra", "10:00:00"),
                event("B", "page_view", "/courses/biology", "10:29:59"),
                event("B", "page_view", "/courses/algebra", "11:00:00"),
                event("C", "page_view", "/courses/biology", "23:00:00"),
                event("C", "page_view", "/courses/algebra", "23:30:00")));
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void eventsFlowFromHttpToGoldExactlyOnceAndNoRawIdIsStored() throws Exception {
        // Without the write key nothing gets in.
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(stack.trackEndpoint()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(VALID.get(0).json())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());

        // One batch with two invalid neighbours: the valid ones are kept, the invalid ones named.
        List<LmsEvent> firstBatch = new ArrayList<>(VALID.subList(0, 6));
        firstBatch.add(2, event("A", "teleport", "/courses/algebra", "08:15:00"));
        firstBatch.add(4, event("B", "page_view", "/courses/algebra", "10:01:00").remove("session_id"));
        HttpResponse<String> mixed = post(LmsEvent.batch(firstBatch.toArray(LmsEvent[]::new)));
        assertEquals(207, mixed.statusCode(), mixed.body());
        JsonNode results = MAPPER.readTree(mixed.body()).get("results");
        assertEquals("event_name", results.get(2).get("errors").get(0).get("field").asText());
        assertEquals("session_id", results.get(4).get("errors").get(0).get("field").asText());
        assertEquals(6, MAPPER.readTree(mixed.body()).get("accepted").asInt());

        // The rest, one by one, then client retries of two events already sent.
        for (LmsEvent event : VALID.subList(6, VALID.size())) {
            assertEquals(200, post(event.json()).statusCode());
        }
        assertEquals(200, post(VALID.get(0).json()).statusCode());
        assertEquals(200, post(LmsEvent.batch(VALID.get(5), VALID.get(5))).statusCode());

        // Silver holds exactly the valid distinct events.
        String silver = "delta.silver.clickstream_processed";
        Await.until("silver rows", Duration.ofMinutes(4), () -> stack.queryLong("SELECT count(*) FROM " + silver), 10L);
        Set<String> silverIds = stack.query("SELECT event_id FROM " + silver).stream()
                .map(row -> row.get("event_id").toString()).collect(Collectors.toSet());
        assertEquals(VALID.stream().map(LmsEvent::eventId).collect(Collectors.toSet()), silverIds);
        Map<String, Object> video = stack.query("SELECT duration, event_date, event_name FROM " + silver
                + " WHERE event_id = '" + VALID.get(4).eventId() + "'").get(0);
        assertEquals(12.5, ((Number) video.get("duration")).doubleValue());
        assertEquals(DAY.toString(), video.get("event_date").toString());

        // Bronze keeps every accepted record as received (13 = 10 + 3 re-sent), in dated folders.
        Await.until("bronze rows", Duration.ofMinutes(1), () -> stack.queryLong("SELECT count(*) FROM hive.bronze.clickstream_raw"), 13L);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Path bronzeDay = stack.workDir().resolve("lake/raw/clickstream").resolve(String.format("%04d/%02d/%02d",
                today.getYear(), today.getMonthValue(), today.getDayOfMonth()));
        assertTrue(gzipFiles(bronzeDay).size() > 0, "no gzip JSON under " + bronzeDay);

        // Gold equals the hand-computed golden values (see spark-jobs golden README), also after a re-run.
        List<String> gold = stack.runGold(DAY, DAY);
        assertTrue(gold.contains("sessions " + DAY + ": 5 sessions, 0 implausible (quarantined)"), gold.toString());
        assertTrue(gold.contains("daily-metrics " + DAY + ": 3 active users, 5 sessions, 8 page views, 10 events"), gold.toString());
        assertTrue(gold.stream().anyMatch(line -> line.startsWith("data-quality " + DAY + ": 9 checks passed")), gold.toString());
        stack.runGold(DAY, DAY);
        List<String> ddl = stack.applyDdl();
        assertTrue(ddl.contains("registered delta.gold.daily_metrics"), ddl.toString());
        assertTrue(ddl.contains("registered delta.gold.sessions"), ddl.toString());
        List<Map<String, Object>> metrics = stack.query("SELECT active_users, sessions, page_views, events, avg_session_seconds, "
                + "median_session_seconds, bounce_rate FROM delta.gold.daily_metrics WHERE metric_date = DATE '" + DAY + "'");
        assertEquals(1, metrics.size());
        assertEquals(List.of(3L, 5L, 8L, 10L, 1019.8, 1200.0, 0.2), new ArrayList<>(metrics.get(0).values()));
        assertEquals(List.of("1200.0,3", "300.0,2", "1799.0,2", "0.0,1", "1800.0,2"), stack.query("SELECT duration_seconds, events "
                + "FROM delta.gold.sessions WHERE session_date = DATE '" + DAY + "' ORDER BY session_start").stream()
                .map(row -> row.values().stream().map(String::valueOf).collect(Collectors.joining(","))).toList());
        List<String> topPages = stack.query("SELECT rank, page_url, page_views, visitors FROM delta.gold.daily_top_pages WHERE metric_date = DATE '"
                + DAY + "' ORDER BY rank").stream().map(row -> row.values().stream().map(String::valueOf).collect(Collectors.joining(","))).toList();
        assertEquals(List.of("1,/courses/algebra,4,3", "2,/courses/algebra/chapter-1,2,1", "3,/courses/biology,2,2"), topPages);

        // Applying the DDL again changes nothing: every script is recorded as applied.
        List<String> again = stack.applyDdl();
        assertTrue(again.stream().allMatch(line -> line.startsWith("unchanged ")), again.toString());

        // Privacy: no raw student id in silver, in any file of the work directory, or on any topic.
        assertEquals(0L, stack.queryLong("SELECT count(*) FROM " + silver + " WHERE student_id LIKE 'raw-student-%' OR metadata LIKE '%raw-student-%'"));
        assertEquals(3L, stack.queryLong("SELECT count(DISTINCT student_id) FROM " + silver + " WHERE length(student_id) = 64"));
        assertNoRawIdInFiles(stack.workDir());
        assertFalse(Files.readString(stack.workDir().resolve("logs/ingest.log")).contains(stack.settings().writeKey()), "write key in a log");
        List<String> dlq = consume(StackSettings.DEAD_LETTER_TOPIC, 2);
        assertEquals(2, dlq.size());
        assertTrue(dlq.stream().allMatch(letter -> letter.contains("\"reason\":\"validation\"")), dlq.toString());
        for (String record : concat(dlq, consume(StackSettings.TOPIC, 13))) {
            RAW_IDS.values().forEach(raw -> assertFalse(record.contains(raw), "raw id on a topic: " + record));
        }
    }

    /**
     * The daily Airflow DAG, checked without Airflow: its structure read with Python's ast (edges,
     * schedule, retries, SLA, catchup), then every task's command rendered for the golden day and
     * run, in dependency order, against this stack's lake and Trino, as a worker would run it.
     */
    @Test
    @Order(2)
    void theDailyAirflowDagRunsEveryTaskInOrderAgainstTheLake() throws Exception {
        Path home = stack.settings().home();
        Await.until("silver events", Duration.ofMinutes(2),
                () -> stack.queryLong("SELECT count(DISTINCT event_id) FROM delta.silver.clickstream_processed WHERE event_date = DATE '" + DAY + "'"),
                10L);
        JsonNode dag = MAPPER.readTree(runCommand(home, List.of("python3", home.resolve("airflow/tools/dag_structure.py").toString(),
                home.resolve("airflow/dags/clickstream_gold_daily.py").toString()), Map.of()));
        assertEquals("@daily", dag.at("/dag/schedule").asText());
        assertTrue(dag.at("/dag/catchup").asBoolean(), "catchup lets Airflow backfill missed days");
        assertEquals(2, dag.at("/default_args/retries").asInt());
        assertTrue(dag.at("/default_args/sla").isObject(), "an SLA is set");
        Set<List<String>> edges = new java.util.HashSet<>();
        dag.get("edges").forEach(edge -> edges.add(List.of(edge.get(0).asText(), edge.get(1).asText())));
        Set<List<String>> intended = new java.util.HashSet<>();
        for (String middle : List.of("daily_metrics", "hourly_metrics", "chapter_engagement", "funnels", "student_features")) {
            intended.add(List.of("sessions", middle));
            intended.add(List.of(middle, "anomalies"));
        }
        intended.addAll(List.of(List.of("anomalies", "data_quality"), List.of("data_quality", "late_rebuild"),
                List.of("late_rebuild", "maintenance"), List.of("maintenance", "register_tables")));
        assertEquals(intended, edges);

        // Each task is a JVM of half a minute on a day of ten events: C2's compiles never pay back there and take a core from
        // the job on this 2-core machine (C1 alone: about a quarter less time per task). A real day's jobs keep the default.
        Map<String, String> environment = Map.of(
                "CLICKSTREAM_SPARK_JVM_OPTIONS", "-XX:TieredStopAtLevel=1",
                "CLICKSTREAM_SKIP_BUILD", "1",
                "CLICKSTREAM_WORK_DIR", stack.workDir().toString(),
                "CLICKSTREAM_LAKE_ROOT", stack.settings().lakeRoot().toString(),
                "TRINO_PORT", String.valueOf(stack.settings().trinoPort()));
        List<List<String>> waves = waves(dag.get("tasks").fieldNames(), edges);
        List<String> order = waves.stream().flatMap(List::stream).toList();
        assertEquals(List.of("sessions", "daily_metrics", "hourly_metrics", "chapter_engagement", "funnels", "student_features", "anomalies",
                "data_quality", "late_rebuild", "maintenance", "register_tables"), order);
        Map<String, String> expectedOutput = Map.ofEntries(
                Map.entry("sessions", "sessions " + DAY + ": 5 sessions, 0 implausible"),
                Map.entry("daily_metrics", "daily-metrics " + DAY + ": 3 active users, 5 sessions"),
                Map.entry("hourly_metrics", "hourly-metrics " + DAY + ": 24 hours"),
                Map.entry("chapter_engagement", "chapter-engagement " + DAY + ": 0 chapters"),
                Map.entry("funnels", "funnels " + DAY + ": course-to-quiz 3 > 1 > 0 > 0 students"),
                Map.entry("student_features", "student-features " + DAY + ": 3 students"),
                Map.entry("anomalies", "anomalies " + DAY + ": 0 traffic anomalies, 0 bot-like students"),
                Map.entry("data_quality", "data-quality " + DAY + ": 9 checks passed"),
                Map.entry("late_rebuild", "sessions " + DAY.minusDays(2) + ": 0 sessions"),
                Map.entry("maintenance", "maintenance " + DAY + ": 14 tables: compacted"),
                Map.entry("register_tables", "V008__gold_quality.sql"));   // recorded, or unchanged since the first test applied it
        // As Airflow runs the DAG: every task whose upstream tasks have finished at once (the five after sessions side by
        // side, writing their own tables beside each other), each wave after the one before.
        for (List<String> wave : waves) {
            java.util.concurrent.ExecutorService workers = java.util.concurrent.Executors.newFixedThreadPool(wave.size());
            try {
                List<java.util.concurrent.Future<String>> outputs = new ArrayList<>();
                for (String task : wave) {
                    String command = renderTemplate(dag.at("/tasks/" + task + "/bash_command").asText(), DAY)
                            .replace("${CLI}", home.resolve("bin/clickstream").toString());
                    outputs.add(workers.submit(() -> runCommand(home, List.of("bash", "-c", command), environment)));
                }
                for (int i = 0; i < wave.size(); i++) {
                    String output;
                    try {
                        output = outputs.get(i).get();
                    }
                    catch (java.util.concurrent.ExecutionException e) {
                        throw new AssertionError(wave.get(i) + " failed", e.getCause());
                    }
                    assertTrue(output.contains(expectedOutput.get(wave.get(i))), wave.get(i) + ": " + output);
                }
            }
            finally {
                workers.shutdownNow();
            }
        }

        JsonNode hourlyDag = MAPPER.readTree(runCommand(home, List.of("python3", home.resolve("airflow/tools/dag_structure.py").toString(),
                home.resolve("airflow/dags/clickstream_gold_hourly.py").toString()), Map.of()));
        assertEquals("@hourly", hourlyDag.at("/dag/schedule").asText());
        assertEquals("[[\"compact_silver\",\"hourly_metrics\"]]", hourlyDag.get("edges").toString(), "silver compacted first");
        String compacted = runCommand(home, List.of("bash", "-c", renderTemplate(hourlyDag.at("/tasks/compact_silver/bash_command").asText(), DAY)
                .replace("${CLI}", home.resolve("bin/clickstream").toString())), environment);
        assertTrue(compacted.contains("compact-silver " + DAY + ": compacted "), compacted);
        String hourly = runCommand(home, List.of("bash", "-c", renderTemplate(hourlyDag.at("/tasks/hourly_metrics/bash_command").asText(), DAY)
                .replace("${CLI}", home.resolve("bin/clickstream").toString())), environment);
        assertTrue(hourly.contains("hourly-metrics " + DAY + ": 24 hours"), hourly);
        assertEquals(4L, stack.queryLong("SELECT count(*) FROM delta.gold.funnels WHERE metric_date = DATE '" + DAY + "'"));
    }

    @Test
    @Order(3)
    void theDataScienceNotebookRunsAgainstTrinoOnTheGoldTables() throws Exception {
        // Runs after the DAG test, which built and registered gold for DAY (3 students, 5 sessions).
        Path home = stack.settings().home();
        Path output = stack.workDir().resolve("notebooks");
        runCommand(home.resolve("notebooks"), List.of("jupyter-nbconvert", "--to", "notebook", "--execute", "student_engagement.ipynb",
                "--output-dir", output.toString(), "--ExecutePreprocessor.timeout=300"),
                Map.of("TRINO_SERVER", "http://127.0.0.1:" + stack.settings().trinoPort()));
        StringBuilder printed = new StringBuilder();
        for (JsonNode cell : MAPPER.readTree(output.resolve("student_engagement.ipynb").toFile()).get("cells")) {
            for (JsonNode out : cell.path("outputs")) {
                out.path("text").forEach(line -> printed.append(line.asText()));
                if (out.path("text").isTextual()) {
                    printed.append(out.path("text").asText());
                }
            }
        }
        String text = printed.toString();
        assertTrue(text.contains("feature day " + DAY + ": 3 students with features"), text);
        assertTrue(text.contains("5 sessions of 3 students in the 28 days ending " + DAY), text);
        java.util.regex.Matcher segments = java.util.regex.Pattern.compile("segments: (.*)").matcher(text);
        assertTrue(segments.find(), text);
        // Every student with features is in exactly one segment (the notebook asserts it too).
        assertEquals(3, java.util.regex.Pattern.compile("(low|medium|high|all) (\\d+)").matcher(segments.group(1)).results()
                .mapToInt(match -> Integer.parseInt(match.group(2))).sum(), segments.group(0));
    }

    @Test
    @Order(4)
    void everySupersetDatasetAndChartQueriesTheLakeAsItsChartsExpect() throws Exception {
        // Fresh events, so the Live dashboard's minute windows have something to show.
        String livePage = "/courses/live-" + RUN;
        java.time.Instant now = java.time.Instant.now();
        assertEquals(200, post(LmsEvent.batch(
                LmsEvent.of("page_view", RAW_IDS.get("A"), livePage).at(now.toString()).session("live-A-" + RUN),
                LmsEvent.of("click", RAW_IDS.get("A"), livePage).at(now.plusSeconds(1).toString()).session("live-A-" + RUN),
                LmsEvent.of("page_view", RAW_IDS.get("B"), livePage).at(now.toString()).session("live-B-" + RUN))).statusCode());
        Await.until("fresh silver events", Duration.ofMinutes(2), () -> stack.queryLong(
                "SELECT count(*) FROM delta.silver.clickstream_processed WHERE page_url = '" + livePage + "'"), 3L);

        Path bundle = stack.settings().home().resolve("superset/bundle/clickstream");
        ObjectMapper yaml = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        SupersetBundle.Contents contents = SupersetBundle.read(stack.settings().home());
        Map<String, JsonNode> datasets = contents.datasets();
        Map<String, JsonNode> charts = contents.charts();
        datasets.forEach((uuid, dataset) -> assertEquals(contents.databaseUuid(), dataset.get("database_uuid").asText(),
                dataset.get("table_name").asText() + " uses the bundle's database"));
        assertEquals(6, datasets.size());
        assertEquals(12, charts.size());

        // Every dataset's SQL runs on Trino and returns exactly the columns it declares.
        Map<String, List<String>> columnsOf = new java.util.HashMap<>();
        try (java.sql.Connection trino = java.sql.DriverManager.getConnection(stack.trino().jdbcUrl(), "superset", null)) {
            for (JsonNode dataset : datasets.values()) {
                List<String> declared = new ArrayList<>();
                dataset.get("columns").forEach(column -> declared.add(column.get("column_name").asText()));
                List<String> actual = new ArrayList<>();
                try (java.sql.ResultSet rows = trino.createStatement().executeQuery(dataset.get("sql").asText())) {
                    for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
                        actual.add(rows.getMetaData().getColumnLabel(i));
                    }
                    // This small lake has no anomaly; every other dataset has rows.
                    assertTrue(rows.next() || dataset.get("table_name").asText().equals("anomalies"),
                            dataset.get("table_name").asText() + " has rows on this lake");
                }
                assertEquals(declared, actual, dataset.get("table_name").asText());
                columnsOf.put(dataset.get("uuid").asText(), declared);
            }

            // Every chart uses only its dataset's columns; its query, as Superset would build it, returns what it shows.
            Map<String, Integer> minimumRows = Map.ofEntries(
                    Map.entry("Active users (DAU, WAU, MAU)", 1), Map.entry("Sessions per day", 1), Map.entry("Bounce rate", 1),
                    Map.entry("Median session length (s)", 1), Map.entry("Top pages", 2), Map.entry("Scroll depth", 4),
                    Map.entry("Course-to-quiz funnel", 4), Map.entry("Anomalies", 0), Map.entry("Students active, last 5 minutes", 1),
                    Map.entry("Events per minute", 1), Map.entry("Active pages, last 15 minutes", 1), Map.entry("Recent actions", 3));
            for (JsonNode chart : charts.values()) {
                String name = chart.get("slice_name").asText();
                JsonNode dataset = datasets.get(chart.get("dataset_uuid").asText());
                assertTrue(dataset != null, name + ": its dataset is in the bundle");
                SupersetChartQuery query = SupersetChartQuery.of(chart.get("params"), dataset.get("sql").asText());
                assertTrue(columnsOf.get(dataset.get("uuid").asText()).containsAll(query.columns()),
                        name + " uses " + query.columns() + ", dataset has " + columnsOf.get(dataset.get("uuid").asText()));
                List<Map<String, Object>> rows = new ArrayList<>();
                try (java.sql.ResultSet result = trino.createStatement().executeQuery(query.sql())) {
                    while (result.next()) {
                        rows.add(Map.of("first", String.valueOf(result.getObject(1))));
                    }
                }
                assertTrue(rows.size() >= minimumRows.get(name), name + ": " + rows.size() + " rows from " + query.sql());
                if (name.equals("Students active, last 5 minutes")) {
                    assertEquals("2", rows.get(0).get("first"), "A and B just sent events");
                }
                if (name.equals("Course-to-quiz funnel")) {
                    assertEquals(4, rows.size(), "one bar per step");
                }
            }
        }

        // The dashboards place only charts of the bundle, and the Live one refreshes itself.
        for (String dashboard : List.of("Learning_engagement", "Live")) {
            JsonNode node = yaml.readTree(bundle.resolve("dashboards/" + dashboard + ".yaml").toFile());
            node.get("position").forEach(item -> {
                if (item.path("type").asText().equals("CHART")) {
                    assertTrue(charts.containsKey(item.at("/meta/uuid").asText()), dashboard + " places " + item.at("/meta/sliceName").asText());
                }
            });
            if (dashboard.equals("Live")) {
                assertTrue(node.at("/metadata/refresh_frequency").asInt() > 0 && node.at("/metadata/refresh_frequency").asInt() <= 10);
            }
        }
    }

    /** Airflow's templates as our DAGs use them: {{ ds }} and {{ macros.ds_add(ds, N) }}; anything else fails. */
    private static String renderTemplate(String template, LocalDate ds) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("\\{\\{\\s*(.*?)\\s*\\}\\}").matcher(template);
        StringBuilder rendered = new StringBuilder();
        while (matcher.find()) {
            String expression = matcher.group(1);
            java.util.regex.Matcher add = java.util.regex.Pattern.compile("macros\\.ds_add\\(ds,\\s*(-?\\d+)\\)").matcher(expression);
            String value = expression.equals("ds") ? ds.toString() : add.matches() ? ds.plusDays(Long.parseLong(add.group(1))).toString() : null;
            if (value == null) {
                throw new IllegalArgumentException("template not understood by the test: {{ " + expression + " }}");
            }
            matcher.appendReplacement(rendered, value);
        }
        return matcher.appendTail(rendered).toString();
    }

    /** The DAG's tasks in the waves Airflow starts them: each wave holds every task whose upstream tasks are in earlier waves. */
    private static List<List<String>> waves(java.util.Iterator<String> tasks, Set<List<String>> edges) {
        List<String> remaining = new ArrayList<>();
        tasks.forEachRemaining(remaining::add);
        Set<String> done = new java.util.HashSet<>();
        List<List<String>> waves = new ArrayList<>();
        while (!remaining.isEmpty()) {
            List<String> wave = remaining.stream()
                    .filter(task -> edges.stream().noneMatch(edge -> edge.get(1).equals(task) && !done.contains(edge.get(0)))).toList();
            if (wave.isEmpty()) {
                throw new IllegalStateException("the DAG has a cycle among " + remaining);
            }
            waves.add(wave);
            done.addAll(wave);
            remaining.removeAll(wave);
        }
        return waves;
    }

    private static String runCommand(Path directory, List<String> command, Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(10, java.util.concurrent.TimeUnit.MINUTES), "timed out: " + command);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + output);
        return output;
    }

    private static LmsEvent event(String student, String name, String page, String time) {
        return LmsEvent.of(name, RAW_IDS.get(student), page).at(DAY + "T" + time + "Z").session("session-" + student + "-" + RUN);
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(stack.trackEndpoint()).header("Content-Type", "application/json")
                .header("Authorization", stack.authorization())
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(5)
    void analyticsViewsCommentEveryColumnAndTheDdlHistoryAppliesOnlyWhatIsNew() throws Exception {
        // Gold for DAY exists (first test and the DAG test), so every view script has run.
        long applications = stack.queryLong("SELECT count(*) FROM delta.meta.ddl_history");
        List<String> again = stack.applyDdl();
        assertTrue(again.stream().allMatch(line -> line.startsWith("unchanged ")), again.toString());
        assertEquals(applications, stack.queryLong("SELECT count(*) FROM delta.meta.ddl_history"), "a second run records nothing");
        assertEquals(0L, stack.queryLong("SELECT count(*) FROM (SELECT script FROM delta.meta.ddl_history GROUP BY script, checksum HAVING count(*) > 1)"));

        List<String> views = stack.query("SELECT table_name FROM delta.information_schema.views WHERE table_schema = 'analytics' ORDER BY 1")
                .stream().map(row -> row.get("table_name").toString()).toList();
        assertEquals(List.of("clickstream_analytics", "clickstream_processed", "funnel_summary", "student_features_latest"), views);
        List<String> commented = new ArrayList<>(views.stream().map(view -> "delta.analytics." + view).toList());
        commented.add("hive.bronze.clickstream_raw");
        for (String table : commented) {
            List<Map<String, Object>> columns = stack.query("SHOW COLUMNS FROM " + table);
            assertTrue(columns.size() > 3, table);
            for (Map<String, Object> column : columns) {
                Object comment = column.get("Comment");
                assertTrue(comment != null && comment.toString().length() > 10, table + "." + column.get("Column") + " has no comment");
            }
        }

        // docs/analytics-views.md is generated from what Trino shows, so it cannot drift from the SQL.
        Path doc = stack.settings().home().resolve("docs").resolve("analytics-views.md");
        String rendered = renderViewsDoc(views);
        if (Boolean.getBoolean("clickstream.docs.write")) {
            Files.writeString(doc, rendered);
        }
        assertEquals(rendered, Files.exists(doc) ? Files.readString(doc) : "",
                "docs/analytics-views.md is out of date; regenerate it with -Dit.test=PipelineIT -Dclickstream.docs.write=true");

        assertEquals(stack.queryLong("SELECT count(*) FROM delta.silver.clickstream_processed"),
                stack.queryLong("SELECT count(*) FROM delta.analytics.clickstream_processed"));
        assertEquals(0L, stack.queryLong("SELECT count(*) FROM delta.analytics.clickstream_processed WHERE arrival_delay_seconds IS NULL"));
        List<Map<String, Object>> day = stack.query("SELECT active_users, sessions, element_at(top_pages, 1) AS top_page, "
                + "element_at(top_page_views, 1) AS top_views, cardinality(top_pages) AS pages FROM delta.analytics.clickstream_analytics "
                + "WHERE metric_date = DATE '" + DAY + "'");
        assertEquals(List.of(Map.of("active_users", 3L, "sessions", 5L, "top_page", "/courses/algebra", "top_views", 4L, "pages", 3L)), day);
        assertEquals(stack.queryLong("SELECT count(DISTINCT funnel) FROM delta.gold.funnels WHERE metric_date = DATE '" + DAY + "'"),
                stack.queryLong("SELECT count(*) FROM delta.analytics.funnel_summary WHERE metric_date = DATE '" + DAY + "'"));
        assertEquals(0L, stack.queryLong("SELECT count(*) FROM delta.analytics.funnel_summary s JOIN delta.gold.funnels f "
                + "ON f.metric_date = s.metric_date AND f.funnel = s.funnel AND f.step = 1 WHERE s.entered <> f.students"));
        assertEquals(stack.queryLong("SELECT count(DISTINCT student_id) FROM delta.gold.student_features"),
                stack.queryLong("SELECT count(*) FROM delta.analytics.student_features_latest"));

        // Scripts of one's own: a versioned script changed after it was applied is refused; a repeatable one is applied again.
        String schema = "delta.ddl_check_" + RUN.replace("-", "_");
        List<DdlScript> first = List.of(
                DdlScript.of("V900__ddl_check_" + RUN.replace("-", "_") + ".sql", "CREATE SCHEMA IF NOT EXISTS " + schema + " WITH (location = '${lake}/ddl-check');\n"),
                DdlScript.of("R__ddl_check_" + RUN.replace("-", "_") + ".sql", "CREATE OR REPLACE VIEW " + schema + ".answer AS SELECT 41 AS answer;\n"));
        try (java.sql.Connection connection = stack.trino().connect()) {
            String lake = io.clickstream.stack.TrinoServer.localUri(stack.settings().lakeRoot());
            List<String> applied = new DdlRunner(connection, lake, first).apply();
            assertEquals(2, applied.stream().filter(line -> line.startsWith("recorded ")).count(), applied.toString());
            List<DdlScript> changedView = List.of(first.get(0),
                    DdlScript.of(first.get(1).name(), "CREATE OR REPLACE VIEW " + schema + ".answer AS SELECT 42 AS answer;\n"));
            List<String> reapplied = new DdlRunner(connection, lake, changedView).apply();
            assertEquals(List.of("unchanged " + first.get(0).name(), "applied " + first.get(1).name() + ": CREATE OR REPLACE VIEW " + schema
                    + ".answer AS SELECT 42 AS answer", "recorded " + first.get(1).name()), reapplied);
            assertEquals(42L, stack.queryLong("SELECT answer FROM " + schema + ".answer"));
            List<DdlScript> edited = List.of(DdlScript.of(first.get(0).name(), first.get(0).text() + "-- edited\n"));
            IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> new DdlRunner(connection, lake, edited).apply());
            assertTrue(refused.getMessage().contains(first.get(0).name() + " changed after it was applied"), refused.getMessage());
        }
    }

    @Test
    @Order(6)
    void theProductionTrinoCatalogsAreAcceptedByTrino() throws Exception {
        // deploy/trino/production/catalog/*.properties (Hive metastore over thrift, s3:// on an S3 API store), created as
        // catalogs on the real Trino: an unknown or malformed property fails here. ${ENV:...} gets stand-in values.
        Map<String, String> environment = Map.of("HIVE_METASTORE_URI", "thrift://127.0.0.1:9083", "S3_ENDPOINT", "http://127.0.0.1:9000",
                "S3_REGION", "us-east-1", "S3_PATH_STYLE_ACCESS", "true", "S3_ACCESS_KEY", "check-access", "S3_SECRET_KEY", "check-secret");
        List<Path> files;
        try (Stream<Path> listed = Files.list(stack.settings().home().resolve("deploy/trino/production/catalog"))) {
            files = listed.sorted().toList();
        }
        assertEquals(List.of("delta.properties", "hive.properties"), files.stream().map(file -> file.getFileName().toString()).toList());
        for (Path file : files) {
            java.util.Properties properties = new java.util.Properties();
            try (var reader = Files.newBufferedReader(file)) {
                properties.load(reader);
            }
            assertEquals("thrift", URI.create(properties.getProperty("hive.metastore.uri").replace("${ENV:HIVE_METASTORE_URI}",
                    environment.get("HIVE_METASTORE_URI"))).getScheme(), file + ": the metastore is a Hive metastore over thrift");
            assertEquals("true", properties.getProperty("fs.native-s3.enabled"), file + ": the lake is on S3");
            String catalog = "production_check_" + file.getFileName().toString().replace(".properties", "");
            String with = properties.stringPropertyNames().stream().sorted().filter(name -> !name.equals("connector.name"))
                    .map(name -> "\"" + name + "\" = '" + resolveEnvironment(properties.getProperty(name), environment) + "'")
                    .collect(Collectors.joining(", "));
            execute("CREATE CATALOG " + catalog + " USING " + properties.getProperty("connector.name") + " WITH (" + with + ")");
            try {
                assertEquals(1L, stack.queryLong("SELECT count(*) FROM system.metadata.catalogs WHERE catalog_name = '" + catalog + "'"));
            }
            finally {
                execute("DROP CATALOG " + catalog);
            }
        }
    }

    private static void execute(String sql) throws java.sql.SQLException {
        try (java.sql.Connection connection = stack.trino().connect(); java.sql.Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static String resolveEnvironment(String value, Map<String, String> environment) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("\\$\\{ENV:([A-Z0-9_]+)}").matcher(value);
        StringBuilder resolved = new StringBuilder();
        while (matcher.find()) {
            String variable = matcher.group(1);
            assertTrue(environment.containsKey(variable), "no stand-in for ${ENV:" + variable + "}");
            matcher.appendReplacement(resolved, java.util.regex.Matcher.quoteReplacement(environment.get(variable)));
        }
        return matcher.appendTail(resolved).toString();
    }

    private static String renderViewsDoc(List<String> views) throws java.sql.SQLException {
        StringBuilder out = new StringBuilder("""
                # Analytics views

                Trino views in the `delta.analytics` schema, for analysts and dashboards: stable names over
                silver and gold with a comment on every column (Trino shows them with `SHOW COLUMNS`). The
                SQL is in `lakehouse-ddl/src/main/resources/ddl/R__analytics_*.sql`; `bin/clickstream ddl apply`
                creates a view once the tables it reads exist and replaces it when its script changes. The
                tables underneath are in [data-contracts.md](data-contracts.md). Generated by `PipelineIT`
                from the running views; edit the SQL, not this file.
                """);
        for (String view : views) {
            Object comment = stack.query("SELECT comment FROM system.metadata.table_comments WHERE catalog_name = 'delta' "
                    + "AND schema_name = 'analytics' AND table_name = '" + view + "'").get(0).get("comment");
            out.append("\n## analytics.").append(view).append("\n\n").append(comment).append(".\n\n| column | type | meaning |\n|---|---|---|\n");
            for (Map<String, Object> column : stack.query("SHOW COLUMNS FROM delta.analytics." + view)) {
                out.append("| `").append(column.get("Column")).append("` | ").append(column.get("Type")).append(" | ")
                        .append(String.valueOf(column.get("Comment")).replace("|", "\\|")).append(" |\n");
            }
        }
        return out.toString();
    }

    private static void assertNoRawIdInFiles(Path root) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertTrue(files.size() > 10);
        for (Path file : files) {
            byte[] content = read(file);
            String text = new String(content, StandardCharsets.ISO_8859_1);
            for (String raw : RAW_IDS.values()) {
                assertFalse(text.contains(raw), "raw student id found in " + file);
            }
        }
    }

    private static byte[] read(Path file) throws IOException {
        if (file.toString().endsWith(".gz")) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                return in.readAllBytes();
            }
        }
        return Files.readAllBytes(file);
    }

    private static List<String> consume(String topic, int atLeast) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < atLeast && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private static List<Path> gzipFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.toString().endsWith(".json.gz")).toList();
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
