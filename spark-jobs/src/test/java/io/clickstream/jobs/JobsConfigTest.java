package io.clickstream.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobsConfigTest {
    @Test
    void theReferenceExampleIsTheDefaults() {
        JobsConfig defaults = JobsConfig.from(ConfigFactory.defaultReference().resolve());
        JobsConfig example = JobsConfig.load(new File("examples/jobs-reference.conf"));
        assertEquals(defaults.gold(), example.gold());
        assertEquals(defaults.kafka(), example.kafka());
        assertEquals(defaults.streaming(), example.streaming());
        assertEquals(defaults.live(), example.live());
        assertEquals(new JobsConfig.Live("lms_clickstream_live", "lms_clickstream_dlq", Duration.ofSeconds(1), Duration.ofSeconds(30), 30,
                "latest"), defaults.live());
        JobsConfig.Funnel funnel = defaults.gold().funnels().get(0);
        assertEquals("course-to-quiz", funnel.name());
        assertNull(funnel.window(), "window = session");
        assertEquals(List.of("course page", "chapter page", "video play", "quiz submit"),
                funnel.steps().stream().map(JobsConfig.Step::name).toList());
        assertEquals(Duration.ofHours(12), defaults.gold().maxSessionLength());
    }

    @Test
    void liveSettingsOutsideTheirRangeAreRefusedByName() {
        IllegalArgumentException slow = assertThrows(IllegalArgumentException.class, () -> JobsConfig.from(ConfigFactory.parseString(
                "clickstream.live.trigger-interval = 5 seconds").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(slow.getMessage().contains("clickstream.live.trigger-interval must be at most 2 seconds"), slow.getMessage());
        IllegalArgumentException late = assertThrows(IllegalArgumentException.class, () -> JobsConfig.from(ConfigFactory.parseString(
                "clickstream.live.allowed-lateness = 1 hour").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(late.getMessage().contains("clickstream.live.allowed-lateness"), late.getMessage());
    }

    @Test
    void funnelsWithAWindowAndBadFunnelsAreReadOrRefusedClearly() {
        String base = "clickstream.gold.funnels = [{name = f, window = 90 minutes, steps = [{name = a, event = page_view}, "
                + "{name = b, event = quiz_submit, page-pattern = \"quiz\"}]}]";
        JobsConfig config = JobsConfig.from(ConfigFactory.parseString(base).withFallback(ConfigFactory.defaultReference()).resolve());
        assertEquals(Duration.ofMinutes(90), config.gold().funnels().get(0).window());
        assertEquals("quiz", config.gold().funnels().get(0).steps().get(1).pagePattern());

        IllegalArgumentException oneStep = assertThrows(IllegalArgumentException.class, () -> JobsConfig.from(ConfigFactory.parseString(
                "clickstream.gold.funnels = [{name = f, steps = [{name = a, event = page_view}]}]").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(oneStep.getMessage().contains("needs 2 to 63 steps, has 1"), oneStep.getMessage());
        IllegalArgumentException badPattern = assertThrows(IllegalArgumentException.class, () -> JobsConfig.from(ConfigFactory.parseString(
                "clickstream.gold.funnels = [{name = f, steps = [{name = a, event = page_view, page-pattern = \"(\"}, {name = b, event = click}]}]")
                .withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(badPattern.getMessage().contains("page-pattern"), badPattern.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> JobsConfig.from(ConfigFactory.parseString(
                "clickstream.gold.max-session-length = 30 hours").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(tooLong.getMessage().contains("at most 23 hours"), tooLong.getMessage());
    }

    @Test
    void sparkSettingsAreReadNestedOrQuotedAndOnlySparkKeysAreTaken() {
        JobsConfig config = JobsConfig.from(ConfigFactory.parseString("""
                clickstream.spark.settings {
                  spark.hadoop.fs.s3a.path.style.access = true
                  "spark.hadoop.fs.s3a.endpoint" = "http://minio:9000"
                }
                """).withFallback(ConfigFactory.defaultReference()).resolve());
        assertEquals(java.util.Map.of("spark.hadoop.fs.s3a.path.style.access", "true", "spark.hadoop.fs.s3a.endpoint", "http://minio:9000"),
                config.spark().settings());
        assertEquals(java.util.Map.of(), JobsConfig.from(ConfigFactory.defaultReference().resolve()).spark().settings());
        IllegalArgumentException notSpark = assertThrows(IllegalArgumentException.class, () -> JobsConfig.from(ConfigFactory.parseString(
                "clickstream.spark.settings { \"fs.s3a.endpoint\" = x }").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(notSpark.getMessage().contains("(spark.*), got fs.s3a.endpoint"), notSpark.getMessage());
    }
}
