package io.clickstream.jobs.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/** How far a stream is behind its Kafka topics, from offsets as Spark's Kafka source writes them: {"topic":{"partition":offset}}. */
public final class ConsumerLag {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ConsumerLag() {}

    /**
     * Records between what was read ({@code readOffsets}) and the newest offsets ({@code newestOffsets}), per
     * partition, put into {@code byPartition} as "topic-partition" and summed. A partition never read is behind by
     * all of it; offsets that are not Kafka's (another source) give no lag.
     */
    public static long lag(String readOffsets, String newestOffsets, Map<String, Long> byPartition) {
        if (readOffsets == null || newestOffsets == null) {
            return 0;
        }
        try {
            JsonNode read = MAPPER.readTree(readOffsets);
            JsonNode newest = MAPPER.readTree(newestOffsets);
            long total = 0;
            for (Iterator<Map.Entry<String, JsonNode>> topics = newest.fields(); topics.hasNext(); ) {
                Map.Entry<String, JsonNode> topic = topics.next();
                for (Iterator<Map.Entry<String, JsonNode>> partitions = topic.getValue().fields(); partitions.hasNext(); ) {
                    Map.Entry<String, JsonNode> partition = partitions.next();
                    JsonNode done = read.path(topic.getKey()).path(partition.getKey());
                    long behind = done.canConvertToLong() ? Math.max(0, partition.getValue().asLong() - done.asLong()) : partition.getValue().asLong();
                    byPartition.put(topic.getKey() + "-" + partition.getKey(), behind);
                    total += behind;
                }
            }
            return total;
        }
        catch (IOException e) {
            return 0;
        }
    }
}
