package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.SharedSpark;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Anomalies on hand-made inputs with hand-computed results. Traffic: 7 baseline days per hour.
 * <ul>
 *   <li>09:00 baseline 10 12 11 9 10 13 10: median 10, MAD 1 so 1.4826, floor sqrt(10) = 3.162;
 *       today 40: z = 30 / 3.162 = 9.487, a spike.</li>
 *   <li>10:00 baseline 20 22 18 20 21 19 20: median 20, spread max(1.4826, sqrt(20) = 4.472);
 *       today 2: z = -18 / 4.472 = -4.025, a drop.</li>
 *   <li>11:00 baseline 5 5 5 5 5 5 6: MAD 0, mean deviation 1/7 so 0.179, floor sqrt(5) = 2.236;
 *       today 6: z = 0.447, normal (without the floor one extra event would be a spike).</li>
 *   <li>12:00 baseline 7 every day: spread sqrt(7) = 2.646; today 30: z = 8.693, a spike.</li>
 *   <li>13:00 only 2 baseline days: not judged, although today has 100 events.</li>
 * </ul>
 * Students: "agent" sends 2 events as Googlebot (robot user agent, score 100); "burst" 40 events
 * one second apart in one minute (40 per active minute and gaps that never vary: 1/0.001 = 1000);
 * "metronome" 12 events exactly a minute apart (gap variation 0: 1000); "human" 12 events with
 * irregular gaps: not flagged.
 */
class AnomaliesTest {
    private static final LocalDate DAY = LocalDate.parse("2026-11-20");
    private static final JobsConfig.Anomalies SETTINGS = new JobsConfig.Anomalies(7, 3.5, 30, 0.05, 10);
    private final SparkSession spark = SharedSpark.session();

    @Test
    void trafficAndBotsEqualHandComputedValues() {
        List<Row> hours = new ArrayList<>();
        int[][] baseline = {{10, 12, 11, 9, 10, 13, 10}, {20, 22, 18, 20, 21, 19, 20}, {5, 5, 5, 5, 5, 5, 6}, {7, 7, 7, 7, 7, 7, 7}, {50, 50}};
        int[] today = {40, 2, 6, 30, 100};
        for (int h = 0; h < baseline.length; h++) {
            for (int d = 0; d < baseline[h].length; d++) {
                hours.add(hour(DAY.minusDays(d + 1), 9 + h, baseline[h][d]));
            }
            hours.add(hour(DAY, 9 + h, today[h]));
        }
        hours.add(hour(DAY.minusDays(8), 9, 1000));  // outside the 7 baseline days: ignored
        Dataset<Row> hourly = spark.createDataFrame(hours, new StructType().add("metric_hour", DataTypes.TimestampType)
                .add("events", DataTypes.LongType).add("metric_date", DataTypes.DateType));

        List<Row> events = new ArrayList<>();
        events.add(event("agent", "2026-11-20T08:00:00Z", "Mozilla/5.0 (compatible; Googlebot/2.1)"));
        events.add(event("agent", "2026-11-20T08:30:00Z", "Mozilla/5.0 (compatible; Googlebot/2.1)"));
        for (int i = 0; i < 40; i++) {
            events.add(event("burst", Instant.parse("2026-11-20T09:00:00Z").plusSeconds(i).toString(), "Mozilla/5.0"));
        }
        for (int i = 0; i < 12; i++) {
            events.add(event("metronome", Instant.parse("2026-11-20T10:00:00Z").plusSeconds(60L * i).toString(), "Mozilla/5.0"));
        }
        long[] humanGaps = {0, 10, 200, 15, 300, 40, 5, 600, 30, 90, 20, 400};
        long at = 0;
        for (long gap : humanGaps) {
            at += gap;
            events.add(event("human", Instant.parse("2026-11-20T11:00:00Z").plusSeconds(at).toString(), "Mozilla/5.0"));
        }
        Dataset<Row> dayEvents = spark.createDataFrame(events, new StructType().add("event_id", DataTypes.StringType)
                .add("student_id", DataTypes.StringType).add("event_timestamp", DataTypes.TimestampType).add("user_agent", DataTypes.StringType));

        Dataset<Row> aroundDay = Sessions.assign(dayEvents.withColumn("event_date", org.apache.spark.sql.functions.to_date(
                org.apache.spark.sql.functions.col("event_timestamp"))), java.time.Duration.ofMinutes(30));

        List<String> actual = Anomalies.detect(hourly, aroundDay, DAY, SETTINGS).orderBy("kind", "subject").collectAsList().stream()
                .map(row -> String.join(" | ", row.getAs("kind"), row.getAs("subject"), String.format("%.3f", row.<Double>getAs("score")),
                        String.valueOf(row.<Double>getAs("observed")), String.valueOf(row.<Object>getAs("expected")), row.getAs("reason")))
                .toList();
        assertEquals(List.of(
                "bot_student | agent | 100.000 | 2.0 | null | robot user agent",
                "bot_student | burst | 1000.000 | 40.0 | null | 40.0 events per active minute; machine-regular timing (gap variation 0.000)",
                "bot_student | metronome | 1000.000 | 12.0 | null | machine-regular timing (gap variation 0.000)",
                "traffic_drop | 2026-11-20T10:00:00Z | -4.025 | 2.0 | 20.0 | events 2 against a median of 20.0 for this hour over 7 days (robust z -4.0)",
                "traffic_spike | 2026-11-20T09:00:00Z | 9.487 | 40.0 | 10.0 | events 40 against a median of 10.0 for this hour over 7 days (robust z 9.5)",
                "traffic_spike | 2026-11-20T12:00:00Z | 8.693 | 30.0 | 7.0 | events 30 against a median of 7.0 for this hour over 7 days (robust z 8.7)"),
                actual);
    }

    private static Row hour(LocalDate day, int hour, long events) {
        return RowFactory.create(Timestamp.from(day.atTime(hour, 0).toInstant(java.time.ZoneOffset.UTC)), events, Date.valueOf(day));
    }

    private static int sequence;

    private static Row event(String student, String time, String userAgent) {
        return RowFactory.create("e" + (++sequence), student, Timestamp.from(Instant.parse(time)), userAgent);
    }
}
