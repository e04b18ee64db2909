package io.clickstream.ingest.live;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real-time API over a {@link LiveState}: {@code GET /analytics/live-users},
 * {@code /analytics/top-pages?limit=N}, {@code /analytics/live-actions?limit=N},
 * {@code /analytics/snapshot} (all of it), and {@code /analytics/stream}, server-sent events that
 * push a {@code snapshot} each second to every open dashboard.
 */
public final class LiveApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveApi.class);
    static final int DEFAULT_PAGES = 10;
    static final int DEFAULT_ACTIONS = 30;
    static final int MAX_LIMIT = 200;

    private final LiveState state;
    private final ObjectMapper mapper;
    private final LongSupplier clock;
    private final byte[] readTokenDigest;
    private final Set<SseClient> streams = ConcurrentHashMap.newKeySet();
    /** Set by {@link #close}: a stream opened afterwards is ended at once. */
    private volatile boolean closed;
    private final ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "live-stream");
        thread.setDaemon(true);
        return thread;
    });

    /** {@code readToken}: empty for an open API, else what a reader must present. */
    public LiveApi(LiveState state, ObjectMapper mapper, LongSupplier clock, String readToken) {
        this.state = requireNonNull(state, "state is null");
        this.mapper = requireNonNull(mapper, "mapper is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.readTokenDigest = requireNonNull(readToken, "readToken is null").isEmpty() ? null : digest(readToken);
        pusher.scheduleAtFixedRate(this::push, 1, 1, TimeUnit.SECONDS);
    }

    public void addRoutes(JavalinConfig javalin) {
        javalin.routes.get("/analytics/live-users", ctx -> answer(ctx, () -> {
            long now = clock.getAsLong();
            ObjectNode body = mapper.createObjectNode();
            body.put("as_of", now);
            body.put("active_users", state.activeUsers(now));
            body.put("active_window_seconds", state.activeWindow().toSeconds());
            body.set("pipeline", state.pipeline(now));
            return body;
        }));
        javalin.routes.get("/analytics/top-pages", ctx -> answer(ctx, () -> {
            long now = clock.getAsLong();
            ObjectNode body = mapper.createObjectNode();
            body.put("as_of", now);
            body.put("window_seconds", state.activeWindow().toSeconds());
            body.set("pages", state.topPages(now, limit(ctx, DEFAULT_PAGES)));
            return body;
        }));
        javalin.routes.get("/analytics/live-actions", ctx -> answer(ctx, () -> {
            ObjectNode body = mapper.createObjectNode();
            body.put("as_of", clock.getAsLong());
            body.set("actions", state.recentActions(limit(ctx, DEFAULT_ACTIONS)));
            return body;
        }));
        javalin.routes.get("/analytics/snapshot", ctx -> answer(ctx, () -> snapshot()));
        SseHandler stream = new SseHandler(client -> {
            client.keepAlive();
            client.onClose(() -> streams.remove(client));
            streams.add(client);
            // Checked after adding: close() either sees this stream or this sees closed.
            if (closed) {
                streams.remove(client);
                client.close();
                return;
            }
            // A new dashboard shows numbers at once, not a second later.
            client.sendEvent("snapshot", snapshotText());
        });
        javalin.routes.get("/analytics/stream", ctx -> {
            if (authorised(ctx)) {
                stream.handle(ctx);
            }
        });
    }

    private ObjectNode snapshot() {
        return state.snapshot(clock.getAsLong(), DEFAULT_PAGES, DEFAULT_ACTIONS);
    }

    private String snapshotText() {
        return snapshot().toString();
    }

    private void push() {
        if (streams.isEmpty()) {
            return;
        }
        try {
            String snapshot = snapshotText();
            for (SseClient client : streams) {
                if (client.terminated()) {
                    streams.remove(client);
                }
                else {
                    client.sendEvent("snapshot", snapshot);
                }
            }
        }
        catch (RuntimeException e) {
            // One broken stream must not stop the others' updates: the scheduler would cancel the task on a throw.
            LOG.debug("live stream push failed: {}", e.toString());
        }
    }

    private interface Body {
        ObjectNode build();
    }

    private void answer(Context ctx, Body body) {
        if (!authorised(ctx)) {
            return;
        }
        ctx.header("Cache-Control", "no-store");
        ctx.contentType("application/json").result(body.build().toString());
    }

    private int limit(Context ctx, int fallback) {
        String text = ctx.queryParam("limit");
        if (text == null) {
            return fallback;
        }
        try {
            int limit = Integer.parseInt(text.trim());
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        }
        catch (NumberFormatException e) {
            // Answered below.
        }
        throw new io.javalin.http.BadRequestResponse("limit must be a whole number from 1 to " + MAX_LIMIT + ", got '" + text + "'");
    }

    /** With a read token configured: the token as a Bearer header or a {@code token} query parameter (EventSource cannot send headers). */
    private boolean authorised(Context ctx) {
        if (readTokenDigest == null) {
            return true;
        }
        String header = ctx.header("Authorization");
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : ctx.queryParam("token");
        if (presented != null && MessageDigest.isEqual(digest(presented), readTokenDigest)) {
            return true;
        }
        ctx.status(401).contentType("application/json").result(mapper.createObjectNode()
                .put("error", "missing or wrong read token: send 'Authorization: Bearer TOKEN' or ?token=TOKEN").toString());
        return false;
    }

    private static byte[] digest(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        }
        catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Stops the pushes and ends every open stream (a dashboard's EventSource then reconnects elsewhere); streams opened
     * later are ended at once. Open streams never end on their own, so the server's graceful stop, which waits for the
     * requests in flight, needs this first.
     */
    @Override
    public void close() {
        closed = true;
        pusher.shutdownNow();
        streams.forEach(SseClient::close);
        streams.clear();
    }
}
