package io.clickstream.jobs.simulate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoricDayTest {
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void aSimulatedDayReplacesOnlyTheSimulatedEventsOfThatDay() {
        JobsConfig config = SharedSpark.config(lake);
        LocalDate day = LocalDate.parse("2026-11-20");
        String realEvent = "{\"event_id\":\"real-1\",\"student_id\":\"s\",\"event_name\":\"click\",\"page_url\":\"/\","
                + "\"session_id\":\"q\",\"timestamp\":\"2026-11-20T10:00:00Z\"}";
        new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(List.of(realEvent), 0, Instant.parse("2026-11-20T10:00:01Z")), 0);

        assertEquals(2001, HistoricDay.write(spark, config, day, 2000));
        assertEquals(2001, HistoricDay.write(spark, config, day, 2000), "a second run replaces the simulated events, keeps the real one");

        Dataset<Row> silver = spark.read().format("delta").load(new LakePaths(config.lakeRoot()).silverEvents());
        assertEquals(1, silver.where("event_id = 'real-1'").count());
        assertEquals(2001, silver.select("event_id").distinct().count());
        assertEquals(List.of(day.toString()), silver.selectExpr("cast(event_date as string)").distinct().as(Encoders.STRING()).collectAsList());
        List<String> names = silver.select("event_name").distinct().as(Encoders.STRING()).collectAsList();
        assertTrue(EventContract.current().eventNames().containsAll(names), "only the contract's event names: " + names);
        assertEquals(10, silver.where("event_id LIKE 'sim-%'").select("student_id").distinct().count(), "200 events per student");
        assertEquals(0, silver.where("event_timestamp < timestamp'2026-11-20 00:00:00' OR event_timestamp >= timestamp'2026-11-21 00:00:00'")
                .count());
    }
}
