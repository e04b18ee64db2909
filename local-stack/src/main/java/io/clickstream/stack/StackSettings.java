package io.clickstream.stack;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * Where the local stack keeps its data and which loopback ports it uses. Defaults: Kafka 9092
 * (controller 9093), ingest 8080, Trino 8081, the streaming job's metrics 9464, work directory
 * {@code <home>/work}.
 */
public record StackSettings(Path home, Path workDir, int kafkaPort, int kafkaControllerPort, int ingestPort, int trinoPort,
        int topicPartitions, int metricsPort) {
    /** The default metrics port; tests that run several stacks pass their own. */
    public StackSettings(Path home, Path workDir, int kafkaPort, int kafkaControllerPort, int ingestPort, int trinoPort, int topicPartitions) {
        this(home, workDir, kafkaPort, kafkaControllerPort, ingestPort, trinoPort, topicPartitions, 9464);
    }

    public static final String TOPIC = "lms_clickstream";
    public static final String DEAD_LETTER_TOPIC = "lms_clickstream_dlq";
    private static final String KEY_VARIABLE = "CLICKSTREAM_PSEUDONYMISATION_KEY";

    public StackSettings {
        requireNonNull(home, "home is null");
        requireNonNull(workDir, "workDir is null");
        if (topicPartitions < 1) {
            throw new IllegalArgumentException("topic partitions must be at least 1, got " + topicPartitions);
        }
    }

    /** Defaults, overridden by CLICKSTREAM_WORK_DIR, KAFKA_PORT, INGEST_PORT, TRINO_PORT, KAFKA_PARTITIONS, CLICKSTREAM_METRICS_PORT. */
    public static StackSettings fromEnvironment(Path home) {
        Map<String, String> env = System.getenv();
        int kafkaPort = Integer.parseInt(env.getOrDefault("KAFKA_PORT", "9092"));
        return new StackSettings(home,
                Path.of(env.getOrDefault("CLICKSTREAM_WORK_DIR", home.resolve("work").toString())).toAbsolutePath(),
                kafkaPort,
                Integer.parseInt(env.getOrDefault("KAFKA_CONTROLLER_PORT", String.valueOf(kafkaPort + 1))),
                Integer.parseInt(env.getOrDefault("INGEST_PORT", "8080")),
                Integer.parseInt(env.getOrDefault("TRINO_PORT", "8081")),
                Integer.parseInt(env.getOrDefault("KAFKA_PARTITIONS", "3")),
                Integer.parseInt(env.getOrDefault("CLICKSTREAM_METRICS_PORT", "9464")));
    }

    /** Every process the stack starts carries this JVM flag, so leftovers of a killed run can be found. */
    public String processMarker() {
        return "-Dclickstream.stack=" + workDir;
    }

    public Path lakeRoot() {
        return workDir.resolve("lake");
    }

    /**
     * The HMAC key from the environment or, for a local stack only, a random key generated once
     * and kept in the work directory (owner-readable only), so pseudonyms stay stable across runs.
     */
    public String pseudonymisationKey() throws IOException {
        return secret(KEY_VARIABLE, "pseudonymisation.key", 48);
    }

    /** The write key the local stack's clients send, from CLICKSTREAM_WRITE_KEY or generated like the HMAC key. */
    public String writeKey() throws IOException {
        return secret("CLICKSTREAM_WRITE_KEY", "write.key", 24);
    }

    private String secret(String variable, String fileName, int randomBytes) throws IOException {
        String fromEnvironment = System.getenv(variable);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment.trim();
        }
        Path file = workDir.resolve("secrets").resolve(fileName);
        if (!Files.exists(file)) {
            Files.createDirectories(file.getParent());
            byte[] key = new byte[randomBytes];
            new SecureRandom().nextBytes(key);
            Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(key));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return Files.readString(file).trim();
    }
}
