package io.clickstream.jobs;

import io.clickstream.jobs.lake.Sparks;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** One local SparkSession for every test of this module's test JVM, and Kafka-shaped test input. */
public final class SharedSpark {
    /** The columns of Spark's Kafka source. */
    public static final StructType KAFKA_RECORD = new StructType()
            .add("key", DataTypes.BinaryType)
            .add("value", DataTypes.BinaryType)
            .add("topic", DataTypes.StringType)
            .add("partition", DataTypes.IntegerType)
            .add("offset", DataTypes.LongType)
            .add("timestamp", DataTypes.TimestampType)
            .add("timestampType", DataTypes.IntegerType);
    private static SparkSession session;

    private SharedSpark() {}

    public static synchronized SparkSession session() {
        if (session == null) {
            session = Sparks.session("clickstream-tests", new JobsConfig.Spark("local[2]", 2, "target/spark-tmp"));
        }
        return session;
    }

    public static JobsConfig config(Path lakeRoot) {
        return new JobsConfig(lakeRoot.toString(),
                new JobsConfig.Spark("local[2]", 2, "target/spark-tmp"),
                new JobsConfig.Kafka("127.0.0.1:9", "lms_clickstream", "earliest", 1000),
                new JobsConfig.Streaming(java.time.Duration.ofSeconds(1)),
                new JobsConfig.Gold(java.time.Duration.ofMinutes(30), java.time.Duration.ofHours(3), 20,
                        JobsConfig.from(com.typesafe.config.ConfigFactory.defaultReference().resolve()).gold().funnels(),
                        new JobsConfig.Anomalies(7, 3.5, 30, 0.05, 10), java.time.Duration.ofHours(168)),
                new JobsConfig.Live("lms_clickstream_live", "lms_clickstream_dlq", java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(30),
                        30, "earliest"));
    }

    /** Rows shaped like the Kafka source's output, one per value, offsets counting from {@code firstOffset}. */
    public static Dataset<Row> kafkaRecords(List<String> values, long firstOffset, Instant brokerTime) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            rows.add(RowFactory.create(null, value == null ? null : value.getBytes(StandardCharsets.UTF_8), "lms_clickstream", 0,
                    firstOffset + i, Timestamp.from(brokerTime), 0));
        }
        return session().createDataFrame(rows, KAFKA_RECORD);
    }

    public static List<String> lines(String resource) throws Exception {
        return Files.readAllLines(new File(SharedSpark.class.getResource(resource).toURI()).toPath());
    }
}
