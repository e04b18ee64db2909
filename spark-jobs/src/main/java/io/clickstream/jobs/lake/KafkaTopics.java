package io.clickstream.jobs.lake;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics a job writes to, when they are missing (brokers here do not create topics on first use). */
public final class KafkaTopics {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);

    private KafkaTopics() {}

    /**
     * Creates {@code topic} with {@code partitions} partitions (or as many as {@code likeTopic} has, when
     * {@code partitions} is 0) and the broker's default replication; an existing topic is left as it is.
     */
    public static void ensure(String bootstrapServers, String topic, int partitions, String likeTopic, Map<String, String> configs) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            int count = partitions > 0 ? partitions
                    : admin.describeTopics(List.of(likeTopic)).allTopicNames().get().get(likeTopic).partitions().size();
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(count), Optional.empty()).configs(configs))).all().get();
            LOG.info("created topic {} ({} partitions)", topic, count);
        }
        catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + topic + " at " + bootstrapServers + ": " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        }
    }
}
