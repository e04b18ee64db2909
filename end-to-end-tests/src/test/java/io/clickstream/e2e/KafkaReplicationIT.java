package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.stack.LocalStack;
import io.clickstream.stack.StackSettings;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A three-node KRaft cluster on loopback (replication factor 3, min.insync.replicas 2): one node is
 * killed with SIGKILL under load, and ingest must keep answering without losing or doubling an event.
 */
class KafkaReplicationIT {
    private static LocalStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = AcceptedEvents.startIngestStack("replication", 3, 3);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void killingOneOfThreeBrokersUnderLoadLosesNothingAndIngestKeepsAnswering() throws Exception {
        try (Admin admin = stack.broker().admin()) {
            TopicDescription topic = admin.describeTopics(List.of(StackSettings.TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(StackSettings.TOPIC);
            for (TopicPartitionInfo partition : topic.partitions()) {
                assertEquals(3, partition.replicas().size(), "partition " + partition.partition() + " has 3 replicas");
                assertEquals(3, partition.isr().size(), "partition " + partition.partition() + " starts fully in sync");
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, StackSettings.TOPIC);
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertEquals("2", config.get("min.insync.replicas").value());
        }

        AcceptedEvents events = new AcceptedEvents(stack);
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread sender = new Thread(() -> {
            while (sending.get()) {
                events.sendBatch(20);
            }
        }, "replication-sender");
        sender.start();
        Thread.sleep(3_000);
        int beforeKill = events.accepted.size();
        // Node 1 is the one ingest was told about first; killing it also takes a controller of the quorum.
        stack.killKafkaNode(1);
        Thread.sleep(12_000);
        sending.set(false);
        sender.join();

        assertTrue(beforeKill > 0, "events were accepted before the kill");
        assertTrue(events.accepted.size() > beforeKill + 500, "ingest kept accepting after the kill: " + events.accepted.size() + " vs " + beforeKill);
        assertEquals(List.of(), events.refusals, "every request was answered with 200");
        try (Admin admin = stack.broker().admin()) {
            TopicDescription topic = admin.describeTopics(List.of(StackSettings.TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(StackSettings.TOPIC);
            for (TopicPartitionInfo partition : topic.partitions()) {
                assertTrue(partition.leader() != null && partition.leader().id() != 1, "partition " + partition.partition() + " has a leader that is alive");
                assertEquals(2, partition.isr().size(), "the killed node left the in-sync replicas of partition " + partition.partition());
            }
        }
        events.awaitSpoolDrained();
        events.assertInTopicExactlyOnce();
    }
}
