package io.clickstream.jobs.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.LakePaths;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code bin/clickstream status}: for every streaming query of the lake (its checkpoint under
 * {@code _checkpoints/}), the last completed micro-batch and when it ran, and how many records it
 * is behind the newest offsets in Kafka, per partition; and whether the streaming job's metrics
 * endpoint answers. Reads the checkpoints and asks Kafka directly, so it works while the job is
 * down too (that is when it matters).
 *
 * <p>How to run: {@code bin/clickstream status [--config FILE]}; it prints, for example,
 * <pre>
 * clickstream_lake   batch 57 at 2026-12-05T23:59:01Z (4 s ago)   lag 0 records
 *   lms_clickstream-0    read 1200   newest 1200   lag 0
 * streaming job metrics http://127.0.0.1:9464/metrics: answering
 * </pre>
 * Exit status 0, or 1 when there is no checkpoint or Kafka cannot be asked.
 */
public final class PipelineStatus {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One query's state: its last committed batch, when that batch started, and the offsets it read up to. */
    record QueryState(String query, long batchId, Instant batchTime, String readOffsets) {}

    private PipelineStatus() {}

    public static void main(String[] args) throws Exception {
        JobsConfig config = JobsConfig.load(JobsConfig.configFileArgument(args));
        System.exit(print(config, System.out));
    }

    static int print(JobsConfig config, PrintStream out) throws IOException {
        Path checkpoints = new Path(new LakePaths(config.lakeRoot()).checkpoint(""));
        FileSystem fs = checkpoints.getFileSystem(hadoopConfiguration(config));
        List<QueryState> queries = new ArrayList<>();
        if (fs.exists(checkpoints)) {
            for (FileStatus folder : fs.listStatus(checkpoints)) {
                if (folder.isDirectory()) {
                    lastCommitted(fs, folder.getPath()).ifPresent(queries::add);
                }
            }
        }
        if (queries.isEmpty()) {
            out.println("no streaming checkpoint under " + checkpoints + ": has the streaming job run on this lake?");
            return 1;
        }
        queries.sort(Comparator.comparing(QueryState::query));
        Map<String, Long> newest;
        try {
            newest = newestOffsets(config.kafka().bootstrapServers(), queries);
        }
        catch (RuntimeException e) {
            queries.forEach(query -> out.printf("%-18s batch %d at %s (%s ago)   lag unknown%n", query.query(), query.batchId(), query.batchTime(),
                    ago(query.batchTime())));
            out.println("Kafka at " + config.kafka().bootstrapServers() + " could not be asked for its newest offsets: " + e.getMessage());
            return 1;
        }
        for (QueryState query : queries) {
            Map<String, Long> lagByPartition = new TreeMap<>();
            long lag = ConsumerLag.lag(query.readOffsets(), toOffsetsJson(newest, query.readOffsets()), lagByPartition);
            out.printf("%-18s batch %d at %s (%s ago)   lag %d records%n", query.query(), query.batchId(), query.batchTime(),
                    ago(query.batchTime()), lag);
            Map<String, Long> read = flatten(query.readOffsets());
            lagByPartition.forEach((partition, behind) -> out.printf("  %-20s read %d   newest %d   lag %d%n", partition,
                    read.getOrDefault(partition, 0L), newest.getOrDefault(partition, 0L), behind));
        }
        JobsConfig.Monitoring monitoring = config.monitoring();
        if (monitoring.port() > 0) {
            String url = "http://" + monitoring.host() + ":" + monitoring.port() + "/metrics";
            out.println("streaming job metrics " + url + ": " + (answers(url) ? "answering" : "not answering (is the streaming job running?)"));
        }
        return 0;
    }

    /** The newest batch with a commit file, and the offsets file of that batch. */
    static Optional<QueryState> lastCommitted(FileSystem fs, Path checkpoint) throws IOException {
        Path commits = new Path(checkpoint, "commits");
        if (!fs.exists(commits)) {
            return Optional.empty();
        }
        Optional<Long> last = Arrays.stream(fs.listStatus(commits)).map(status -> status.getPath().getName())
                .filter(name -> name.matches("\\d+")).map(Long::parseLong).max(Long::compare);
        if (last.isEmpty()) {
            return Optional.empty();
        }
        // offsets/N: a version line, the batch's metadata (with its start time), then one line per source.
        List<String> lines;
        try (InputStream in = fs.open(new Path(new Path(checkpoint, "offsets"), String.valueOf(last.get())))) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        JsonNode metadata = MAPPER.readTree(lines.get(1));
        String offsets = lines.size() > 2 ? lines.get(2) : "{}";
        return Optional.of(new QueryState(checkpoint.getName(), last.get(), Instant.ofEpochMilli(metadata.path("batchTimestampMs").asLong()),
                offsets));
    }

    private static Map<String, Long> newestOffsets(String bootstrapServers, List<QueryState> queries) {
        Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
        for (QueryState query : queries) {
            flatten(query.readOffsets()).keySet().forEach(name -> {
                int dash = name.lastIndexOf('-');
                wanted.put(new TopicPartition(name.substring(0, dash), Integer.parseInt(name.substring(dash + 1))), OffsetSpec.latest());
            });
        }
        Map<String, Long> newest = new HashMap<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000", AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000"))) {
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> entry
                    : admin.listOffsets(wanted).all().get(15, TimeUnit.SECONDS).entrySet()) {
                newest.put(entry.getKey().topic() + "-" + entry.getKey().partition(), entry.getValue().offset());
            }
        }
        catch (Exception e) {
            throw new IllegalStateException(e.getCause() == null ? e.toString() : e.getCause().getMessage(), e);
        }
        return newest;
    }

    /** {"topic":{"0":12}} as "topic-0" -> 12. */
    static Map<String, Long> flatten(String offsetsJson) {
        Map<String, Long> flat = new TreeMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> topics = MAPPER.readTree(offsetsJson).fields(); topics.hasNext(); ) {
                Map.Entry<String, JsonNode> topic = topics.next();
                topic.getValue().fields().forEachRemaining(partition -> flat.put(topic.getKey() + "-" + partition.getKey(),
                        partition.getValue().asLong()));
            }
        }
        catch (IOException e) {
            // not Kafka offsets: nothing to report
        }
        return flat;
    }

    /** Flat "topic-partition" offsets back into the source's JSON shape, for the partitions {@code like} names. */
    private static String toOffsetsJson(Map<String, Long> flat, String like) {
        com.fasterxml.jackson.databind.node.ObjectNode json = MAPPER.createObjectNode();
        flatten(like).keySet().forEach(name -> {
            int dash = name.lastIndexOf('-');
            Long offset = flat.get(name);
            String topic = name.substring(0, dash);
            if (offset != null) {
                (json.has(topic) ? (com.fasterxml.jackson.databind.node.ObjectNode) json.get(topic) : json.putObject(topic))
                        .put(name.substring(dash + 1), offset);
            }
        });
        return json.toString();
    }

    private static String ago(Instant time) {
        Duration age = Duration.between(time, Instant.now());
        return age.toHours() > 0 ? age.toHours() + " h " + age.toMinutesPart() + " min"
                : age.toMinutes() > 0 ? age.toMinutes() + " min " + age.toSecondsPart() + " s" : age.toSeconds() + " s";
    }

    private static boolean answers(String url) {
        try {
            HttpResponse<Void> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()
                    .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        }
        catch (IOException e) {
            return false;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Hadoop settings from the jobs' Spark settings (spark.hadoop.*), so an s3a:// lake is read with the job's endpoint. */
    private static Configuration hadoopConfiguration(JobsConfig config) {
        Configuration hadoop = new Configuration();
        config.spark().settings().forEach((key, value) -> {
            if (key.startsWith("spark.hadoop.")) {
                hadoop.set(key.substring("spark.hadoop.".length()), value);
            }
        });
        return hadoop;
    }
}
