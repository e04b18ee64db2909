package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.clickstream.ingest.config.IngestConfig;
import java.io.File;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Pins the defaults and keeps the shipped example files parseable. */
class IngestConfigTest {
    private static final String KEY = "ingest.privacy.pseudonymisation-key = \"0123456789abcdef0123456789abcdef\"";

    @Test
    void defaults() {
        IngestConfig config = IngestConfig.from(ConfigFactory.parseString(KEY).withFallback(ConfigFactory.defaultReference()).resolve());
        assertEquals(8080, config.http().port());
        assertEquals("127.0.0.1", config.http().host());
        assertEquals("127.0.0.1:9092", config.kafka().bootstrapServers());
        assertEquals("lms_clickstream", config.kafka().topic());
        assertEquals("lms_clickstream_dlq", config.kafka().deadLetterTopic());
        assertEquals(24, config.privacy().ipv4PrefixBits());
        assertEquals(Duration.ofDays(30), config.validation().maxEventAge());
        assertFalse(config.toString().contains("0123456789abcdef"), "the key must not be printed");
    }

    @Test
    void missingKeyNamesTheVariable() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> IngestConfig.from(ConfigFactory.defaultReference().resolve()));
        assertTrue(error.getMessage().contains("CLICKSTREAM_PSEUDONYMISATION_KEY"), error.getMessage());
    }

    @Test
    void outOfRangeValueNamesTheKey() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> IngestConfig.from(
                ConfigFactory.parseString(KEY + "\ningest.http.max-batch-events = 0").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(error.getMessage().contains("ingest.http.max-batch-events"), error.getMessage());
    }

    @Test
    void shippedExamplesParse() {
        for (String example : new String[] {"examples/ingest-minimal.conf", "examples/ingest-reference.conf"}) {
            IngestConfig config = IngestConfig.from(ConfigFactory.parseFile(new File(example))
                    .withFallback(ConfigFactory.parseString(KEY)).withFallback(ConfigFactory.defaultReference()).resolve());
            assertEquals("lms_clickstream", config.kafka().topic(), example);
        }
    }
}
