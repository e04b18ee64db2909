package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.clickstream.ingest.config.IngestConfig;
import io.clickstream.ingest.auth.WriteKey;
import java.io.File;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Pins the defaults and keeps the shipped example files parseable. */
class IngestConfigTest {
    private static final String KEY = "ingest.privacy.pseudonymisation-key = \"0123456789abcdef0123456789abcdef\"\n"
            + "ingest.auth.write-keys = \"web:web-key-0123456789abc:500, mobile:mobile-key-0123456789:50\"";

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
        assertEquals(List.of("web", "mobile"), config.auth().writeKeys().stream().map(WriteKey::name).toList());
        assertEquals(50, config.auth().writeKeys().get(1).eventsPerSecond());
        assertFalse(config.toString().contains("web-key-0123456789abc"), "write keys must not be printed");
        assertTrue(config.http().corsOrigins().isEmpty(), "no origin is allowed unless configured");
        assertTrue(config.http().trustedProxies().isEmpty(), "no forwarding header is believed unless its proxies are configured");
        assertEquals("X-Forwarded-For", config.http().trustedProxies().header());
        assertEquals(5000, config.kafka().deliveryTimeoutMs());
        assertEquals(16384, config.kafka().batchBytes(), "Kafka's own default batch size");
        assertEquals("work/spool", config.spool().directory());
        assertEquals(1024L * 1024 * 1024, config.spool().maxBytes());
        assertEquals(16L * 1024 * 1024, config.spool().segmentBytes());
        assertEquals(Duration.ofSeconds(1), config.spool().replayInterval());
        assertTrue(config.live().enabled());
        assertEquals("lms_clickstream_live", config.live().topic());
        assertEquals(Duration.ofMinutes(5), config.live().activeWindow());
        assertEquals("", config.live().readToken());
        assertEquals("", config.demo().writeKeyName(), "the demo is off unless a key is named for it");
    }

    @Test
    void demoKeyMustBeAConfiguredWriteKeyAndTheReadTokenIsNotPrinted() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> IngestConfig.from(
                ConfigFactory.parseString(KEY + "\ningest.demo.write-key-name = browser").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(error.getMessage().contains("ingest.demo.write-key-name"), error.getMessage());
        IngestConfig config = IngestConfig.from(ConfigFactory.parseString(KEY + "\ningest.demo.write-key-name = web\n"
                + "ingest.live.read-token = \"dashboard-token-123\"").withFallback(ConfigFactory.defaultReference()).resolve());
        assertEquals("web", config.demo().writeKeyName());
        assertFalse(config.toString().contains("dashboard-token-123"), "the read token must not be printed");
    }

    @Test
    void missingWriteKeysNameTheVariableAndBadEntriesTheirPosition() {
        String onlyHmac = "ingest.privacy.pseudonymisation-key = \"0123456789abcdef0123456789abcdef\"";
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> IngestConfig.from(ConfigFactory.parseString(onlyHmac).withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(missing.getMessage().contains("INGEST_WRITE_KEYS"), missing.getMessage());
        IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class, () -> IngestConfig.from(
                ConfigFactory.parseString(onlyHmac + "\ningest.auth.write-keys = \"web:web-key-0123456789abc:500,secret-without-name\"")
                        .withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(malformed.getMessage().contains("entry 2"), malformed.getMessage());
        assertFalse(malformed.getMessage().contains("secret-without-name"), "the secret must not be echoed");
    }

    @Test
    void trustedProxiesAreReadAndABadOneStopsTheStart() {
        IngestConfig config = IngestConfig.from(ConfigFactory.parseString(KEY + "\ningest.http.trusted-proxies = \"10.0.0.0/8, 192.168.0.7\"\n"
                + "ingest.http.forwarded-header = Forwarded").withFallback(ConfigFactory.defaultReference()).resolve());
        assertEquals("Forwarded", config.http().trustedProxies().header());
        assertEquals("203.0.113.9", config.http().trustedProxies().clientAddress("192.168.0.7", List.of("for=203.0.113.9")));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> IngestConfig.from(ConfigFactory.parseString(
                KEY + "\ningest.http.trusted-proxies = \"10.0.0.0/8, lb.internal\"").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(error.getMessage().contains("INGEST_TRUSTED_PROXIES") && error.getMessage().contains("lb.internal"), error.getMessage());
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
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> IngestConfig.from(
                ConfigFactory.parseString(KEY + "\ningest.kafka.batch-bytes = 10").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(batch.getMessage().contains("ingest.kafka.batch-bytes"), batch.getMessage());
    }

    @Test
    void corsOriginsAreReadInTheFormBrowsersSendAndAMalformedOneNamesTheVariable() {
        IngestConfig config = IngestConfig.from(ConfigFactory.parseString(KEY + "\ningest.http.cors-origins = \"HTTPS://LMS.example.edu:443/, https://*.example.org\"")
                .withFallback(ConfigFactory.defaultReference()).resolve());
        assertTrue(config.http().corsOrigins().allows("https://lms.example.edu"));
        assertTrue(config.http().corsOrigins().allows("https://courses.example.org"));
        assertFalse(config.http().corsOrigins().allows("https://example.org.evil.example"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> IngestConfig.from(
                ConfigFactory.parseString(KEY + "\ningest.http.cors-origins = \"lms.example.edu\"").withFallback(ConfigFactory.defaultReference()).resolve()));
        assertTrue(error.getMessage().contains("INGEST_CORS_ORIGINS") && error.getMessage().contains("'lms.example.edu'"), error.getMessage());
    }

    @Test
    void shippedExamplesParse() {
        for (String example : new String[] {"examples/ingest-minimal.conf", "examples/ingest-reference.conf"}) {
            // Secrets come from the environment in real use; here they are layered over the example.
            IngestConfig config = IngestConfig.from(ConfigFactory.parseString(KEY).withFallback(ConfigFactory.parseFile(new File(example)))
                    .withFallback(ConfigFactory.defaultReference()).resolve());
            assertEquals("lms_clickstream", config.kafka().topic(), example);
        }
    }
}
