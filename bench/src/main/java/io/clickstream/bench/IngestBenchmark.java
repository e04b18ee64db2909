package io.clickstream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.stack.ChildProcess;
import io.clickstream.stack.Directories;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.Modules;
import io.clickstream.stack.StackSettings;
import io.clickstream.stack.TrafficGenerator;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Ingest throughput and latency on this machine, against the raw Kafka producer on the same broker.
 *
 * <p>Starts a real broker and the ingest service as their own processes (nothing else), then:
 * (1) the baselines: a {@code KafkaProducer} with ingest's settings (acks=all, idempotent, lz4,
 * linger 5 ms, its batch size) sending, as fast as it can, the same events as the clients post them
 * (keyed by student id) and, second, the records ingest published for them (read back from the
 * topic: pseudonym key, the collector's fields); (2) {@code wrk} posting batches of 100
 * events (64 different bodies in turn); (2b) the same against {@code HttpFloor}, the least a collector that answers
 * after the broker's acknowledgement does (ingest's Jetty and producer settings, splitting the array and sending each
 * event as posted: no checks, pseudonyms or collector fields), in a JVM of its own; (3) {@code wrk} posting single events with keep-alive, as fast as its connections
 * go (the machine saturated: the latency is the connections' queue) and (4) at a steady offered rate (10 000 requests/s
 * by default: issue #3's target, where its p99 is measured). {@code wrk} is the load generator process; its Lua hooks
 * pace the requests and print exact p50/p95/p99.
 *
 * <p>How to run: {@code bench/ingest [--seconds N] [--warmup N] [--batch-connections N] [--single-connections N]
 * [--single-rate N]} (each workload runs {@code warmup} seconds first, unmeasured; {@code --single-rate 0} leaves out
 * the paced run). Prints a table and the ratio of batched ingest to the raw producer.
 */
public final class IngestBenchmark {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Distinct batch bodies posted in turn. */
    private static final int BATCH_BODIES = 64;
    /**
     * Connections of the paced single-event run: at 10 000 requests/s some 50-70 are waiting for an answer, and a stall
     * of 20 ms holds 200; with fewer, a start due during a stall would find no connection free.
     */
    private static final int PACED_CONNECTIONS = 256;

    record WrkResult(double requestsPerSecond, long p50Micros, long p95Micros, long p99Micros, long requests, long errors) {}

    public static void main(String[] args) throws Exception {
        int seconds = 20;
        int warmup = 20;
        int batchConnections = 16;
        int singleConnections = 128;
        int singleRate = 10_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seconds")) {
                seconds = Integer.parseInt(args[++i]);
            }
            else if (args[i].equals("--warmup")) {
                warmup = Integer.parseInt(args[++i]);
            }
            else if (args[i].equals("--batch-connections")) {
                batchConnections = Integer.parseInt(args[++i]);
            }
            else if (args[i].equals("--single-connections")) {
                singleConnections = Integer.parseInt(args[++i]);
            }
            else if (args[i].equals("--single-rate")) {
                singleRate = Integer.parseInt(args[++i]);
            }
            else {
                throw new IllegalArgumentException("usage: bench/ingest [--seconds N] [--warmup N] [--batch-connections N] [--single-connections N] [--single-rate N]");
            }
        }
        Path home = Path.of(System.getProperty("clickstream.home", ".")).toAbsolutePath().normalize();
        Path work = home.resolve("work").resolve("bench");
        Directories.deleteRecursively(work);
        StackSettings defaults = StackSettings.fromEnvironment(home);
        StackSettings settings = new StackSettings(home, work, 19092, 19093, 18080, 18081, defaults.topicPartitions());

        // Batches rotate over many bodies, each of a few students' sessions as a tracker would send them: ingest keys
        // records by pseudonym (its HMAC key is new in every run), so the same one body every time would put a few
        // students' records on the same few partitions, a spread that changed from run to run with the key.
        List<ObjectNode> events = new TrafficGenerator(null, null, 500, 42, Clock.systemUTC()).validEvents(100 * BATCH_BODIES);
        List<Path> batchBodies = new ArrayList<>();
        Files.createDirectories(work);
        for (int body = 0; body < BATCH_BODIES; body++) {
            ArrayNode batch = MAPPER.createArrayNode();
            events.subList(body * 100, body * 100 + 100).forEach(batch::add);
            batchBodies.add(work.resolve("batch-100-" + (body + 1) + ".json"));
            Files.writeString(batchBodies.get(body), batch.toString());
        }
        // The body bench/ingest-path times.
        Files.copy(batchBodies.get(0), work.resolve("batch-100.json"));
        Path singleBody = work.resolve("single.json");
        Files.writeString(singleBody, events.get(0).toString());

        try (LocalStack stack = LocalStack.start(settings, message -> System.out.println("  " + message), false)) {
            // A collector runs for days: measure it, and the baseline, after the JIT compiled their hot paths
            // (on 2 cores, compiling the first minute's code takes a whole core).
            System.out.printf("  warming up: %d s of each workload%n", warmup);
            wrk(stack, batchBodies, batchConnections, warmup, 0);
            // The topic now begins with what ingest published for the batch bodies.
            Records clientEvents = Records.of(events);
            Records published = Records.published(stack.broker().bootstrapServers(), events.size());
            rawProducer(stack.broker().bootstrapServers(), clientEvents, Duration.ofSeconds(Math.max(1, warmup / 2)));
            wrk(stack, List.of(singleBody), singleConnections, warmup, 0);

            long self = ProcessHandle.current().pid();
            long brokerPid = stack.broker().process().pid();
            long ingestPid = stack.ingestPid();

            System.out.printf("  raw KafkaProducer, the clients' events, %d s%n", seconds);
            Cpu rawCpu = Cpu.of(self, brokerPid);
            double rawEventsPerSecond = rawProducer(stack.broker().bootstrapServers(), clientEvents, Duration.ofSeconds(seconds));
            rawCpu = rawCpu.since();
            System.out.printf("  raw KafkaProducer, ingest's records, %d s%n", seconds);
            Cpu publishedCpu = Cpu.of(self, brokerPid);
            double publishedEventsPerSecond = rawProducer(stack.broker().bootstrapServers(), published, Duration.ofSeconds(seconds));
            publishedCpu = publishedCpu.since();
            System.out.printf("  wrk, batches of 100 events, %d s%n", seconds);
            Cpu batchedCpu = Cpu.of(ingestPid, brokerPid);
            WrkResult batched = wrk(stack, batchBodies, batchConnections, seconds, 0);
            batchedCpu = batchedCpu.since();
            System.out.printf("  HTTP floor (split and forward only, its own JVM), batches of 100 events, %d s after %d s of warm-up%n", seconds,
                    warmup);
            Floor floor = httpFloor(stack, home, batchBodies, batchConnections, warmup, seconds);
            System.out.printf("  wrk, single events with keep-alive, %d s%n", seconds);
            Cpu singleCpu = Cpu.of(ingestPid, brokerPid);
            WrkResult single = wrk(stack, List.of(singleBody), singleConnections, seconds, 0);
            singleCpu = singleCpu.since();
            WrkResult paced = null;
            Cpu pacedCpu = null;
            if (singleRate > 0) {
                System.out.printf("  wrk, single events with keep-alive at %d requests/s, %d s%n", singleRate, seconds);
                pacedCpu = Cpu.of(ingestPid, brokerPid);
                paced = wrk(stack, List.of(singleBody), PACED_CONNECTIONS, seconds, singleRate);
                pacedCpu = pacedCpu.since();
            }
            Map<String, Long> memory = memory(stack.ingestPid());

            System.out.println();
            System.out.printf("machine: %d cores, %s; ingest and broker as local processes, wrk with 1 thread%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"));
            System.out.println("| run | requests/s | events/s | p50 ms | p95 ms | p99 ms | non-2xx | producer CPU µs/event | broker CPU µs/event |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            long rawEvents = Math.round(rawEventsPerSecond * seconds);
            System.out.printf("| raw KafkaProducer, the clients' events (baseline) | - | %.0f | - | - | - | - | %.1f | %.1f |%n",
                    rawEventsPerSecond, rawCpu.firstMicrosPer(rawEvents), rawCpu.secondMicrosPer(rawEvents));
            long publishedEvents = Math.round(publishedEventsPerSecond * seconds);
            System.out.printf("| raw KafkaProducer, ingest's records (%d B, %d B key on average) | - | %.0f | - | - | - | - | %.1f | %.1f |%n",
                    published.averageValueBytes(), published.averageKeyBytes(), publishedEventsPerSecond,
                    publishedCpu.firstMicrosPer(publishedEvents), publishedCpu.secondMicrosPer(publishedEvents));
            row("ingest, batches of 100 (" + batchConnections + " connections)", batched, 100, batchedCpu);
            row("HTTP floor: Jetty + the producer, split and forward only, batches of 100", floor.result(), 100, floor.cpu());
            row("ingest, single events (" + singleConnections + " connections, as fast as they go)", single, 1, singleCpu);
            if (paced != null) {
                row("ingest, single events (" + PACED_CONNECTIONS + " connections, " + singleRate + " requests/s offered)", paced, 1, pacedCpu);
            }
            double ratio = batched.requestsPerSecond() * 100 / rawEventsPerSecond;
            System.out.printf("%nbatched ingest / raw producer: %.0f %% (target >= 60 %%); against the raw producer sending ingest's records: %.0f %%%n",
                    ratio * 100, batched.requestsPerSecond() * 100 / publishedEventsPerSecond * 100);
            double floorEventsPerSecond = floor.result().requestsPerSecond() * 100;
            System.out.printf("HTTP floor / raw producer (the clients' events): %.0f %%; batched ingest / HTTP floor: %.0f %%%n",
                    floorEventsPerSecond * 100 / rawEventsPerSecond, batched.requestsPerSecond() * 100 * 100 / floorEventsPerSecond);
            System.out.printf("single events, as fast as %d connections go: %.0f requests/s (target >= 10000), p99 %.1f ms%n",
                    singleConnections, single.requestsPerSecond(), single.p99Micros() / 1000.0);
            if (paced != null) {
                System.out.printf("single events at %d requests/s offered: %.0f requests/s answered, p99 %.1f ms (target <= 20)%n",
                        singleRate, paced.requestsPerSecond(), paced.p99Micros() / 1000.0);
            }
            System.out.printf("ingest memory: RSS %d MB, peak RSS %d MB (-Xmx512m)%n", memory.get("VmRSS") / 1024, memory.get("VmHWM") / 1024);
        }
    }

    /** The HTTP floor's batched run and the CPU time of its JVM and of the broker over it. */
    private record Floor(WrkResult result, Cpu cpu) {}

    /**
     * Runs {@code HttpFloor} (ingest's module: Jetty and the producer, splitting and forwarding only) as its own JVM with
     * ingest's heap and collector, and {@code wrk} posting the batch bodies to it: {@code warmup} seconds, then
     * {@code seconds} measured.
     */
    private static Floor httpFloor(LocalStack stack, Path home, List<Path> batchBodies, int connections, int warmup, int seconds)
            throws Exception {
        int port = stack.settings().ingestPort() + 10;
        List<String> jvm = List.of(stack.settings().processMarker(), "-Xmx512m", "-XX:+UseParallelGC");
        try (ChildProcess floor = stack.startJob("http-floor", new Modules(home).javaCommand("ingest", jvm, "io.clickstream.ingest.bench.HttpFloor",
                List.of(String.valueOf(port))), Map.of("KAFKA_BOOTSTRAP_SERVERS", stack.broker().bootstrapServers()))) {
            floor.awaitReady("the HTTP floor", Duration.ofMinutes(1), () -> Files.readString(floor.log()).contains("listening"));
            URI endpoint = URI.create("http://127.0.0.1:" + port + "/v1/track");
            wrk(endpoint, stack.authorization(), batchBodies, connections, warmup, 0);
            Cpu cpu = Cpu.of(floor.pid(), stack.broker().process().pid());
            WrkResult result = wrk(endpoint, stack.authorization(), batchBodies, connections, seconds, 0);
            return new Floor(result, cpu.since());
        }
    }

    private static void row(String name, WrkResult result, int eventsPerRequest, Cpu cpu) {
        long events = result.requests() * eventsPerRequest;
        System.out.printf("| %s | %.0f | %.0f | %.2f | %.2f | %.2f | %d | %.1f | %.1f |%n", name, result.requestsPerSecond(),
                result.requestsPerSecond() * eventsPerRequest, result.p50Micros() / 1000.0, result.p95Micros() / 1000.0,
                result.p99Micros() / 1000.0, result.errors(), cpu.firstMicrosPer(events), cpu.secondMicrosPer(events));
    }

    /**
     * CPU time (user + system) two processes spent, from /proc: the producing side (ingest, or this
     * JVM for the baseline) and the broker. Per event, it says what each side costs per core,
     * whatever else shares the machine.
     */
    record Cpu(long firstPid, long secondPid, long firstTicks, long secondTicks) {
        private static final double MICROS_PER_TICK = 1e6 / 100; // USER_HZ is 100 on Linux

        static Cpu of(long firstPid, long secondPid) throws IOException {
            return new Cpu(firstPid, secondPid, ticks(firstPid), ticks(secondPid));
        }

        Cpu since() throws IOException {
            return new Cpu(firstPid, secondPid, ticks(firstPid) - firstTicks, ticks(secondPid) - secondTicks);
        }

        double firstMicrosPer(long events) {
            return firstTicks * MICROS_PER_TICK / Math.max(1, events);
        }

        double secondMicrosPer(long events) {
            return secondTicks * MICROS_PER_TICK / Math.max(1, events);
        }

        private static long ticks(long pid) throws IOException {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        }
    }

    /** Keys and values for the baseline producer, sent in turn. */
    record Records(List<String> keys, List<byte[]> values) {
        /** The events as the clients post them, keyed by student id. */
        static Records of(List<ObjectNode> events) {
            List<String> keys = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            for (ObjectNode event : events) {
                keys.add(event.get("student_id").asText());
                values.add(event.toString().getBytes(StandardCharsets.UTF_8));
            }
            return new Records(keys, values);
        }

        /** The first {@code count} records of the topic, as ingest published them. */
        static Records published(String bootstrapServers, int count) {
            List<String> keys = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> partitions = consumer.partitionsFor(StackSettings.TOPIC).stream()
                        .map(partition -> new TopicPartition(partition.topic(), partition.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                while (keys.size() < count) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("read " + keys.size() + " of " + count + " published records in a minute");
                    }
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        if (keys.size() < count) {
                            keys.add(record.key());
                            values.add(record.value());
                        }
                    }
                }
            }
            return new Records(keys, values);
        }

        long averageValueBytes() {
            return Math.round(values.stream().mapToInt(value -> value.length).average().orElse(0));
        }

        long averageKeyBytes() {
            return Math.round(keys.stream().mapToInt(String::length).average().orElse(0));
        }
    }

    /** The records in turn, with ingest's producer settings, as fast as the producer takes them. */
    static double rawProducer(String bootstrapServers, Records records, Duration duration) throws InterruptedException {
        List<String> keys = records.keys();
        List<byte[]> values = records.values();
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // Ingest's batch size: its default (ingest.kafka.batch-bytes in ingest's reference.conf), or what
        // INGEST_KAFKA_BATCH_BYTES sets for both (the ingest process inherits this environment).
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.parseInt(System.getenv().getOrDefault("INGEST_KAFKA_BATCH_BYTES", "16384")));
        AtomicLong acknowledged = new AtomicLong();
        long started = System.nanoTime();
        long end = started + duration.toNanos();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            int i = 0;
            while (System.nanoTime() < end) {
                producer.send(new ProducerRecord<>(StackSettings.TOPIC, keys.get(i % keys.size()), values.get(i % values.size())),
                        (metadata, error) -> {
                            if (error == null) {
                                acknowledged.incrementAndGet();
                            }
                        });
                i++;
            }
            producer.flush();
        }
        return acknowledged.get() / ((System.nanoTime() - started) / 1e9);
    }

    /**
     * {@code wrk} posting {@code bodies} (one after the other, round robin) over {@code connections} for {@code seconds}:
     * each connection sends its next request as soon as it has the answer, or, with a {@code rate} above 0, the
     * requests start on a schedule of {@code rate} per second (Lua's {@code delay} hook hands each free connection the
     * next start time). A start no connection was free for happens as soon as one is (up to a second behind the
     * schedule), and its latency counts from then: a wait for a connection is not in the percentiles (wrk2 would
     * count it; Debian has no wrk2), which is why the paced run has many more connections than requests in flight.
     */
    static WrkResult wrk(LocalStack stack, List<Path> bodies, int connections, int seconds, int rate) throws Exception {
        return wrk(stack.trackEndpoint(), stack.authorization(), bodies, connections, seconds, rate);
    }

    /** As {@link #wrk(LocalStack, List, int, int, int)}, against {@code endpoint} with {@code authorization}. */
    static WrkResult wrk(URI endpoint, String authorization, List<Path> bodies, int connections, int seconds, int rate) throws Exception {
        Path script = bodies.get(0).resolveSibling(bodies.get(0).getFileName() + ".lua");
        List<String> lua = new ArrayList<>(List.of(
                "wrk.method = \"POST\"",
                "wrk.headers[\"Content-Type\"] = \"application/json\"",
                "wrk.headers[\"Authorization\"] = \"" + authorization + "\"",
                "bodies = {}"));
        for (Path body : bodies) {
            lua.add("do local file = io.open(\"" + body.toAbsolutePath() + "\", \"r\"); bodies[#bodies + 1] = file:read(\"*a\"); file:close() end");
        }
        if (bodies.size() == 1) {
            lua.add("wrk.body = bodies[1]");
        }
        else {
            // A request function costs wrk a little per request; only where there are bodies to rotate.
            lua.addAll(List.of(
                    "counter = 0",
                    "request = function()",
                    "  counter = counter + 1",
                    "  return wrk.format(nil, nil, nil, bodies[counter % #bodies + 1])",
                    "end"));
        }
        if (rate > 0) {
            // wrk's Lua is LuaJIT: its FFI reads the monotonic clock (CLOCK_MONOTONIC = 1) in milliseconds.
            lua.addAll(List.of(
                    "local ffi = require(\"ffi\")",
                    "ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]",
                    "local clock = ffi.new(\"bench_timespec\")",
                    "local function now() ffi.C.clock_gettime(1, clock); return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6 end",
                    "local interval = 1000 / " + rate,
                    "local due = nil",
                    "delay = function()",
                    "  local current = now()",
                    "  if due == nil then due = current end",
                    "  due = math.max(due + interval, current - 1000)",
                    "  return math.max(0, math.floor(due - current))",
                    "end"));
        }
        Files.writeString(script, String.join("\n", lua) + "\n" + String.join("\n",
                "done = function(summary, latency, requests)",
                "  io.write(string.format(\"RESULT %d %d %d %d %d %d\\n\", summary.requests, summary.duration,",
                "    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.errors.status))",
                "end",
                ""));
        Process process = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--timeout", "10s",
                "-s", script.toString(), endpoint.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(seconds + 60L, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("wrk failed:\n" + output);
        }
        String result = output.lines().filter(line -> line.startsWith("RESULT ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no result from wrk:\n" + output));
        String[] f = result.split(" ");
        long requests = Long.parseLong(f[1]);
        double durationSeconds = Long.parseLong(f[2]) / 1e6;
        return new WrkResult(requests / durationSeconds, Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]), requests,
                Long.parseLong(f[6]));
    }

    /** VmRSS and VmHWM (peak) of a process, in kB. */
    static Map<String, Long> memory(long pid) throws IOException {
        Map<String, Long> kilobytes = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            String[] parts = line.split("\\s+");
            if (parts[0].equals("VmRSS:") || parts[0].equals("VmHWM:")) {
                kilobytes.put(parts[0].substring(0, parts[0].length() - 1), Long.parseLong(parts[1]));
            }
        }
        return kilobytes;
    }
}
