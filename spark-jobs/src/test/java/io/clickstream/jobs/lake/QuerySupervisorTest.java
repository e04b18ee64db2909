package io.clickstream.jobs.lake;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuerySupervisorTest {
    @Test
    void onlySparksKafkaProgressReportBugIsRestarted() {
        NullPointerException bug = new NullPointerException("Cannot invoke IterableOps.map");
        bug.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("org.apache.spark.sql.kafka010.KafkaMicroBatchStream$", "metrics", "KafkaMicroBatchStream.scala", 520),
            new StackTraceElement("org.apache.spark.sql.execution.streaming.runtime.ProgressContext", "extractSourceProgress", "x", 1)});
        assertTrue(QuerySupervisor.isKafkaMetricsRestartBug(new RuntimeException("query failed", bug)));

        NullPointerException ours = new NullPointerException("in our own code");
        ours.setStackTrace(new StackTraceElement[] {new StackTraceElement("io.clickstream.jobs.streaming.StreamingJob", "writeFlagged", "x", 1)});
        assertFalse(QuerySupervisor.isKafkaMetricsRestartBug(new RuntimeException(ours)));
        assertFalse(QuerySupervisor.isKafkaMetricsRestartBug(new IllegalStateException("Delta conflict")));
    }
}
