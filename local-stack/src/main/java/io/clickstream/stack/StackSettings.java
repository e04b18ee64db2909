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
 * (controller 9093), ingest 8080, Trino 8081, work directory {@code <home>/work}.
 */
public record StackSettings(Path home, Path workDir, int kafkaPort, int kafkaControllerPort, int ingestPort, int trinoPort,
        int topicPartitions) {
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

    /** Defaults, overridden by CLICKSTREAM_WORK_DIR, KAFKA_PORT, INGEST_PORT, TRINO_PORT, KAFKA_PARTITIONS. */
    public static StackSettings fromEnvironment(Path home) {
        Map<String, String> env = System.getenv();
        int kafkaPort = Integer.parseInt(env.getOrDefault("KAFKA_PORT", "9092"));
        return new StackSettings(home,
                Path.of(env.getOrDefault("CLICKSTREAM_WORK_DIR", home.resolve("work").toString())).toAbsolutePath(),
                kafkaPort,
                Integer.parseInt(env.getOrDefault("KAFKA_CONTROLLER_PORT", String.valueOf(kafkaPort + 1))),
                Integer.parseInt(env.getOrDefault("INGEST_PORT", "8080")),
                Integer.parseInt(env.getOrDefault("TRINO_PORT", "8081")),
                Integer.parseInt(env.getOrDefault("KAFKA_PARTITIONS", "3")));
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
        String fromEnvironment = System.getenv(KEY_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        Path keyFile = workDir.resolve("secrets").resolve("pseudonymisation.key");
        if (!Files.exists(keyFile)) {
            Files.createDirectories(keyFile.getParent());
            byte[] key = new byte[48];
            new SecureRandom().nextBytes(key);
            Files.writeString(keyFile, Base64.getEncoder().encodeToString(key));
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        }
        return Files.readString(keyFile).trim();
    }
}
