package io.clickstream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.stack.ChildProcess;
import io.clickstream.stack.Directories;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.Modules;
import io.clickstream.stack.StackSettings;
import io.clickstream.stack.TrafficGenerator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Kafka → silver on this machine: sustained throughput, with the raw Kafka consume rate of the same
 * records as the ceiling, and freshness (accepted by the HTTP endpoint → visible in silver) at a
 * steady rate.
 *
 * <p>Starts a real broker and ingest as their own processes, loads {@code --events} realistic events
 * through ingest (so the topic holds exactly what ingest publishes), then: (1) a plain
 * {@code KafkaConsumer} reads them all (the ceiling); (1b) {@link SparkFloor}, the least a Spark stream from Kafka to
 * Delta does (parse, append), reads them all in a JVM of its own with the streaming job's settings: what Spark and
 * Delta alone cost per event on this machine; (2) the streaming job starts on a fresh lake
 * and works the backlog off, timed from its first to its last record by its own Prometheus
 * counters; (3) with the job caught up, events go through ingest at {@code --rate} events/s for
 * {@code --warmup} seconds (not counted: the job settles after the backlog) and then {@code --seconds},
 * and each one's freshness is the time from its HTTP acceptance to its arrival on the enriched
 * topic, which the job publishes right after the silver commit (an upper bound of "visible in
 * silver"). The warm-up's figures are printed too.
 *
 * <p>{@code --students N} gives every copy one of N students at random instead of its template's (the
 * templates have 2 000, each sending about a thousand events a minute at the default rates): the
 * per-student state then holds N students, as a large LMS's stream does.
 *
 * <p>How to run: {@code bench/streaming [--events N] [--rate EVENTS_PER_SECOND] [--warmup N] [--seconds N]
 * [--students N]}; it prints a table and the streaming JVM's memory.
 */
public final class StreamingBenchmark {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** With {@code --students N}: the number of students the copies are spread over; 0 keeps each template's student. */
    private static int students;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern INPUT_ROWS = Pattern.compile("clickstream_stream_input_rows_total\\{query=\"clickstream_lake\"} ([0-9.E]+)");

    public static void main(String[] args) throws Exception {
        long events = 2_000_000;
        int rate = 2_000;
        int seconds = 60;
        int warmup = 15;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--events" -> events = Long.parseLong(args[++i]);
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--students" -> students = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException(
                        "usage: bench/streaming [--events N] [--rate EVENTS_PER_SECOND] [--warmup N] [--seconds N] [--students N]");
            }
        }
        Path home = Path.of(System.getProperty("clickstream.home", ".")).toAbsolutePath().normalize();
        Path work = home.resolve("work").resolve("bench-streaming");
        Directories.deleteRecursively(work);
        StackSettings defaults = StackSettings.fromEnvironment(home);
        StackSettings settings = new StackSettings(home, work, 19192, 19193, 18180, 18181, defaults.topicPartitions(), 19464);
        List<ObjectNode> templates = new TrafficGenerator(null, null, 2_000, 7, Clock.systemUTC()).validEvents(5_000);

        try (LocalStack stack = LocalStack.start(settings, message -> System.out.println("  " + message), false)) {
            System.out.printf("  loading %d events through ingest%n", events);
            long loadStarted = System.nanoTime();
            load(stack, templates, events);
            System.out.printf("  loaded in %.0f s%n", (System.nanoTime() - loadStarted) / 1e9);

            System.out.println("  ceiling: a plain KafkaConsumer reads them all");
            double consumeRate = consumeAll(stack.broker().bootstrapServers(), events);

            System.out.println("  Spark's floor: the least a Spark stream from Kafka to Delta does (parse, append), in a JVM of its own");
            Floor floor = sparkFloor(stack, home, work.resolve("spark-floor"), events);

            System.out.println("  the streaming job works the backlog off (fresh lake, from the earliest offsets)");
            stack.startStreamingJob();
            Backlog backlog = awaitProcessed(stack, events, Duration.ofMinutes(30));
            double streamRate = backlog.eventsPerSecond();
            Map<String, Long> memory = IngestBenchmark.memory(streamingPid(stack));

            System.out.printf("  freshness: %d events/s through ingest, %d s of warm-up (not counted), then %d s measured%n", rate, warmup,
                    seconds);
            Freshness freshness = freshness(stack, templates, rate, Duration.ofSeconds(warmup), Duration.ofSeconds(seconds));

            System.out.println();
            System.out.printf("machine: %d cores, %s; broker, ingest and the streaming job (Spark local[2], %s heap) as local processes; %s%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                    System.getenv().getOrDefault("CLICKSTREAM_SPARK_HEAP", "2g"),
                    students > 0 ? "events spread over " + students + " students" : "the templates' 2000 students");
            System.out.println("| run | events | events/s | p50 s | p95 s | p99 s | target |");
            System.out.println("|---|---:|---:|---:|---:|---:|---|");
            System.out.printf("| raw KafkaConsumer (ceiling) | %d | %.0f | - | - | - | - |%n", events, consumeRate);
            System.out.printf("| Spark floor: Kafka -> Delta, parse and append only | %d | %.0f | - | - | - | - |%n", events, floor.eventsPerSecond());
            System.out.printf("| Kafka -> bronze + silver, backlog | %d | %.0f | - | - | - | >= 50000 events/s |%n", events, streamRate);
            System.out.printf("| freshness at %d events/s, HTTP accepted -> in silver | %d | %d | %.2f | %.2f | %.2f | p95 <= 3 s |%n", rate,
                    freshness.measured().length, rate, percentile(freshness.measured(), 50) / 1000.0,
                    percentile(freshness.measured(), 95) / 1000.0, percentile(freshness.measured(), 99) / 1000.0);
            System.out.printf("| (warm-up: the first %d s after the backlog, not counted) | %d | %d | %.2f | %.2f | %.2f | - |%n", warmup,
                    freshness.warmup().length, rate, percentile(freshness.warmup(), 50) / 1000.0, percentile(freshness.warmup(), 95) / 1000.0,
                    percentile(freshness.warmup(), 99) / 1000.0);
            System.out.printf("%nstreaming / raw consume: %.0f %%; streaming / Spark floor: %.0f %% (CPU per event: streaming %.1f µs, floor %.1f µs);"
                    + " streaming JVM RSS %d MB (peak %d MB)%n", 100 * streamRate / consumeRate, 100 * streamRate / floor.eventsPerSecond(),
                    backlog.cpu().firstMicrosPer(Math.round(backlog.events())), floor.cpuMicrosPerEvent(),
                    memory.getOrDefault("VmRSS", 0L) / 1024, memory.getOrDefault("VmHWM", 0L) / 1024);
        }
    }

    /** The Spark floor's rate and its JVM's CPU time per event, from the end of its first batch to its last. */
    private record Floor(double eventsPerSecond, double cpuMicrosPerEvent) {}

    private static final Pattern FLOOR = Pattern.compile("spark floor: .*: ([0-9.]+) events/s, ([0-9.]+) \\S+ CPU per event");

    /** Runs {@link SparkFloor} on the topic's backlog, with the streaming job's JVM options, and reads its figures from its output. */
    private static Floor sparkFloor(LocalStack stack, Path home, Path table, long events) throws Exception {
        List<String> jvm = new ArrayList<>(List.of(stack.settings().processMarker()));
        jvm.addAll(Modules.sparkJvmOptions());
        ChildProcess job = stack.startJob("spark-floor", new Modules(home).javaCommand("bench", jvm, SparkFloor.class.getName(),
                List.of("--table", table.toString(), "--events", String.valueOf(events))), Map.of());
        int exit = job.awaitExit(Duration.ofMinutes(30));
        List<String> output = java.nio.file.Files.readAllLines(job.log());
        String line = output.stream().filter(FLOOR.asPredicate()).findFirst()
                .orElseThrow(() -> new IllegalStateException("the Spark floor (exit " + exit + ") printed no figures\n" + job.tail()));
        System.out.println("  " + line);
        Matcher figures = FLOOR.matcher(line);
        figures.find();
        Directories.deleteRecursively(table);
        return new Floor(Double.parseDouble(figures.group(1)), Double.parseDouble(figures.group(2)));
    }

    /** Sends {@code total} events through ingest in batches of 500 from four threads, each a copy of a template with a new id and now. */
    private static void load(LocalStack stack, List<ObjectNode> templates, long total) throws Exception {
        AtomicLong sent = new AtomicLong();
        ExecutorService senders = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        for (int thread = 0; thread < 4; thread++) {
            int offset = thread * 1_000;
            running.add(senders.submit(() -> {
                int next = offset;
                while (sent.getAndAdd(500) < total) {
                    ArrayNode batch = MAPPER.createArrayNode();
                    for (int i = 0; i < 500; i++) {
                        batch.add(fresh(templates.get(next++ % templates.size())));
                    }
                    post(stack, batch, null);
                }
                return null;
            }));
        }
        for (Future<?> sender : running) {
            sender.get();
        }
        senders.shutdown();
    }

    private static ObjectNode fresh(ObjectNode template) {
        ObjectNode copy = template.deepCopy().put("event_id", UUID.randomUUID().toString()).put("timestamp", Instant.now().toString());
        return students > 0 ? copy.put("student_id", "bench-student-" + java.util.concurrent.ThreadLocalRandom.current().nextInt(students)) : copy;
    }

    /** Posts a batch; on 200, records when each event was accepted in {@code acceptedAt} (when given). */
    private static void post(LocalStack stack, ArrayNode batch, Map<String, Long> acceptedAt) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(stack.trackEndpoint()).header("Content-Type", "application/json")
                .header("Authorization", stack.authorization()).POST(HttpRequest.BodyPublishers.ofString(batch.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("ingest answered " + response.statusCode() + ": " + response.body());
        }
        if (acceptedAt != null) {
            long now = System.currentTimeMillis();
            batch.forEach(event -> acceptedAt.put(event.path("event_id").asText(), now));
        }
    }

    private static double consumeAll(String bootstrapServers, long total) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(StackSettings.TOPIC).stream()
                    .map(partition -> new TopicPartition(partition.topic(), partition.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long read = 0;
            long bytes = 0;
            long started = System.nanoTime();
            while (read < total) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofSeconds(1));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    bytes += record.value().length;
                }
                read += records.count();
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("  read %d records (%.0f MB) in %.1f s%n", read, bytes / 1e6, seconds);
            return read / seconds;
        }
    }

    /**
     * The backlog's rate and what it cost: events, seconds and CPU time of the streaming JVM and of the broker, from the
     * end of the job's first batch to its {@code total}-th record (by its own counter on /metrics).
     */
    private record Backlog(double events, double seconds, IngestBenchmark.Cpu cpu) {
        double eventsPerSecond() {
            return seconds > 0 ? events / seconds : events;
        }

        /** Cores the streaming JVM kept busy on average: below 2 here, the job leaves part of the machine idle. */
        double streamingCores() {
            return cpu.firstMicrosPer(1) / 1e6 / Math.max(seconds, 1e-9);
        }
    }

    private static Backlog awaitProcessed(LocalStack stack, long total, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long firstSeen = 0;
        double firstCount = 0;
        IngestBenchmark.Cpu cpu = null;
        while (System.nanoTime() < deadline) {
            stack.checkStreamingAlive();
            double processed = inputRows(stack);
            long now = System.nanoTime();
            if (processed > 0 && firstSeen == 0) {
                // The first batch's records are counted when it ends: time from there, and leave that batch out.
                firstSeen = now;
                firstCount = processed;
                cpu = IngestBenchmark.Cpu.of(stack.streamingPid(), stack.broker().process().pid());
            }
            if (processed >= total) {
                Backlog backlog = new Backlog(processed - firstCount, (now - firstSeen) / 1e9, cpu.since());
                long counted = Math.round(backlog.events());
                System.out.printf("  processed %.0f records; %d after the first batch in %.1f s; streaming JVM %.1f µs CPU per event"
                        + " (%.2f cores busy), broker %.1f µs per event%n", processed, counted, backlog.seconds(),
                        backlog.cpu().firstMicrosPer(counted), backlog.streamingCores(), backlog.cpu().secondMicrosPer(counted));
                return backlog;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the streaming job did not process " + total + " records in " + timeout);
    }

    private static double inputRows(LocalStack stack) {
        try {
            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(stack.metricsUrl())).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher matcher = INPUT_ROWS.matcher(metrics);
            return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
        }
        catch (Exception notUpYet) {
            return 0;
        }
    }

    /** Milliseconds from HTTP acceptance to arrival on the enriched topic, sorted: of the measured events and of the warm-up's. */
    private record Freshness(long[] measured, long[] warmup) {}

    /** Events at {@code rate} events/s for {@code warmup}, then for {@code duration}: the freshness of each. */
    private static Freshness freshness(LocalStack stack, List<ObjectNode> templates, int rate, Duration warmup, Duration duration) throws Exception {
        Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
        Map<String, Long> warmupAcceptedAt = new ConcurrentHashMap<>();
        Map<String, Long> visibleAt = new ConcurrentHashMap<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers());
        Thread reader = new Thread(() -> {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer())) {
                List<TopicPartition> partitions = consumer.partitionsFor("lms_clickstream_enriched").stream()
                        .map(partition -> new TopicPartition(partition.topic(), partition.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position);
                while (reading.get()) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.currentTimeMillis();
                        JsonNode event = MAPPER.readTree(record.value());
                        visibleAt.putIfAbsent(event.path("event_id").asText(), now);
                    }
                }
            }
            catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "enriched-reader");
        reader.start();
        Thread.sleep(2000);                                   // the reader is at the end of the topic before the first event
        int perTick = Math.max(1, rate / 20);                 // every 50 ms
        long tick = Duration.ofMillis(50).toNanos();
        long started = System.nanoTime();
        int next = 0;
        for (long at = started; at - started < warmup.toNanos() + duration.toNanos(); at += tick) {
            long wait = at - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            ArrayNode batch = MAPPER.createArrayNode();
            for (int i = 0; i < perTick; i++) {
                batch.add(fresh(templates.get(next++ % templates.size())));
            }
            post(stack, batch, at - started < warmup.toNanos() ? warmupAcceptedAt : acceptedAt);
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (!(visibleAt.keySet().containsAll(acceptedAt.keySet()) && visibleAt.keySet().containsAll(warmupAcceptedAt.keySet()))
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        reading.set(false);
        reader.join();
        long missing = java.util.stream.Stream.concat(acceptedAt.keySet().stream(), warmupAcceptedAt.keySet().stream())
                .filter(id -> !visibleAt.containsKey(id)).count();
        if (missing > 0) {
            throw new IllegalStateException(missing + " accepted events never reached silver within a minute");
        }
        return new Freshness(latencies(acceptedAt, visibleAt), latencies(warmupAcceptedAt, visibleAt));
    }

    private static long[] latencies(Map<String, Long> acceptedAt, Map<String, Long> visibleAt) {
        return acceptedAt.entrySet().stream().mapToLong(entry -> visibleAt.get(entry.getKey()) - entry.getValue()).sorted().toArray();
    }

    private static double percentile(long[] sorted, int percent) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(percent / 100.0 * sorted.length) - 1)];
    }

    private static long streamingPid(LocalStack stack) {
        return stack.streamingPid();
    }}
