package io.clickstream.ingest.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.IngestMetrics;
import io.clickstream.ingest.TrackService;
import io.clickstream.ingest.auth.WriteKey;
import io.clickstream.ingest.auth.WriteKeys;
import io.clickstream.ingest.config.IngestConfig;
import io.clickstream.ingest.live.LiveApi;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The HTTP face of the collector: the event routes ({@link TrackHandler}, on Jetty's own request API), then
 * Javalin for the rest: health, readiness, metrics, the live API and dashboard, the demo pages. CORS, for every route,
 * is answered ahead of both ({@link CrossOrigin}).
 */
public final class IngestServer implements AutoCloseable {
    /** Javalin's routes, by which its requests are counted (TrackHandler counts the event routes'). */
    private static final Set<String> ROUTES = Set.of("/health", "/ready", "/metrics", "/analytics/live-users", "/analytics/top-pages", "/analytics/live-actions",
            "/analytics/snapshot", "/analytics/stream", "/demo/config.json");

    private final Javalin app;
    private final LiveApi liveApi;
    private final ObjectMapper mapper;
    private final TrackService service;

    /**
     * {@code scrape} renders the metrics registry in Prometheus' text format; {@code liveApi} is
     * null when the live view is off; {@code demoWriteKey} is the key the demo LMS pages send
     * with, null when the demo is off.
     */
    public IngestServer(IngestConfig.Http config, ObjectMapper mapper, TrackService service, WriteKeys writeKeys, IngestMetrics metrics,
            Supplier<String> scrape, LiveApi liveApi, WriteKey demoWriteKey) {
        requireNonNull(config, "config is null");
        requireNonNull(scrape, "scrape is null");
        this.mapper = requireNonNull(mapper, "mapper is null");
        this.service = requireNonNull(service, "service is null");
        requireNonNull(writeKeys, "writeKeys is null");
        requireNonNull(metrics, "metrics is null");
        this.liveApi = liveApi;
        this.app = Javalin.create(javalin -> {
            javalin.jetty.host = config.host();
            javalin.jetty.port = config.port();
            javalin.startup.showJavalinBanner = false;
            javalin.http.maxRequestSize = config.maxBodyBytes();
            // Stopping waits for requests in flight (their events are being acknowledged) instead of cutting them off.
            // The event routes are answered by TrackHandler, ahead of Javalin; Javalin nests its own handler inside it.
            javalin.jetty.modifyServer(server -> {
                server.setHandler(new org.eclipse.jetty.server.handler.GracefulHandler(new TrackHandler(mapper, service, writeKeys, metrics,
                        config.maxBodyBytes(), config.maxBatchEvents(), config.corsOrigins(), config.trustedProxies())));
                server.setStopTimeout(config.drainTimeout().toMillis());
            });
            javalin.routes.get("/health", ctx -> json(ctx, 200, Map.of("status", "ok")));
            javalin.routes.get("/ready", this::ready);
            javalin.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(scrape.get()));
            // The pages: the live dashboard, the demo LMS and the browser tracker, from the jar.
            javalin.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = "/public";
                files.location = Location.CLASSPATH;
                files.skipFileFunction = request -> demoWriteKey == null && request.getRequestURI().startsWith("/demo/");
            });
            javalin.routes.get("/", ctx -> ctx.redirect("/live/"));
            javalin.routes.get("/demo/config.json", ctx -> {
                if (demoWriteKey == null) {
                    json(ctx, 404, Map.of("error", "the demo LMS is off: set ingest.demo.write-key-name (INGEST_DEMO_WRITE_KEY_NAME)"));
                }
                else {
                    // Same origin: the pages send to the server that served them.
                    json(ctx, 200, Map.of("writeKey", demoWriteKey.secret(), "endpoint", ""));
                }
            });
            if (liveApi != null) {
                liveApi.addRoutes(javalin);
            }
            else {
                javalin.routes.get("/analytics/*", ctx -> json(ctx, 404, Map.of("error", "the live view is off (ingest.live.enabled = false)")));
            }
            javalin.routes.after(ctx -> metrics.request(ROUTES.contains(ctx.path()) ? ctx.path() : "other", ctx.statusCode()));
        });
    }

    public IngestServer start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    /**
     * Ends the live streams, then stops gracefully: new requests are refused, those in flight get up to the drain
     * timeout to be answered. A live stream never ends on its own, so the stop would wait its whole drain timeout for
     * every open dashboard.
     */
    @Override
    public void close() {
        if (liveApi != null) {
            liveApi.close();
        }
        app.stop();
    }

    /**
     * Writes a JSON answer to the response's stream. Javalin's {@code result(bytes)} copies a result through a new
     * buffer of Jetty's output size (32 KiB) for every response.
     */
    private static void writeJson(Context ctx, int status, byte[] body) {
        ctx.status(status).contentType("application/json");
        try {
            ctx.outputStream().write(body);
        }
        catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the answer", e);
        }
    }

    private void ready(Context ctx) {
        boolean ready = service.isReady();
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("status", ready ? "ready" : "broker unreachable and spool full");
        body.putAll(service.sinkState());
        json(ctx, ready ? 200 : 503, body);
    }

    private void json(Context ctx, int status, Object body) {
        try {
            writeJson(ctx, status, mapper.writeValueAsBytes(body));
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response", e);
        }
    }
}
