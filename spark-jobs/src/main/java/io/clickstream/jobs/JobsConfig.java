package io.clickstream.jobs;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** All settings of the Spark jobs, read once at start-up from {@code reference.conf} and {@code --config FILE}. */
public record JobsConfig(String lakeRoot, Spark spark, Kafka kafka, Streaming streaming, Gold gold, Live live, Monitoring monitoring) {
    public JobsConfig(String lakeRoot, Spark spark, Kafka kafka, Streaming streaming, Gold gold, Live live) {
        this(lakeRoot, spark, kafka, streaming, gold, live, new Monitoring("127.0.0.1", -1, Duration.ofSeconds(30)));
    }

    public JobsConfig {
        requireNonNull(monitoring, "monitoring is null");
        requireNonNull(live, "live is null");
        requireNonNull(lakeRoot, "lakeRoot is null");
        requireNonNull(spark, "spark is null");
        requireNonNull(kafka, "kafka is null");
        requireNonNull(streaming, "streaming is null");
        requireNonNull(gold, "gold is null");
    }

    /** {@code settings}: further Spark settings (such as {@code spark.hadoop.fs.s3a.endpoint}), applied as given. */
    public record Spark(String master, int shufflePartitions, String localDir, java.util.Map<String, String> settings) {
        public Spark(String master, int shufflePartitions, String localDir) {
            this(master, shufflePartitions, localDir, java.util.Map.of());
        }

        public Spark {
            requireNonNull(master, "master is null");
            requireNonNull(localDir, "localDir is null");
            settings = java.util.Map.copyOf(requireNonNull(settings, "settings is null"));
            settings.keySet().stream().filter(key -> !key.startsWith("spark.")).findFirst().ifPresent(key -> {
                throw new IllegalArgumentException("clickstream.spark.settings takes Spark settings (spark.*), got " + key);
            });
            if (shufflePartitions < 1) {
                throw new IllegalArgumentException("clickstream.spark.shuffle-partitions must be at least 1, got " + shufflePartitions);
            }
        }
    }

    /** {@code enrichedTopic}: where the streaming job publishes each enriched event (blank: nowhere). */
    public record Kafka(String bootstrapServers, String topic, String startingOffsets, long maxOffsetsPerTrigger, String enrichedTopic) {
        public Kafka(String bootstrapServers, String topic, String startingOffsets, long maxOffsetsPerTrigger) {
            this(bootstrapServers, topic, startingOffsets, maxOffsetsPerTrigger, "");
        }

        public Kafka {
            requireNonNull(enrichedTopic, "enrichedTopic is null");
            requireNonNull(bootstrapServers, "bootstrapServers is null");
            requireNonNull(topic, "topic is null");
            requireNonNull(startingOffsets, "startingOffsets is null");
            if (maxOffsetsPerTrigger < 1) {
                throw new IllegalArgumentException("clickstream.kafka.max-offsets-per-trigger must be at least 1");
            }
        }
    }

    /**
     * The Kafka → bronze/silver job (see streaming.StreamingJob). {@code deduplicationHorizon}: how long the job
     * remembers each event_id in its state store (older duplicates are caught against silver instead);
     * {@code maxClockSkew}: how far in the future ingest accepts event timestamps (at least ingest's
     * {@code ingest.validation.max-clock-skew}); {@code lateAfter}: an event that reaches ingest this long after it
     * happened is flagged {@code is_late}; {@code sessionInactivityGap}: the gap that starts a new {@code session_key};
     * {@code botEventsPerMinute}: a student sending more events than this within a minute is flagged {@code is_bot};
     * {@code statePartitions}: partitions of the state store (and of each batch after it) of a new checkpoint.
     */
    public record Streaming(Duration triggerInterval, Duration deduplicationHorizon, Duration maxClockSkew, Duration lateAfter,
            Duration sessionInactivityGap, int botEventsPerMinute, int statePartitions) {
        public Streaming(Duration triggerInterval) {
            this(triggerInterval, Duration.ofMinutes(30), Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ofMinutes(30), 100, 2);
        }

        public Streaming {
            requireNonNull(triggerInterval, "triggerInterval is null");
            requireNonNull(deduplicationHorizon, "deduplicationHorizon is null");
            requireNonNull(maxClockSkew, "maxClockSkew is null");
            requireNonNull(lateAfter, "lateAfter is null");
            requireNonNull(sessionInactivityGap, "sessionInactivityGap is null");
            if (maxClockSkew.isNegative() || deduplicationHorizon.compareTo(maxClockSkew.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("clickstream.streaming.deduplication-horizon must be at least twice max-clock-skew (events"
                        + " younger than the horizon minus the skew are de-duplicated in the state store, the rest against silver), got "
                        + deduplicationHorizon + " and " + maxClockSkew);
            }
            if (lateAfter.isNegative() || lateAfter.isZero() || sessionInactivityGap.isNegative() || sessionInactivityGap.isZero()) {
                throw new IllegalArgumentException("clickstream.streaming.late-after and session-inactivity-gap must be positive");
            }
            if (botEventsPerMinute < 1) {
                throw new IllegalArgumentException("clickstream.streaming.bot-events-per-minute must be at least 1, got " + botEventsPerMinute);
            }
            if (statePartitions < 1) {
                throw new IllegalArgumentException("clickstream.streaming.state-partitions must be at least 1, got " + statePartitions);
            }
        }
    }

    /**
     * The streaming job's own metrics (see monitoring.PipelineMonitor): Prometheus text on {@code http://host:port/metrics}
     * ({@code port} 0: any free port, negative: not served), and the Delta table pipeline_metrics appended every
     * {@code metricsTableInterval}.
     */
    public record Monitoring(String host, int port, Duration metricsTableInterval) {
        public Monitoring {
            requireNonNull(host, "host is null");
            requireNonNull(metricsTableInterval, "metricsTableInterval is null");
            if (port > 65_535) {
                throw new IllegalArgumentException("clickstream.monitoring.port must be a port number (or 0 or -1), got " + port);
            }
            if (metricsTableInterval.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("clickstream.monitoring.metrics-table-interval must be at least 1 second, got "
                        + metricsTableInterval);
            }
        }
    }

    /**
     * The live aggregation job (see live.LiveAggregatesJob): {@code topic} receives the aggregates,
     * {@code deadLetterTopic} is read for the bad-event rate; windows accept records up to
     * {@code allowedLateness} behind the newest arrival.
     */
    public record Live(String topic, String deadLetterTopic, Duration triggerInterval, Duration allowedLateness, int recentActionsPerBatch,
            String startingOffsets) {
        public Live {
            requireNonNull(topic, "topic is null");
            requireNonNull(deadLetterTopic, "deadLetterTopic is null");
            requireNonNull(triggerInterval, "triggerInterval is null");
            requireNonNull(allowedLateness, "allowedLateness is null");
            requireNonNull(startingOffsets, "startingOffsets is null");
            if (triggerInterval.compareTo(Duration.ofSeconds(2)) > 0) {
                throw new IllegalArgumentException("clickstream.live.trigger-interval must be at most 2 seconds (the live view promises"
                        + " updates at least that often), got " + triggerInterval);
            }
            if (allowedLateness.isNegative() || allowedLateness.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("clickstream.live.allowed-lateness must be between 0 and 5 minutes, got " + allowedLateness);
            }
            if (recentActionsPerBatch < 1 || recentActionsPerBatch > 1000) {
                throw new IllegalArgumentException("clickstream.live.recent-actions-per-batch must be between 1 and 1000, got "
                        + recentActionsPerBatch);
            }
        }
    }

    public record Gold(Duration sessionInactivityGap, Duration maxSessionLength, int topPages, List<Funnel> funnels, Anomalies anomalies,
            Duration vacuumRetention) {
        public Gold {
            requireNonNull(vacuumRetention, "vacuumRetention is null");
            if (vacuumRetention.compareTo(Duration.ofDays(7)) < 0) {
                throw new IllegalArgumentException("clickstream.gold.vacuum-retention must be at least 7 days (168 hours) so readers and"
                        + " the streaming job never lose files they still need, got " + vacuumRetention);
            }
            requireNonNull(anomalies, "anomalies is null");
            funnels = List.copyOf(requireNonNull(funnels, "funnels is null"));
            requireNonNull(sessionInactivityGap, "sessionInactivityGap is null");
            requireNonNull(maxSessionLength, "maxSessionLength is null");
            if (maxSessionLength.compareTo(sessionInactivityGap) <= 0 || maxSessionLength.compareTo(Duration.ofHours(23)) > 0) {
                throw new IllegalArgumentException("clickstream.gold.max-session-length must be longer than the inactivity gap and at most 23 hours"
                        + " (a day's job reads one day around it), got " + maxSessionLength);
            }
            if (sessionInactivityGap.isNegative() || sessionInactivityGap.isZero()) {
                throw new IllegalArgumentException("clickstream.gold.session-inactivity-gap must be positive");
            }
            if (topPages < 1) {
                throw new IllegalArgumentException("clickstream.gold.top-pages must be at least 1, got " + topPages);
            }
        }
    }

    /** Thresholds of the anomalies job (see gold.Anomalies). */
    public record Anomalies(int baselineDays, double zThreshold, double maxEventsPerMinute, double minGapVariation, int minEventsForRegularity) {
        public Anomalies {
            if (baselineDays < 3) {
                throw new IllegalArgumentException("clickstream.gold.anomalies.baseline-days must be at least 3, got " + baselineDays);
            }
            if (zThreshold <= 0 || maxEventsPerMinute <= 0 || minGapVariation < 0 || minEventsForRegularity < 3) {
                throw new IllegalArgumentException("clickstream.gold.anomalies: thresholds must be positive and min-events-for-regularity at least 3");
            }
        }
    }

    /**
     * A conversion funnel: ordered steps that must happen inside one session ({@code window} null)
     * or within {@code window} after the first step.
     */
    public record Funnel(String name, Duration window, List<Step> steps) {
        /** The funnels job marks each event's matching steps in one 64-bit mask. */
        public static final int MAX_FUNNEL_STEPS = 63;

        public Funnel {
            requireNonNull(name, "name is null");
            steps = List.copyOf(requireNonNull(steps, "steps is null"));
            if (steps.size() < 2 || steps.size() > MAX_FUNNEL_STEPS) {
                throw new IllegalArgumentException("funnel '" + name + "' needs 2 to " + MAX_FUNNEL_STEPS + " steps, has " + steps.size());
            }
            if (window != null && (window.isNegative() || window.isZero())) {
                throw new IllegalArgumentException("funnel '" + name + "': window must be positive or 'session'");
            }
        }
    }

    /** One funnel step: an event name and, optionally, a regular expression the page_url must contain a match of. */
    public record Step(String name, String event, String pagePattern) {
        public Step {
            requireNonNull(name, "name is null");
            requireNonNull(event, "event is null");
            if (pagePattern != null) {
                try {
                    java.util.regex.Pattern.compile(pagePattern);
                }
                catch (java.util.regex.PatternSyntaxException e) {
                    throw new IllegalArgumentException("step '" + name + "': page-pattern is not a regular expression: " + e.getDescription());
                }
            }
        }
    }

    /** The settings block as Spark keys: nested ({@code spark.hadoop.x = 1}) or quoted ({@code "spark.hadoop.x" = 1}). */
    private static java.util.Map<String, String> sparkSettings(Config settings) {
        java.util.Map<String, String> result = new java.util.TreeMap<>();
        settings.entrySet().forEach(entry -> result.put(String.join(".", com.typesafe.config.ConfigUtil.splitPath(entry.getKey())),
                String.valueOf(entry.getValue().unwrapped())));
        return result;
    }

    private static List<Funnel> funnels(Config gold) {
        List<Funnel> funnels = new ArrayList<>();
        for (Config funnel : gold.getConfigList("funnels")) {
            List<Step> steps = new ArrayList<>();
            for (Config step : funnel.getConfigList("steps")) {
                steps.add(new Step(step.getString("name"), step.getString("event"),
                        step.hasPath("page-pattern") ? step.getString("page-pattern") : null));
            }
            String window = funnel.hasPath("window") ? funnel.getString("window") : "session";
            funnels.add(new Funnel(funnel.getString("name"), window.equals("session") ? null : funnel.getDuration("window"), steps));
        }
        return funnels;
    }

    /** The file named by {@code --config FILE} among a job's arguments, or null. */
    public static File configFileArgument(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return new File(args[i + 1]);
            }
        }
        return null;
    }

    /** Reads {@code configFile}, else the file named by {@code CLICKSTREAM_JOBS_CONFIG}, else the defaults (and the environment). */
    public static JobsConfig load(File configFile) {
        if (configFile == null && System.getenv("CLICKSTREAM_JOBS_CONFIG") != null && !System.getenv("CLICKSTREAM_JOBS_CONFIG").isBlank()) {
            configFile = new File(System.getenv("CLICKSTREAM_JOBS_CONFIG"));
        }
        if (configFile != null && !configFile.isFile()) {
            throw new IllegalArgumentException("the jobs configuration file " + configFile + " does not exist");
        }
        Config config = configFile == null ? ConfigFactory.load()
                : ConfigFactory.parseFile(configFile).withFallback(ConfigFactory.defaultReference()).resolve();
        return from(config);
    }

    public static JobsConfig from(Config root) {
        try {
            Config c = root.getConfig("clickstream");
            return new JobsConfig(
                    c.getString("lake-root"),
                    new Spark(c.getString("spark.master"), c.getInt("spark.shuffle-partitions"), c.getString("spark.local-dir"),
                            sparkSettings(c.getConfig("spark.settings"))),
                    new Kafka(c.getString("kafka.bootstrap-servers"), c.getString("kafka.topic"), c.getString("kafka.starting-offsets"),
                            c.getLong("kafka.max-offsets-per-trigger"), c.getString("kafka.enriched-topic")),
                    new Streaming(c.getDuration("streaming.trigger-interval"), c.getDuration("streaming.deduplication-horizon"),
                            c.getDuration("streaming.max-clock-skew"), c.getDuration("streaming.late-after"),
                            c.getDuration("streaming.session-inactivity-gap"), c.getInt("streaming.bot-events-per-minute"),
                            c.getInt("streaming.state-partitions")),
                    new Gold(c.getDuration("gold.session-inactivity-gap"), c.getDuration("gold.max-session-length"), c.getInt("gold.top-pages"),
                            funnels(c.getConfig("gold")),
                            new Anomalies(c.getInt("gold.anomalies.baseline-days"), c.getDouble("gold.anomalies.z-threshold"),
                                    c.getDouble("gold.anomalies.max-events-per-minute"), c.getDouble("gold.anomalies.min-gap-variation"),
                                    c.getInt("gold.anomalies.min-events-for-regularity")),
                            c.getDuration("gold.vacuum-retention")),
                    new Live(c.getString("live.topic"), c.getString("live.dead-letter-topic"), c.getDuration("live.trigger-interval"),
                            c.getDuration("live.allowed-lateness"), c.getInt("live.recent-actions-per-batch"),
                            c.getString("live.starting-offsets")),
                    new Monitoring(c.getString("monitoring.host"), c.getInt("monitoring.port"), c.getDuration("monitoring.metrics-table-interval")));
        }
        catch (ConfigException e) {
            throw new IllegalArgumentException("bad jobs configuration: " + e.getMessage(), e);
        }
    }
}
