package io.clickstream.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Real Apache Kafka in KRaft mode, started from this module's classpath: one node (broker and
 * controller in one JVM, data under {@code <work>/kafka}) or a cluster of several such nodes on
 * loopback (data under {@code <work>/kafka/node-N}), where topics get three replicas and
 * {@code min.insync.replicas=2}, as in production.
 */
public final class KafkaBroker implements AutoCloseable {
    /** Node ports: client port and controller port of each node, node 1 first. */
    public record Ports(int port, int controllerPort) {}

    private final List<ChildProcess> nodes;
    private final String bootstrapServers;

    private KafkaBroker(List<ChildProcess> nodes, String bootstrapServers) {
        this.nodes = nodes;
        this.bootstrapServers = bootstrapServers;
    }

    public static KafkaBroker start(Modules modules, Path workDir, String processMarker, int port, int controllerPort, int defaultPartitions)
            throws Exception {
        return start(modules, workDir, processMarker, List.of(new Ports(port, controllerPort)), defaultPartitions);
    }

    /**
     * The broker's heap and collector: a 512 MiB heap and the JVM's default collector (G1) unless {@code KAFKA_HEAP_OPTS}
     * or {@code KAFKA_JVM_PERFORMANCE_OPTS} say otherwise, as they do for Kafka's own start scripts. Those scripts'
     * defaults (1 GiB, G1 aiming at 20 ms pauses) paused the broker less often under ingest's single-event load but
     * cost the streaming job's freshness on 2 cores (docs/benchmarks.md), so the local stack keeps its own.
     */
    static List<String> jvmOptions(Map<String, String> environment) {
        String heap = environment.getOrDefault("KAFKA_HEAP_OPTS", "");
        String options = (heap.isBlank() ? "-Xmx512m" : heap) + " " + environment.getOrDefault("KAFKA_JVM_PERFORMANCE_OPTS", "");
        return List.of(options.trim().split("\\s+"));
    }

    public static KafkaBroker start(Modules modules, Path workDir, String processMarker, List<Ports> ports, int defaultPartitions)
            throws Exception {
        boolean cluster = ports.size() > 1;
        int replicas = Math.min(3, ports.size());
        String voters = java.util.stream.IntStream.range(0, ports.size())
                .mapToObj(i -> (i + 1) + "@127.0.0.1:" + ports.get(i).controllerPort()).collect(java.util.stream.Collectors.joining(","));
        String classpath = modules.classpath("local-stack");
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path base = workDir.resolve("kafka");
        Files.createDirectories(base);
        List<String> jvm = new java.util.ArrayList<>(List.of(javaBinary, processMarker));
        jvm.addAll(jvmOptions(System.getenv()));
        jvm.addAll(List.of("-Dlog4j2.configurationFile=" + writeLogConfig(base), "-cp", classpath));
        String clusterId = null;
        List<ChildProcess> started = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < ports.size(); i++) {
                Ports node = ports.get(i);
                Path dir = cluster ? base.resolve("node-" + (i + 1)) : base;
                Path data = dir.resolve("data");
                Files.createDirectories(dir);
                Path properties = dir.resolve("server.properties");
                Files.writeString(properties, String.join("\n",
                        "process.roles=broker,controller",
                        "node.id=" + (i + 1),
                        cluster ? "controller.quorum.voters=" + voters : "controller.quorum.bootstrap.servers=127.0.0.1:" + node.controllerPort(),
                        "listeners=PLAINTEXT://127.0.0.1:" + node.port() + ",CONTROLLER://127.0.0.1:" + node.controllerPort(),
                        "advertised.listeners=PLAINTEXT://127.0.0.1:" + node.port(),
                        "controller.listener.names=CONTROLLER",
                        "inter.broker.listener.name=PLAINTEXT",
                        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                        "log.dirs=" + data.toAbsolutePath(),
                        "num.partitions=" + defaultPartitions,
                        // Internal topics cannot have more replicas than nodes.
                        "default.replication.factor=" + replicas,
                        "min.insync.replicas=" + Math.max(1, replicas - 1),
                        "offsets.topic.replication.factor=" + replicas,
                        "transaction.state.log.replication.factor=" + replicas,
                        "transaction.state.log.min.isr=" + Math.max(1, replicas - 1),
                        "share.coordinator.state.topic.replication.factor=" + replicas,
                        "share.coordinator.state.topic.min.isr=" + Math.max(1, replicas - 1),
                        "unclean.leader.election.enable=false",
                        // On loopback a lost node is noticed in seconds, not the default 9 s.
                        "broker.session.timeout.ms=3000",
                        "broker.heartbeat.interval.ms=500",
                        // A failed follower leaves the in-sync replicas after this (ingest's in-doubt settle time is longer).
                        "replica.lag.time.max.ms=10000",
                        "group.initial.rebalance.delay.ms=0",
                        // Topics are created on purpose, with their partition count, never by a typo.
                        "auto.create.topics.enable=false",
                        "log.retention.hours=168",
                        ""));
                Path log = workDir.resolve("logs").resolve(cluster ? "kafka-" + (i + 1) + ".log" : "kafka.log");
                if (!Files.exists(data.resolve("meta.properties"))) {
                    clusterId = clusterId != null ? clusterId : randomClusterId(jvm, dir);
                    List<String> format = new java.util.ArrayList<>(jvm);
                    format.addAll(List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", properties.toString()));
                    if (!cluster) {
                        format.add("--standalone");
                    }
                    ChildProcess formatter = ChildProcess.start("kafka-format", format, Map.of(), dir.toFile(), log);
                    int exit = formatter.awaitExit(Duration.ofMinutes(2));
                    if (exit != 0) {
                        throw new IllegalStateException("formatting Kafka storage failed (exit " + exit + ")\n" + formatter.tail());
                    }
                }
                List<String> server = new java.util.ArrayList<>(jvm);
                server.addAll(List.of("kafka.Kafka", properties.toString()));
                started.add(ChildProcess.start(cluster ? "kafka-" + (i + 1) : "kafka", server, Map.of(), dir.toFile(), log));
            }
            String bootstrap = ports.stream().map(node -> "127.0.0.1:" + node.port()).collect(java.util.stream.Collectors.joining(","));
            KafkaBroker broker = new KafkaBroker(List.copyOf(started), bootstrap);
            started.get(0).awaitReady("accepting connections on " + bootstrap, Duration.ofMinutes(2), () -> broker.answers(ports.size()));
            return broker;
        }
        catch (Exception e) {
            started.forEach(ChildProcess::close);
            throw e;
        }
    }

    /** Kills node {@code index} (from 1) with SIGKILL, as a crash would; the others keep running. */
    public void kill(int index) throws InterruptedException {
        nodes.get(index - 1).kill();
    }

    public int nodeCount() {
        return nodes.size();
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The first node's process (its log and state); a single-node broker has only this one. */
    public ChildProcess process() {
        return nodes.get(0);
    }

    /** Creates the topics that do not exist yet; existing ones keep their partitions. */
    public void createTopics(Map<String, Integer> partitionsByTopic) throws Exception {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (Map.Entry<String, Integer> topic : partitionsByTopic.entrySet()) {
                if (existing.contains(topic.getKey())) {
                    continue;
                }
                try {
                    // Replication factor and min.insync.replicas: the brokers' defaults (3 and 2 on a cluster).
                    admin.createTopics(List.of(new NewTopic(topic.getKey(), java.util.Optional.of(topic.getValue()), java.util.Optional.empty())))
                            .all().get(30, TimeUnit.SECONDS);
                }
                catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
    }

    /** True when {@code expected} brokers are registered with the cluster. */
    private boolean answers(int expected) {
        try (Admin admin = admin()) {
            return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= expected;
        }
        catch (Exception e) {
            return false;
        }
    }

    private static String randomClusterId(List<String> jvm, Path dir) throws Exception {
        List<String> command = new java.util.ArrayList<>(jvm);
        command.addAll(List.of("kafka.tools.StorageTool", "random-uuid"));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(false).start();
        String output = new String(process.getInputStream().readAllBytes()).trim();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || output.isEmpty()) {
            throw new IllegalStateException("kafka StorageTool random-uuid failed: " + output
                    + new String(process.getErrorStream().readAllBytes()));
        }
        String[] lines = output.split("\n");
        return lines[lines.length - 1].trim();
    }

    private static Path writeLogConfig(Path dir) throws IOException {
        Path config = dir.resolve("log4j2.properties");
        Properties properties = new Properties();
        properties.setProperty("rootLogger.level", "info");
        properties.setProperty("rootLogger.appenderRef.stdout.ref", "console");
        properties.setProperty("appender.console.type", "Console");
        properties.setProperty("appender.console.name", "console");
        properties.setProperty("appender.console.layout.type", "PatternLayout");
        properties.setProperty("appender.console.layout.pattern", "[%d] %p %m (%c)%n");
        properties.setProperty("logger.kafka.name", "kafka");
        properties.setProperty("logger.kafka.level", "warn");
        properties.setProperty("logger.apache.name", "org.apache.kafka");
        properties.setProperty("logger.apache.level", "warn");
        try (var out = Files.newOutputStream(config)) {
            properties.store(out, "written by the local stack");
        }
        return config;
    }

    @Override
    public void close() {
        nodes.forEach(ChildProcess::close);
    }
}
