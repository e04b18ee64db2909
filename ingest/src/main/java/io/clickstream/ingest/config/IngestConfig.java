package io.clickstream.ingest.config;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.clickstream.schema.Pseudonymiser;
import java.io.File;
import java.time.Duration;

/** All settings of the ingest service, read once at start-up from {@code reference.conf} and {@code --config FILE}. */
public record IngestConfig(Http http, Auth auth, Kafka kafka, Spool spool, Privacy privacy, Validation validation, Live live, Demo demo) {
    public IngestConfig {
        requireNonNull(live, "live is null");
        requireNonNull(demo, "demo is null");
        if (!demo.writeKeyName().isEmpty() && auth.writeKeys().stream().noneMatch(key -> key.name().equals(demo.writeKeyName()))) {
            throw new IllegalArgumentException("ingest.demo.write-key-name is '" + demo.writeKeyName()
                    + "', which is not the name of any key in ingest.auth.write-keys");
        }
        requireNonNull(spool, "spool is null");
        requireNonNull(auth, "auth is null");
        requireNonNull(http, "http is null");
        requireNonNull(kafka, "kafka is null");
        requireNonNull(privacy, "privacy is null");
        requireNonNull(validation, "validation is null");
    }

    /**
     * {@code corsOrigins}: browser origins allowed to call across origins; {@code trustedProxies}: the load balancers and
     * proxies whose forwarding header names the client; {@code drainTimeout}: on shutdown, how long requests in flight may
     * take to be answered.
     */
    public record Http(String host, int port, int maxBodyBytes, int maxBatchEvents, AllowedOrigins corsOrigins, TrustedProxies trustedProxies,
            Duration drainTimeout) {
        public Http {
            requireNonNull(drainTimeout, "drainTimeout is null");
            requireNonNull(host, "host is null");
            requireNonNull(corsOrigins, "corsOrigins is null");
            requireNonNull(trustedProxies, "trustedProxies is null");
            checkRange("ingest.http.port", port, 0, 65535);
            checkRange("ingest.http.max-body-bytes", maxBodyBytes, 1024, 64 * 1024 * 1024);
            checkRange("ingest.http.max-batch-events", maxBatchEvents, 1, 100_000);
        }
    }

    public record Auth(java.util.List<io.clickstream.ingest.auth.WriteKey> writeKeys) {
        public Auth {
            writeKeys = java.util.List.copyOf(requireNonNull(writeKeys, "writeKeys is null"));
            if (writeKeys.isEmpty()) {
                throw new IllegalArgumentException("ingest.auth.write-keys is empty: set INGEST_WRITE_KEYS to name:key:events-per-second "
                        + "(several separated by commas)");
            }
        }
    }

    public record Kafka(String bootstrapServers, String topic, String deadLetterTopic, int lingerMs, String compression,
            int batchBytes, int deliveryTimeoutMs) {
        public Kafka {
            requireNonNull(bootstrapServers, "bootstrapServers is null");
            requireNonNull(topic, "topic is null");
            requireNonNull(deadLetterTopic, "deadLetterTopic is null");
            requireNonNull(compression, "compression is null");
            checkRange("ingest.kafka.linger-ms", lingerMs, 0, 10_000);
            checkRange("ingest.kafka.batch-bytes", batchBytes, 1_024, 16 * 1024 * 1024);
            checkRange("ingest.kafka.delivery-timeout-ms", deliveryTimeoutMs, 1_000, 600_000);
        }
    }

    /** Where records go while the broker cannot take them, and how much may wait there. */
    /** {@code inDoubtSettle}: how long records sent without an answer wait before the topic is read back for them. */
    public record Spool(String directory, long maxBytes, long segmentBytes, Duration replayInterval, Duration inDoubtSettle) {
        public Spool {
            requireNonNull(directory, "directory is null");
            requireNonNull(replayInterval, "replayInterval is null");
            requireNonNull(inDoubtSettle, "inDoubtSettle is null");
            if (inDoubtSettle.isNegative()) {
                throw new IllegalArgumentException("ingest.spool.in-doubt-settle must not be negative, got " + inDoubtSettle);
            }
            checkRange("ingest.spool.max-bytes", maxBytes, 1024 * 1024, Long.MAX_VALUE);
            checkRange("ingest.spool.segment-bytes", segmentBytes, 64 * 1024, maxBytes);
        }
    }

    /** The key is a secret: it is never printed, so this record hides it from {@code toString}. */
    public record Privacy(String pseudonymisationKey, int ipv4PrefixBits, int ipv6PrefixBits) {
        public Privacy {
            requireNonNull(pseudonymisationKey, "pseudonymisationKey is null");
            if (pseudonymisationKey.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < Pseudonymiser.MINIMUM_KEY_LENGTH) {
                throw new IllegalArgumentException("ingest.privacy.pseudonymisation-key must be at least "
                        + Pseudonymiser.MINIMUM_KEY_LENGTH + " bytes");
            }
            checkRange("ingest.privacy.ipv4-prefix-bits", ipv4PrefixBits, 0, 24);
            checkRange("ingest.privacy.ipv6-prefix-bits", ipv6PrefixBits, 0, 64);
        }

        @Override
        public String toString() {
            return "Privacy[pseudonymisationKey=<hidden>, ipv4PrefixBits=" + ipv4PrefixBits + ", ipv6PrefixBits=" + ipv6PrefixBits + "]";
        }
    }

    public record Validation(Duration maxClockSkew, Duration maxEventAge) {
        public Validation {
            requireNonNull(maxClockSkew, "maxClockSkew is null");
            requireNonNull(maxEventAge, "maxEventAge is null");
        }
    }

    /**
     * The real-time API and live dashboard. {@code topic}: where the live job publishes its
     * aggregates. {@code activeWindow}: how recently a student acted to count as online.
     * {@code readToken}: when not empty, the analytics API and the dashboard's stream require it
     * (as {@code Authorization: Bearer TOKEN} or {@code ?token=TOKEN}).
     */
    public record Live(boolean enabled, String topic, Duration activeWindow, String readToken) {
        public Live {
            requireNonNull(topic, "topic is null");
            requireNonNull(activeWindow, "activeWindow is null");
            requireNonNull(readToken, "readToken is null");
            checkRange("ingest.live.active-window (seconds)", activeWindow.toSeconds(), 10, 3600);
        }

        @Override
        public String toString() {
            return "Live[enabled=" + enabled + ", topic=" + topic + ", activeWindow=" + activeWindow + ", readToken="
                    + (readToken.isEmpty() ? "<none>" : "<hidden>") + "]";
        }
    }

    /** {@code writeKeyName}: the write key the demo LMS pages send with (its key is public, as any browser key is); empty turns the demo off. */
    public record Demo(String writeKeyName) {
        public Demo {
            requireNonNull(writeKeyName, "writeKeyName is null");
        }
    }

    /** Defaults from {@code reference.conf}, overridden by the file (when given) and the environment. */
    public static IngestConfig load(File configFile) {
        Config defaults = ConfigFactory.load();
        Config config = configFile == null ? defaults
                : ConfigFactory.parseFile(configFile).withFallback(ConfigFactory.defaultReference()).resolve();
        return from(config);
    }

    public static IngestConfig from(Config root) {
        Config c = root.getConfig("ingest");
        if (!c.hasPath("privacy.pseudonymisation-key")) {
            throw new IllegalArgumentException("ingest.privacy.pseudonymisation-key is missing: set the environment variable "
                    + "CLICKSTREAM_PSEUDONYMISATION_KEY to a secret of at least " + Pseudonymiser.MINIMUM_KEY_LENGTH + " bytes");
        }
        try {
            return new IngestConfig(
                    new Http(c.getString("http.host"), c.getInt("http.port"), c.getInt("http.max-body-bytes"),
                            c.getInt("http.max-batch-events"), AllowedOrigins.parse(commaList(c.getString("http.cors-origins"))),
                            TrustedProxies.parse(commaList(c.getString("http.trusted-proxies")), c.getString("http.forwarded-header")),
                            c.getDuration("http.drain-timeout")),
                    new Auth(io.clickstream.ingest.auth.WriteKey.parseList(c.getString("auth.write-keys"))),
                    kafka(root),
                    new Spool(c.getString("spool.directory"), c.getBytes("spool.max-bytes"), c.getBytes("spool.segment-bytes"),
                            c.getDuration("spool.replay-interval"), c.getDuration("spool.in-doubt-settle")),
                    new Privacy(c.getString("privacy.pseudonymisation-key"), c.getInt("privacy.ipv4-prefix-bits"),
                            c.getInt("privacy.ipv6-prefix-bits")),
                    new Validation(c.getDuration("validation.max-clock-skew"), c.getDuration("validation.max-event-age")),
                    new Live(c.getBoolean("live.enabled"), c.getString("live.topic"), c.getDuration("live.active-window"),
                            c.getString("live.read-token")),
                    new Demo(c.getString("demo.write-key-name")));
        }
        catch (ConfigException e) {
            throw new IllegalArgumentException("bad ingest configuration: " + e.getMessage(), e);
        }
    }

    /** The broker, topics and producer settings alone ({@code ingest.kafka}), for tools that produce as ingest does. */
    public static Kafka kafka(Config root) {
        Config c = root.getConfig("ingest.kafka");
        try {
            return new Kafka(c.getString("bootstrap-servers"), c.getString("topic"), c.getString("dead-letter-topic"), c.getInt("linger-ms"),
                    c.getString("compression"), c.getInt("batch-bytes"), c.getInt("delivery-timeout-ms"));
        }
        catch (ConfigException e) {
            throw new IllegalArgumentException("bad ingest configuration: " + e.getMessage(), e);
        }
    }

    private static java.util.List<String> commaList(String text) {
        return java.util.Arrays.stream(text.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList();
    }

    private static void checkRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}
