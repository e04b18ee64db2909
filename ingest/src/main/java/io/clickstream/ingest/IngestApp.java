package io.clickstream.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.auth.WriteKey;
import io.clickstream.ingest.auth.WriteKeys;
import io.clickstream.ingest.live.LiveApi;
import io.clickstream.ingest.live.LiveState;
import io.clickstream.ingest.live.LiveView;
import io.clickstream.ingest.config.IngestConfig;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.clickstream.ingest.http.IngestServer;
import io.clickstream.ingest.privacy.IpTruncator;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.KafkaEventSink;
import io.clickstream.ingest.spool.DiskSpool;
import io.clickstream.ingest.spool.SpoolingSink;
import io.clickstream.ingest.validation.EventValidator;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.Pseudonymiser;
import java.io.File;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest service: wiring only.
 *
 * <p>How to run (after {@code mvn package}): {@code CLICKSTREAM_PSEUDONYMISATION_KEY=... java -cp
 * 'ingest/target/ingest-0.1.0-SNAPSHOT.jar:ingest/target/lib/*' io.clickstream.ingest.IngestApp [--config FILE]}.
 * It prints {@code ingest listening on http://127.0.0.1:8080} once it takes requests.
 */
public final class IngestApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestApp.class);

    private final EventSink sink;
    private final IngestServer server;
    private final LiveView liveView;

    private IngestApp(EventSink sink, IngestServer server, LiveView liveView) {
        this.sink = sink;
        this.server = server;
        this.liveView = liveView;
    }

    /** Builds every resource from the configuration and starts listening. */
    public static IngestApp start(IngestConfig config) {
        ObjectMapper mapper = new ObjectMapper();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        IngestMetrics metrics = new IngestMetrics(registry);
        EventContract contract = EventContract.current();
        DiskSpool spool;
        try {
            spool = new DiskSpool(java.nio.file.Path.of(config.spool().directory()), config.spool().maxBytes(), config.spool().segmentBytes());
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot open the spool directory " + config.spool().directory(), e);
        }
        io.micrometer.core.instrument.Gauge.builder("clickstream.ingest.spool.records", spool, DiskSpool::records)
                .description("Records waiting in the local spool for the broker").register(registry);
        io.micrometer.core.instrument.Gauge.builder("clickstream.ingest.spool.bytes", spool, DiskSpool::bytes)
                .description("Bytes of the local spool").register(registry);
        EventSink sink = new SpoolingSink(new KafkaEventSink(config.kafka()), spool, config.spool().replayInterval(),
                config.spool().inDoubtSettle());
        TrackService service = new TrackService(
                mapper,
                contract,
                new EventValidator(contract, Clock.systemUTC(), config.validation().maxClockSkew(), config.validation().maxEventAge()),
                new Pseudonymiser(config.privacy().pseudonymisationKey()),
                new IpTruncator(config.privacy().ipv4PrefixBits(), config.privacy().ipv6PrefixBits()),
                sink,
                config.kafka().topic(),
                config.kafka().deadLetterTopic(),
                config.http().maxBatchEvents(),
                Clock.systemUTC(),
                metrics);
        WriteKeys writeKeys = new WriteKeys(config.auth().writeKeys(), System::nanoTime);
        LiveView liveView = null;
        LiveApi liveApi = null;
        if (config.live().enabled()) {
            LiveState liveState = new LiveState(mapper, config.live().activeWindow());
            liveView = new LiveView(liveState, config.kafka().bootstrapServers(), config.live().topic(), mapper, System::currentTimeMillis)
                    .start();
            liveApi = new LiveApi(liveState, mapper, System::currentTimeMillis, config.live().readToken());
        }
        WriteKey demoWriteKey = config.auth().writeKeys().stream().filter(key -> key.name().equals(config.demo().writeKeyName())).findFirst()
                .orElse(null);
        IngestServer server = new IngestServer(config.http(), mapper, service, writeKeys, metrics, registry::scrape, liveApi, demoWriteKey)
                .start();
        LOG.info("ingest listening on http://{}:{} publishing to {} at {}; write keys: {}", config.http().host(), server.port(),
                config.kafka().topic(), config.kafka().bootstrapServers(),
                config.auth().writeKeys().stream().map(key -> key.name()).toList());
        if (liveApi != null) {
            LOG.info("live dashboard on http://{}:{}/live/ reading {}", config.http().host(), server.port(), config.live().topic());
        }
        if (demoWriteKey != null) {
            LOG.info("demo LMS on http://{}:{}/demo/ sending with write key {}", config.http().host(), server.port(), demoWriteKey.name());
        }
        return new IngestApp(sink, server, liveView);
    }

    public int port() {
        return server.port();
    }

    /** Stops taking requests first (the live streams ended), then flushes what the producer still holds. */
    @Override
    public void close() {
        server.close();
        if (liveView != null) {
            liveView.close();
        }
        sink.close();
    }

    public static void main(String[] args) throws InterruptedException {
        File configFile = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                configFile = new File(args[++i]);
            }
            else {
                System.err.println("usage: IngestApp [--config FILE]");
                System.exit(2);
            }
        }
        IngestConfig config;
        try {
            config = IngestConfig.load(configFile);
        }
        catch (IllegalArgumentException e) {
            System.err.println("ingest: " + e.getMessage());
            System.exit(2);
            return;
        }
        IngestApp app = start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("ingest stopping: draining in-flight requests");
            app.close();
            stopped.countDown();
        }, "ingest-shutdown"));
        stopped.await();
    }
}
