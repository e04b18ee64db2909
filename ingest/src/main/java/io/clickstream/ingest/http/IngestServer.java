package io.clickstream.ingest.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.ClientInfo;
import io.clickstream.ingest.IngestMetrics;
import io.clickstream.ingest.TrackResponse;
import io.clickstream.ingest.TrackService;
import io.clickstream.ingest.auth.WriteKey;
import io.clickstream.ingest.auth.WriteKeys;
import io.clickstream.ingest.config.IngestConfig;
import io.clickstream.ingest.live.LiveApi;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

/**
 * The HTTP face of the collector: checks the write key and its rate, reads and bounds the body,
 * hands it to {@link TrackService}, writes the answer.
 */
public final class IngestServer implements AutoCloseable {
    private static final Set<String> ROUTES = Set.of("/v1/track", "/v1/page", "/v1/screen", "/v1/identify", "/v1/batch",
            "/health", "/ready", "/metrics", "/analytics/live-users", "/analytics/top-pages", "/analytics/live-actions",
            "/analytics/snapshot", "/analytics/stream", "/demo/config.json");

    private final Javalin app;
    private final ObjectMapper mapper;
    private final TrackService service;
    private final WriteKeys writeKeys;
    private final IngestMetrics metrics;
    private final int maxBodyBytes;
    private final int maxBatchEvents;

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
        this.writeKeys = requireNonNull(writeKeys, "writeKeys is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.maxBodyBytes = config.maxBodyBytes();
        this.maxBatchEvents = config.maxBatchEvents();
        this.app = Javalin.create(javalin -> {
            javalin.jetty.host = config.host();
            javalin.jetty.port = config.port();
            javalin.startup.showJavalinBanner = false;
            javalin.http.maxRequestSize = config.maxBodyBytes();
            // Stopping waits for requests in flight (their events are being acknowledged) instead of cutting them off;
            // Javalin nests its own handler inside this wrapper.
            javalin.jetty.modifyServer(server -> {
                server.setHandler(new org.eclipse.jetty.server.handler.GracefulHandler());
                server.setStopTimeout(config.drainTimeout().toMillis());
            });
            if (!config.corsOrigins().isEmpty()) {
                javalin.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
                    rule.allowHost(config.corsOrigins().get(0),
                            config.corsOrigins().subList(1, config.corsOrigins().size()).toArray(String[]::new));
                    rule.maxAge = 600;
                }));
            }
            javalin.routes.post("/v1/track", ctx -> track(ctx, "track"));
            // Segment-spec routes: analytics SDKs send here unchanged.
            javalin.routes.post("/v1/page", ctx -> track(ctx, "page"));
            javalin.routes.post("/v1/screen", ctx -> track(ctx, "screen"));
            javalin.routes.post("/v1/identify", ctx -> track(ctx, "identify"));
            javalin.routes.post("/v1/batch", ctx -> track(ctx, null));
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

    @Override
    public void close() {
        app.stop();
    }

    /** {@code segmentType}: "track" (LMS or Segment, by shape), "page", "screen", "identify", or null for a Segment batch. */
    private void track(Context ctx, String segmentType) {
        // navigator.sendBeacon cannot set headers: the tracker's page-hide flush names its key in the query instead.
        String writeKeyParameter = ctx.header("Authorization") == null ? ctx.queryParam("writeKey") : null;
        Optional<WriteKey> writeKey = writeKeyParameter != null ? writeKeys.authenticateKey(writeKeyParameter)
                : writeKeys.authenticate(ctx.header("Authorization"));
        if (writeKey.isEmpty()) {
            ctx.header("WWW-Authenticate", "Basic realm=\"clickstream\"");
            json(ctx, 401, Map.of("error", "missing or unknown write key: send it as the HTTP Basic user name, as 'Authorization: Bearer KEY' "
                    + "or, from navigator.sendBeacon, as ?writeKey=KEY"));
            return;
        }
        String contentType = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        // text/plain is what navigator.sendBeacon sends; its body is still JSON.
        if (!contentType.isEmpty() && !contentType.startsWith("application/json") && !contentType.startsWith("text/plain")) {
            json(ctx, 415, Map.of("error", "Content-Type must be application/json or text/plain, got " + ctx.contentType()));
            return;
        }
        // A key already over its limit is refused before its body is read and checked; otherwise the
        // request's events are counted first and admitted all or none below.
        long retryAfterAny = writeKeys.waitForAny(writeKey.get());
        if (retryAfterAny > 0) {
            overLimit(ctx, writeKey.get(), retryAfterAny);
            return;
        }
        byte[] body;
        try {
            body = readBounded(ctx);
        }
        catch (BodyTooLargeException e) {
            json(ctx, 413, Map.of("error", "the body is larger than the limit of " + maxBodyBytes + " bytes"));
            return;
        }
        catch (IOException e) {
            json(ctx, 400, Map.of("error", "the body could not be read: " + e.getMessage()));
            return;
        }
        ClientInfo client = new ClientInfo(ctx.ip(), ctx.header("User-Agent"), writeKey.get().name());
        TrackService.Prepared prepared = service.prepare(body, segmentType, client);
        if (prepared.answer() != null) {
            answer(ctx, prepared.answer());
            return;
        }
        if (prepared.events() <= maxBatchEvents) {
            long retryAfter = writeKeys.admit(writeKey.get(), prepared.events());
            if (retryAfter > 0) {
                overLimit(ctx, writeKey.get(), retryAfter);
                return;
            }
        }
        ctx.future(() -> prepared.send().thenAccept(answer -> {
            if (answer.status() == 503) {
                ctx.header("Retry-After", "5");
            }
            answer(ctx, answer);
        }));
    }

    private void overLimit(Context ctx, WriteKey writeKey, long retryAfter) {
        ctx.header("Retry-After", String.valueOf(retryAfter));
        json(ctx, 429, Map.of("error", "write key '" + writeKey.name() + "' is over its limit of " + writeKey.eventsPerSecond()
                + " events/s; retry after " + retryAfter + " s"));
    }

    private static void answer(Context ctx, TrackResponse answer) {
        writeJson(ctx, answer.status(), answer.body());
    }

    /**
     * Writes a JSON answer to the response's stream. Javalin's {@code result(bytes)} copies a result through a new
     * buffer of Jetty's output size (32 KiB) for every response, most of what a single-event request allocated.
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

    private byte[] readBounded(Context ctx) throws IOException {
        InputStream in = ctx.bodyInputStream();
        String encoding = ctx.header("Content-Encoding");
        if (encoding != null && encoding.equalsIgnoreCase("gzip")) {
            in = new GZIPInputStream(in);
        }
        else if (ctx.contentLength() >= 0) {
            // The usual case: the size is known, so the body is read once into an array of that size.
            if (ctx.contentLength() > maxBodyBytes) {
                throw new BodyTooLargeException();
            }
            byte[] body = in.readNBytes(ctx.contentLength());
            if (body.length < ctx.contentLength()) {
                throw new IOException("the body ended after " + body.length + " of " + ctx.contentLength() + " bytes");
            }
            return body;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = in.read(buffer)) != -1) {
            if (out.size() + read > maxBodyBytes) {
                throw new BodyTooLargeException();
            }
            out.write(buffer, 0, read);
        }
        return out.toByteArray();
    }

    private void json(Context ctx, int status, Object body) {
        try {
            writeJson(ctx, status, mapper.writeValueAsBytes(body));
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response", e);
        }
    }

    private static final class BodyTooLargeException extends IOException {
        BodyTooLargeException() {
            super("body too large");
        }
    }
}
