package io.clickstream.stack;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The local stack's commands, behind {@code bin/clickstream}.
 *
 * <ul>
 *   <li>{@code demo [--seconds N] [--rate EVENTS_PER_SECOND]}: starts broker, ingest, streaming job and
 *       Trino; sends generated LMS traffic over HTTP; waits until silver holds every accepted event;
 *       runs the gold job; prints counts per layer read back through Trino; stops everything.</li>
 *   <li>{@code up}: the same, then keeps the stack running with live students sending until Ctrl-C.</li>
 *   <li>{@code simulate [--rate N] [--bots N] [--spike-every S] [--rhythm] [--steady]}: live traffic into a running stack;
 *       {@code simulate --day YYYY-MM-DD [--events N]}: a historic day written straight into silver.</li>
 *   <li>{@code sql "QUERY"}: runs a query on the running stack's Trino and prints the rows.</li>
 *   <li>{@code status}: the streaming queries' last batch and consumer lag per partition (see PipelineStatus).</li>
 *   <li>{@code job NAME [ARGS]}: one Spark job (streaming, live, replay, a gold job, maintenance...) as its own process.</li>
 *   <li>{@code erase STUDENT_ID}: removes one student from every layer (EraseJob), pseudonymised here first;
 *       {@code pseudonym STUDENT_ID...} prints the pseudonym the lake stores for each id.</li>
 * </ul>
 */
public final class ClickstreamCli {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private ClickstreamCli() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            return;
        }
        Path home = Path.of(System.getProperty("clickstream.home", ".")).toAbsolutePath().normalize();
        StackSettings settings = StackSettings.fromEnvironment(home);
        if (args[0].equals("job")) {
            System.exit(job(settings, List.of(args).subList(1, args.length)));
        }
        if (args[0].equals("pseudonym")) {
            System.exit(pseudonym(settings, List.of(args).subList(1, args.length)));
        }
        if (args[0].equals("erase")) {
            System.exit(erase(settings, List.of(args).subList(1, args.length)));
        }
        if (args[0].equals("status")) {
            System.exit(job(settings, List.of(args)));
        }
        if (args[0].equals("simulate")) {
            System.exit(simulate(settings, List.of(args).subList(1, args.length)));
        }
        int seconds = 20;
        int rate = 200;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                default -> {
                    if (!args[0].equals("sql")) {
                        System.err.println("unknown option " + args[i]);
                        usage();
                        System.exit(2);
                    }
                }
            }
        }
        try {
            switch (args[0]) {
                case "demo" -> demo(settings, seconds, rate, false);
                case "up" -> demo(settings, seconds, rate, true);
                case "sql" -> sql(settings, String.join(" ", List.of(args).subList(1, args.length)));
                default -> {
                    usage();
                    System.exit(2);
                }
            }
        }
        catch (IllegalStateException | java.sql.SQLException e) {
            // Expected failures (a process died, a query failed) carry their own explanation.
            System.err.println("clickstream: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void usage() {
        System.err.println("usage: clickstream demo [--seconds N] [--rate EVENTS_PER_SECOND] | up [...] | sql \"QUERY\" | job NAME [ARGS]"
                + " | status | erase STUDENT_ID | pseudonym STUDENT_ID... | simulate [OPTIONS]");
    }

    /**
     * Live traffic through the HTTP endpoint of a running stack (or any ingest), until Ctrl-C or
     * {@code --seconds}: {@code --rate EVENTS_PER_SECOND}, {@code --steady} (one event per request,
     * exactly 1/rate apart: {@code --rate 0.5 --steady} is one event every 2 s), {@code --bots N},
     * {@code --spike-every SECONDS} (the rate triples for 30 s), {@code --rhythm} (follow the hour of
     * day), {@code --invalid PER_MILLE}, {@code --endpoint URL} (repeatable: instances take turns),
     * {@code --write-key KEY} (default: the local stack's). With {@code --day YYYY-MM-DD [--events N]}
     * it writes a whole historic day straight into silver instead (a Spark job, see HistoricDay).
     */
    static int simulate(StackSettings settings, List<String> args) throws Exception {
        int day = args.indexOf("--day");
        if (day >= 0) {
            List<String> historic = new ArrayList<>(List.of("historic-day", "--date", day + 1 < args.size() ? args.get(day + 1) : ""));
            int events = args.indexOf("--events");
            if (events >= 0 && events + 1 < args.size()) {
                historic.addAll(List.of("--events", args.get(events + 1)));
            }
            if (args.size() != historic.size() - 1) {
                System.err.println("clickstream simulate: --day takes only --events N");
                return 2;
            }
            return job(settings, historic);
        }
        double rate = 5;
        boolean steady = false;
        int bots = 0;
        Duration spikeEvery = null;
        boolean rhythm = false;
        int invalid = 5;
        long seconds = Long.MAX_VALUE / 2_000;
        List<URI> endpoints = new ArrayList<>();
        String writeKey = null;
        try {
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--rate" -> rate = Double.parseDouble(args.get(++i));
                    case "--bots" -> bots = Integer.parseInt(args.get(++i));
                    case "--spike-every" -> spikeEvery = Duration.ofSeconds(Long.parseLong(args.get(++i)));
                    case "--rhythm" -> rhythm = true;
                    case "--steady" -> steady = true;
                    case "--invalid" -> invalid = Integer.parseInt(args.get(++i));
                    case "--seconds" -> seconds = Long.parseLong(args.get(++i));
                    case "--endpoint" -> endpoints.add(URI.create(args.get(++i).replaceAll("/+$", "") + "/v1/track"));
                    case "--write-key" -> writeKey = args.get(++i);
                    default -> throw new IllegalArgumentException("unknown option " + args.get(i));
                }
            }
            if (endpoints.isEmpty()) {
                endpoints.add(URI.create("http://127.0.0.1:" + settings.ingestPort() + "/v1/track"));
            }
            if (writeKey == null) {
                writeKey = settings.writeKey();
            }
            LiveSimulator.Settings simulation = new LiveSimulator.Settings(rate, bots, spikeEvery, Duration.ofSeconds(30), rhythm, invalid,
                    LiveSimulator.Settings.poolFor(rate, spikeEvery != null), steady);
            String authorization = "Basic " + java.util.Base64.getEncoder().encodeToString((writeKey + ":").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            say("simulating students at " + (steady ? "exactly " : "about ") + rate + " events/s" + (bots > 0 ? " with " + bots + " bots" : "") + " into " + endpoints
                    + " (Ctrl-C stops)");
            LiveSimulator.Result result = new LiveSimulator(endpoints, authorization, simulation, System.nanoTime(), Clock.systemUTC())
                    .run(Duration.ofSeconds(seconds), ClickstreamCli::say, Duration.ofSeconds(10));
            say(String.format("sent %d events: %d accepted, %d rejected, %d failed requests", result.sent(), result.accepted(), result.rejected(),
                    result.failedRequests()));
            return result.failedRequests() == 0 ? 0 : 1;
        }
        catch (IllegalArgumentException e) {
            System.err.println("clickstream simulate: " + e.getMessage());
            return 2;
        }
    }

    /** Runs a Spark job in its own JVM with this terminal, on the work directory's lake unless configured otherwise. */
    static int job(StackSettings settings, List<String> args) throws Exception {
        boolean ownMainClass = !args.isEmpty() && List.of("streaming", "live", "historic-day", "status", "replay", "erase").contains(args.get(0));
        if (args.isEmpty() || args.get(0).startsWith("-")) {
            System.err.println("usage: clickstream job streaming | live [--config FILE]");
            System.err.println("       clickstream job historic-day --date YYYY-MM-DD [--events N] [--config FILE]");
            System.err.println("       clickstream job replay --date YYYY-MM-DD [--to YYYY-MM-DD] [--late-days N] [--allow-fewer] [--config FILE]");
            System.err.println("       clickstream job erase --pseudonym HEX [--config FILE]   (or: clickstream erase STUDENT_ID)");
            System.err.println("       clickstream job gold | GOLD-JOB | maintenance | compact-silver --date YYYY-MM-DD [--to YYYY-MM-DD] [--config FILE]");
            System.err.println("       (gold runs every gold job in dependency order; `clickstream job gold` alone lists them)");
            return 2;
        }
        // Gold jobs share one entry point that takes the job's name, knows them all and refuses any other name with its
        // usage; the streaming, live, historic-day, status, replay and erase jobs have their own.
        String mainClass = switch (args.get(0)) {
            case "streaming" -> "io.clickstream.jobs.streaming.StreamingJob";
            case "live" -> "io.clickstream.jobs.live.LiveAggregatesJob";
            case "historic-day" -> "io.clickstream.jobs.simulate.HistoricDay";
            case "status" -> "io.clickstream.jobs.monitoring.PipelineStatus";
            case "replay" -> "io.clickstream.jobs.streaming.ReplayJob";
            case "erase" -> "io.clickstream.jobs.privacy.EraseJob";
            default -> "io.clickstream.jobs.gold.GoldCli";
        };
        List<String> arguments = ownMainClass ? args.subList(1, args.size()) : args;
        ProcessBuilder builder = new ProcessBuilder(new Modules(settings.home())
                .javaCommand("spark-jobs", Modules.sparkJvmOptions(), mainClass, arguments)).inheritIO();
        builder.environment().putIfAbsent("CLICKSTREAM_LAKE_ROOT", settings.lakeRoot().toString());
        builder.environment().putIfAbsent("CLICKSTREAM_SPARK_LOCAL_DIR", settings.workDir().resolve("spark-tmp").toString());
        builder.environment().putIfAbsent("SPARK_LOCAL_IP", "127.0.0.1");
        builder.environment().putIfAbsent("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + settings.kafkaPort());
        builder.environment().putIfAbsent("CLICKSTREAM_METRICS_PORT", String.valueOf(settings.metricsPort()));
        Process process = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
        return process.waitFor();
    }

    /**
     * Erases one student from every layer of the lake (a GDPR request): the raw id is pseudonymised here with the
     * deployment's key, and only the pseudonym reaches the Spark job (see EraseJob).
     */
    static int erase(StackSettings settings, List<String> args) throws Exception {
        if (args.size() != 1) {
            System.err.println("usage: clickstream erase STUDENT_ID");
            return 2;
        }
        String key = pseudonymisationKey(settings);
        if (key == null) {
            return 2;
        }
        return job(settings, List.of("erase", "--pseudonym", new io.clickstream.schema.Pseudonymiser(key).pseudonymise(args.get(0))));
    }

    /**
     * Prints the pseudonym of each LMS student id, one per line, with the deployment's key
     * ({@code CLICKSTREAM_PSEUDONYMISATION_KEY}, else the local stack's key file): what silver and
     * gold store for that student, for support questions and erasure requests.
     */
    static int pseudonym(StackSettings settings, List<String> studentIds) throws IOException {
        if (studentIds.isEmpty()) {
            System.err.println("usage: clickstream pseudonym STUDENT_ID...");
            return 2;
        }
        String key = pseudonymisationKey(settings);
        if (key == null) {
            return 2;
        }
        io.clickstream.schema.Pseudonymiser pseudonymiser = new io.clickstream.schema.Pseudonymiser(key);
        studentIds.forEach(id -> System.out.println(pseudonymiser.pseudonymise(id)));
        return 0;
    }

    /** The deployment's key (CLICKSTREAM_PSEUDONYMISATION_KEY), else the local stack's key file; null, with a message, when neither exists. */
    private static String pseudonymisationKey(StackSettings settings) throws IOException {
        String key = System.getenv("CLICKSTREAM_PSEUDONYMISATION_KEY");
        if (key != null && !key.isBlank()) {
            return key.trim();
        }
        Path file = settings.workDir().resolve("secrets").resolve("pseudonymisation.key");
        if (!Files.exists(file)) {
            System.err.println("clickstream: no pseudonymisation key: set CLICKSTREAM_PSEUDONYMISATION_KEY to the deployment's key"
                    + " (the local stack keeps its own in " + file + ")");
            return null;
        }
        return Files.readString(file).trim();
    }

    static void demo(StackSettings settings, int seconds, int rate, boolean keepRunning) throws Exception {
        say("work directory " + settings.workDir() + " (logs in " + settings.workDir().resolve("logs") + ")");
        LocalStack stack = LocalStack.start(settings, ClickstreamCli::say);
        Thread stopper = new Thread(() -> {
            say("stopping every process the demo started");
            stack.close();
        }, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        String counts = null;
        try {
            stack.startLiveJob();
            say("live dashboard: " + stack.ingestUrl() + "/live/   demo LMS: " + stack.ingestUrl() + "/demo/   (open them now to watch)");
            stack.applyDdl().forEach(line -> say("ddl: " + line));
            String silver = "delta.silver.clickstream_processed";
            Instant sendingSince = Instant.now();

            say("sending LMS traffic to " + stack.trackEndpoint() + " for " + seconds + " s at about " + rate + " events/s");
            TrafficGenerator.Result sent = new TrafficGenerator(stack.trackEndpoint(), stack.authorization(), 120, System.nanoTime(), Clock.systemUTC())
                    .run(Duration.ofSeconds(seconds), rate);
            say(String.format("sent %d events: %d accepted (%d distinct), %d rejected with a reason (in topic %s), %d failed requests",
                    sent.sent(), sent.accepted(), sent.acceptedEventIds().size(), sent.rejected(), StackSettings.DEAD_LETTER_TOPIC,
                    sent.failedRequests()));

            // Counted by arrival time, so events of an earlier run (still in Kafka when it stopped) do not count.
            long expected = sent.acceptedEventIds().size();
            say("waiting for silver to hold the " + expected + " distinct events accepted in this run");
            long inSilver = awaitCount(stack, "SELECT count(*) FROM " + silver + " WHERE received_at >= from_iso8601_timestamp('"
                    + sendingSince + "')", expected, Duration.ofMinutes(3));
            if (inSilver != expected) {
                throw new IllegalStateException("silver holds " + inSilver + " of this run's events, expected " + expected + "; see " + settings.workDir().resolve("logs/streaming.log"));
            }

            List<LocalDate> days = new ArrayList<>();
            for (Map<String, Object> row : stack.query("SELECT DISTINCT event_date FROM " + silver + " WHERE received_at >= from_iso8601_timestamp('"
                    + sendingSince + "') ORDER BY 1")) {
                days.add(LocalDate.parse(row.get("event_date").toString()));
            }
            if (!days.isEmpty()) {
                stack.runGold(days.get(0), days.get(days.size() - 1)).forEach(line -> say("gold: " + line));
            }
            stack.applyDdl().stream().filter(line -> line.startsWith("registered")).forEach(line -> say("ddl: " + line));

            LocalDate lastDay = days.isEmpty() ? LocalDate.now(java.time.ZoneOffset.UTC) : days.get(days.size() - 1);
            System.out.println();
            System.out.println("Top pages on " + lastDay + " (delta.gold.daily_top_pages):");
            for (Map<String, Object> row : stack.query("SELECT rank, page_url, page_views, visitors FROM delta.gold.daily_top_pages WHERE metric_date = DATE '"
                    + lastDay + "' AND rank <= 5 ORDER BY rank")) {
                System.out.printf("  %2s. %-40s %6s views %5s students%n", row.get("rank"), row.get("page_url"), row.get("page_views"), row.get("visitors"));
            }
            System.out.println();
            System.out.println("Query it yourself (while the stack runs: bin/clickstream up):");
            System.out.println("  bin/clickstream sql \"SELECT * FROM delta.gold.daily_metrics ORDER BY metric_date\"");
            System.out.println("  JDBC " + stack.trino().jdbcUrl() + " (user: any name), catalogs: delta (silver, gold), hive (bronze)");
            System.out.println("  lake files under " + settings.lakeRoot());
            System.out.println();
            long bronze = stack.queryLong("SELECT count(*) FROM hive.bronze.clickstream_raw");
            long silverRows = stack.queryLong("SELECT count(*) FROM " + silver);
            long goldSessions = stack.queryLong("SELECT count(*) FROM delta.gold.sessions");
            long goldDays = stack.queryLong("SELECT count(*) FROM delta.gold.daily_metrics");
            long goldPages = stack.queryLong("SELECT count(*) FROM delta.gold.daily_top_pages");
            counts = String.join("\n",
                    "Row counts read back through Trino:",
                    String.format("  bronze  hive.bronze.clickstream_raw          %8d records", bronze),
                    String.format("  silver  delta.silver.clickstream_processed   %8d events", silverRows),
                    String.format("  gold    delta.gold.sessions                  %8d sessions", goldSessions),
                    String.format("  gold    delta.gold.daily_metrics             %8d days", goldDays),
                    String.format("  gold    delta.gold.daily_top_pages           %8d rows", goldPages));
            if (keepRunning) {
                System.out.println(counts);
                say("write key for curl: -u \"$(cat " + settings.workDir().resolve("secrets/write.key") + "):\"");
                say("the stack keeps running: ingest " + stack.ingestUrl() + ", Trino " + stack.trino().jdbcUrl() + ", Kafka "
                        + stack.broker().bootstrapServers() + ". Ctrl-C stops it.");
                // Live students keep the dashboard moving; bin/clickstream simulate adds more (bots, spikes) from another terminal.
                String authorization = stack.authorization();
                Thread liveTraffic = new Thread(() -> {
                    try {
                        new LiveSimulator(List.of(stack.trackEndpoint()), authorization, LiveSimulator.Settings.realistic(2), System.nanoTime(),
                                Clock.systemUTC()).run(Duration.ofDays(365), ClickstreamCli::say, null);
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "live-students");
                liveTraffic.setDaemon(true);
                liveTraffic.start();
                say("live students are sending about 2 events/s; watch " + stack.ingestUrl() + "/live/ and use " + stack.ingestUrl()
                        + "/demo/ yourself");
                new CountDownLatch(1).await();
            }
        }
        finally {
            if (!keepRunning) {
                Runtime.getRuntime().removeShutdownHook(stopper);
                say("stopping every process the demo started");
                stack.close();
            }
        }
        // Last, so the counts are what a person sees when the demo ends.
        System.out.println(counts);
    }

    private static long awaitCount(LocalStack stack, String sql, long expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long count = -1;
        long lastPrinted = -1;
        while (System.nanoTime() < deadline) {
            stack.checkStreamingAlive();
            count = stack.queryLong(sql);
            if (count == expected) {
                return count;
            }
            if (count != lastPrinted) {
                say("  silver: " + count + " of " + expected);
                lastPrinted = count;
            }
            Thread.sleep(1000);
        }
        return count;
    }

    static void sql(StackSettings settings, String query) throws Exception {
        if (!portOpen(settings.trinoPort())) {
            throw new IllegalStateException("no Trino on 127.0.0.1:" + settings.trinoPort() + ": start the stack with 'bin/clickstream up'");
        }
        try (Connection connection = DriverManager.getConnection("jdbc:trino://127.0.0.1:" + settings.trinoPort(), "clickstream", null);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(query)) {
            ResultSetMetaData meta = rows.getMetaData();
            List<String> header = new ArrayList<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                header.add(meta.getColumnLabel(i));
            }
            System.out.println(String.join(" | ", header));
            while (rows.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    values.add(String.valueOf(rows.getObject(i)));
                }
                System.out.println(String.join(" | ", values));
            }
        }
    }

    private static boolean portOpen(int port) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        }
        catch (java.io.IOException e) {
            return false;
        }
    }

    static void say(String message) {
        System.out.println(LocalTime.now().format(CLOCK) + "  " + message);
    }
}
