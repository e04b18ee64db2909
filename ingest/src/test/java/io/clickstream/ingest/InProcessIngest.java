package io.clickstream.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.auth.WriteKey;
import io.clickstream.ingest.auth.WriteKeys;
import io.clickstream.ingest.config.AllowedOrigins;
import io.clickstream.ingest.config.IngestConfig;
import io.clickstream.ingest.http.IngestServer;
import io.clickstream.ingest.live.LiveApi;
import io.clickstream.ingest.live.LiveState;
import io.clickstream.ingest.privacy.IpTruncator;
import io.clickstream.ingest.validation.EventValidator;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.Pseudonymiser;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * The real HTTP server, validator and pseudonymiser on a loopback port, storing into a
 * {@link RecordingSink} (topics "good" and "bad"). Batches of at most 3 events, bodies of at most 4 KiB.
 */
final class InProcessIngest implements AutoCloseable {
    static final String HMAC_KEY = "test-key-test-key-test-key-test-key";
    static final String WRITE_KEY = "web-write-key-0123456789";
    /** Limited to 5 events/s, to test rate limits. */
    static final String SLOW_WRITE_KEY = "mobile-write-key-abcdefghij";

    final ObjectMapper mapper = new ObjectMapper();
    final RecordingSink sink = new RecordingSink();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final IngestServer server;
    /** The live view the analytics routes serve; tests apply live-topic records to it directly. */
    final LiveState liveState = new LiveState(mapper, Duration.ofMinutes(5));
    final LiveApi liveApi = new LiveApi(liveState, mapper, System::currentTimeMillis, "");
    private boolean closed;

    InProcessIngest() {
        this(List.of("https://lms.example.edu"));
    }

    /** {@code corsOrigins}: the browser origins allowed to call it (ingest.http.cors-origins). */
    InProcessIngest(List<String> corsOrigins) {
        this(corsOrigins, io.clickstream.ingest.config.TrustedProxies.none());
    }

    /** As {@link #InProcessIngest(List)}, behind {@code trustedProxies} (ingest.http.trusted-proxies). */
    InProcessIngest(List<String> corsOrigins, io.clickstream.ingest.config.TrustedProxies trustedProxies) {
        EventContract contract = EventContract.current();
        IngestMetrics metrics = new IngestMetrics(registry);
        TrackService service = new TrackService(mapper, contract,
                new EventValidator(contract, Clock.systemUTC(), Duration.ofMinutes(10), Duration.ofDays(30)),
                new Pseudonymiser(HMAC_KEY), new IpTruncator(24, 48), sink, "good", "bad", 3, Clock.systemUTC(), metrics);
        WriteKeys writeKeys = new WriteKeys(List.of(new WriteKey("web", WRITE_KEY, 10_000), new WriteKey("mobile", SLOW_WRITE_KEY, 5)),
                System::nanoTime);
        server = new IngestServer(new IngestConfig.Http("127.0.0.1", 0, 4096, 3, AllowedOrigins.parse(corsOrigins), trustedProxies,
                Duration.ofSeconds(10)), mapper, service,
                writeKeys, metrics, registry::scrape, liveApi, writeKeys.authenticateKey(WRITE_KEY).orElseThrow()).start();
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    static String basic(String key) {
        return "Basic " + Base64.getEncoder().encodeToString((key + ":").getBytes(StandardCharsets.UTF_8));
    }

    /** Closes once (the server ends the live API's streams); a second call does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            server.close();
        }
    }
}
