package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.streaming.StreamingJob;
import io.clickstream.schema.EventContract;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden funnels through silver to gold on disk; the expected file was computed by hand (see the golden README). */
class FunnelsTest {
    private final SparkSession spark = SharedSpark.session();

    @TempDir
    Path lake;

    @Test
    void funnelsEqualHandComputedValuesInSessionsWindowsAndAcrossMidnight() throws Exception {
        JobsConfig defaults = SharedSpark.config(lake);
        List<JobsConfig.Funnel> funnels = new ArrayList<>(defaults.gold().funnels());
        funnels.add(new JobsConfig.Funnel("search-to-video", Duration.ofHours(1),
                List.of(new JobsConfig.Step("search", "search", null), new JobsConfig.Step("video play", "video_play", null))));
        JobsConfig config = new JobsConfig(defaults.lakeRoot(), defaults.spark(), defaults.kafka(), defaults.streaming(),
                new JobsConfig.Gold(defaults.gold().sessionInactivityGap(), defaults.gold().maxSessionLength(), defaults.gold().topPages(), funnels,
                        defaults.gold().anomalies(), defaults.gold().vacuumRetention()), defaults.live());
        new StreamingJob(spark, config, EventContract.current())
                .writeBatch(SharedSpark.kafkaRecords(SharedSpark.lines("/golden/funnels/input.jsonl"), 0, Instant.now()), 0);
        FunnelsJob job = new FunnelsJob(new GoldContext(spark, config));
        assertEquals("course-to-quiz 5 > 3 > 3 > 1, search-to-video 3 > 2 students", job.run(LocalDate.parse("2026-11-20")));
        job.run(LocalDate.parse("2026-11-21"));
        job.run(LocalDate.parse("2026-11-20"));          // re-run: must replace, not add

        List<String> expected = SharedSpark.lines("/golden/funnels/expected-funnels.csv");
        List<String> actual = spark.read().format("delta").load(new LakePaths(config.lakeRoot()).goldFunnels())
                .orderBy("metric_date", "funnel", "step").collectAsList().stream().map(FunnelsTest::line).toList();
        assertEquals(expected.subList(1, expected.size()), actual);
    }

    private static String line(Row row) {
        List<String> values = new ArrayList<>();
        for (String column : List.of("metric_date", "funnel", "step", "step_name", "students", "conversion_from_start",
                "conversion_from_previous", "drop_off", "scope")) {
            values.add(String.valueOf(row.<Object>getAs(column)));
        }
        return String.join(",", values);
    }
}
