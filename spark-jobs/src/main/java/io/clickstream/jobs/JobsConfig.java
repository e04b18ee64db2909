package io.clickstream.jobs;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.time.Duration;

/** All settings of the Spark jobs, read once at start-up from {@code reference.conf} and {@code --config FILE}. */
public record JobsConfig(String lakeRoot, Spark spark, Kafka kafka, Streaming streaming, Gold gold) {
    public JobsConfig {
        requireNonNull(lakeRoot, "lakeRoot is null");
        requireNonNull(spark, "spark is null");
        requireNonNull(kafka, "kafka is null");
        requireNonNull(streaming, "streaming is null");
        requireNonNull(gold, "gold is null");
    }

    public record Spark(String master, int shufflePartitions, String localDir) {
        public Spark {
            requireNonNull(master, "master is null");
            requireNonNull(localDir, "localDir is null");
            if (shufflePartitions < 1) {
                throw new IllegalArgumentException("clickstream.spark.shuffle-partitions must be at least 1, got " + shufflePartitions);
            }
        }
    }

    public record Kafka(String bootstrapServers, String topic, String startingOffsets, long maxOffsetsPerTrigger) {
        public Kafka {
            requireNonNull(bootstrapServers, "bootstrapServers is null");
            requireNonNull(topic, "topic is null");
            requireNonNull(startingOffsets, "startingOffsets is null");
            if (maxOffsetsPerTrigger < 1) {
                throw new IllegalArgumentException("clickstream.kafka.max-offsets-per-trigger must be at least 1");
            }
        }
    }

    public record Streaming(Duration triggerInterval) {
        public Streaming {
            requireNonNull(triggerInterval, "triggerInterval is null");
        }
    }

    public record Gold(Duration sessionInactivityGap, int topPages) {
        public Gold {
            requireNonNull(sessionInactivityGap, "sessionInactivityGap is null");
            if (sessionInactivityGap.isNegative() || sessionInactivityGap.isZero()) {
                throw new IllegalArgumentException("clickstream.gold.session-inactivity-gap must be positive");
            }
            if (topPages < 1) {
                throw new IllegalArgumentException("clickstream.gold.top-pages must be at least 1, got " + topPages);
            }
        }
    }

    public static JobsConfig load(File configFile) {
        Config config = configFile == null ? ConfigFactory.load()
                : ConfigFactory.parseFile(configFile).withFallback(ConfigFactory.defaultReference()).resolve();
        return from(config);
    }

    public static JobsConfig from(Config root) {
        try {
            Config c = root.getConfig("clickstream");
            return new JobsConfig(
                    c.getString("lake-root"),
                    new Spark(c.getString("spark.master"), c.getInt("spark.shuffle-partitions"), c.getString("spark.local-dir")),
                    new Kafka(c.getString("kafka.bootstrap-servers"), c.getString("kafka.topic"), c.getString("kafka.starting-offsets"),
                            c.getLong("kafka.max-offsets-per-trigger")),
                    new Streaming(c.getDuration("streaming.trigger-interval")),
                    new Gold(c.getDuration("gold.session-inactivity-gap"), c.getInt("gold.top-pages")));
        }
        catch (ConfigException e) {
            throw new IllegalArgumentException("bad jobs configuration: " + e.getMessage(), e);
        }
    }
}
