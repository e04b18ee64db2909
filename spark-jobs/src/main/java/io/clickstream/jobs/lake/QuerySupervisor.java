package io.clickstream.jobs.lake;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an application's streaming queries until one fails or all stop, and starts a query again
 * when it died of Spark 4.1.1's Kafka-source bug after a restart (SPARK-55271, fixed in Spark
 * 4.1.3, whose Kafka modules are not all published): when a restarted query re-runs the batch the
 * crash interrupted, the batch is written and committed, then progress reporting throws a
 * NullPointerException in {@code KafkaMicroBatchStream.metrics} and ends the query. Started again,
 * it has no batch to re-run and goes on; every write is idempotent, so nothing is lost or doubled.
 * Any other failure ends the application, so its exit status tells the supervisor.
 */
public final class QuerySupervisor {
    private static final Logger LOG = LoggerFactory.getLogger(QuerySupervisor.class);
    private static final int MAX_RESTARTS = 3;

    /** Starts one named query; called again to restart it. */
    @FunctionalInterface
    public interface QueryStarter {
        StreamingQuery start() throws TimeoutException;
    }

    private final SparkSession spark;
    private final Map<String, QueryStarter> starters = new LinkedHashMap<>();
    private final Map<String, StreamingQuery> running = new ConcurrentHashMap<>();
    private final Map<String, Integer> restarts = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    public QuerySupervisor(SparkSession spark) {
        this.spark = spark;
    }

    /** Starts the query and keeps its starter for a restart. */
    public StreamingQuery start(String name, QueryStarter starter) throws TimeoutException {
        starters.put(name, starter);
        StreamingQuery query = starter.start();
        running.put(name, query);
        return query;
    }

    /** The queries as they run now (a restarted query is a new object). */
    public List<StreamingQuery> queries() {
        return new ArrayList<>(running.values());
    }

    /** Stops every query (from a shutdown hook); {@link #awaitTermination()} then returns. */
    public void stopAll() {
        stopping = true;
        for (StreamingQuery query : running.values()) {
            try {
                query.stop();
            }
            catch (TimeoutException e) {
                LOG.warn("streaming query {} did not stop in time; its checkpoint re-runs the open batch on restart", query.name());
            }
        }
    }

    /** Waits until every query has stopped; throws the failure of a query that failed for another reason than the known bug. */
    public void awaitTermination() throws StreamingQueryException, TimeoutException {
        while (true) {
            try {
                spark.streams().awaitAnyTermination();
            }
            catch (StreamingQueryException failure) {
                if (stopping) {
                    return;
                }
                restartOrThrow(failure);
            }
            spark.streams().resetTerminated();
            if (stopping || running.values().stream().noneMatch(StreamingQuery::isActive)) {
                return;
            }
        }
    }

    private void restartOrThrow(StreamingQueryException failure) throws StreamingQueryException, TimeoutException {
        String name = running.entrySet().stream().filter(entry -> !entry.getValue().isActive()
                && entry.getValue().exception().isDefined()).map(Map.Entry::getKey).findFirst().orElse(null);
        int count = name == null ? 0 : restarts.merge(name, 1, Integer::sum);
        if (name == null || !isKafkaMetricsRestartBug(failure) || count > MAX_RESTARTS) {
            throw failure;
        }
        LOG.warn("streaming query {} ended with Spark's Kafka progress-report bug after re-running its interrupted batch (SPARK-55271);"
                + " the batch is committed, starting the query again ({} of {})", name, count, MAX_RESTARTS);
        running.put(name, starters.get(name).start());
    }

    /** The NullPointerException thrown by {@code KafkaMicroBatchStream.metrics} in Spark 4.1.1. */
    static boolean isKafkaMetricsRestartBug(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof NullPointerException) {
                for (StackTraceElement frame : cause.getStackTrace()) {
                    if (frame.getClassName().startsWith("org.apache.spark.sql.kafka010.KafkaMicroBatchStream")
                            && frame.getMethodName().equals("metrics")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
