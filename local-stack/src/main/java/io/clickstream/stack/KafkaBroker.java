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
 * A real single-node Apache Kafka broker in KRaft mode (broker and controller in one JVM),
 * started from this module's classpath. Data lives under {@code <work>/kafka}.
 */
public final class KafkaBroker implements AutoCloseable {
    private final ChildProcess process;
    private final String bootstrapServers;

    private KafkaBroker(ChildProcess process, String bootstrapServers) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    public static KafkaBroker start(Modules modules, Path workDir, String processMarker, int port, int controllerPort, int defaultPartitions)
            throws Exception {
        Path dir = workDir.resolve("kafka");
        Path data = dir.resolve("data");
        Files.createDirectories(dir);
        Path properties = dir.resolve("server.properties");
        Files.writeString(properties, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + data.toAbsolutePath(),
                "num.partitions=" + defaultPartitions,
                // One node: internal topics cannot have more replicas than that.
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                // Topics are created on purpose, with their partition count, never by a typo.
                "auto.create.topics.enable=false",
                "log.retention.hours=168",
                ""));
        String classpath = modules.classpath("local-stack");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> jvm = List.of(java, processMarker, "-Xmx512m", "-Dlog4j2.configurationFile=" + writeLogConfig(dir), "-cp", classpath);
        Path log = workDir.resolve("logs").resolve("kafka.log");
        if (!Files.exists(data.resolve("meta.properties"))) {
            List<String> format = new java.util.ArrayList<>(jvm);
            format.addAll(List.of("kafka.tools.StorageTool", "format", "-t", randomClusterId(jvm, dir),
                    "-c", properties.toString(), "--standalone"));
            ChildProcess formatter = ChildProcess.start("kafka-format", format, Map.of(), dir.toFile(), log);
            int exit = formatter.awaitExit(Duration.ofMinutes(2));
            if (exit != 0) {
                throw new IllegalStateException("formatting Kafka storage failed (exit " + exit + ")\n" + formatter.tail());
            }
        }
        List<String> server = new java.util.ArrayList<>(jvm);
        server.addAll(List.of("kafka.Kafka", properties.toString()));
        ChildProcess process = ChildProcess.start("kafka", server, Map.of(), dir.toFile(), log);
        KafkaBroker broker = new KafkaBroker(process, "127.0.0.1:" + port);
        try {
            process.awaitReady("accepting connections on port " + port, Duration.ofMinutes(2), broker::answers);
        }
        catch (Exception e) {
            process.close();
            throw e;
        }
        return broker;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public ChildProcess process() {
        return process;
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
                    admin.createTopics(List.of(new NewTopic(topic.getKey(), topic.getValue(), (short) 1))).all().get(30, TimeUnit.SECONDS);
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

    private boolean answers() {
        try (Admin admin = admin()) {
            return !admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
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
        process.close();
    }
}
