package io.clickstream.ingest.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.ClientInfo;
import io.clickstream.ingest.IngestMetrics;
import io.clickstream.ingest.TrackService;
import io.clickstream.ingest.auth.WriteKey;
import io.clickstream.ingest.auth.WriteKeys;
import io.clickstream.ingest.config.AllowedOrigins;
import io.clickstream.ingest.config.TrustedProxies;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event routes ({@code POST /v1/track} and Segment's {@code /v1/page}, {@code /v1/screen}, {@code /v1/identify},
 * {@code /v1/group}, {@code /v1/alias}, {@code /v1/batch}, and the short forms Segment's browser library posts to:
 * {@code /v1/t}, {@code /v1/p}, ...) on Jetty's own request API, ahead of Javalin: checks the write key and its rate, reads and bounds
 * the body, hands it to {@link TrackService}, and writes the answer from the thread that saw the events stored.
 * CORS is answered here for every route ({@link CrossOrigin}); every other request passes to the wrapped handler, Javalin.
 *
 * <p>These routes carry nearly all of the traffic, one small request per student action. Through Javalin they
 * paid for the servlet layer on every request (request and response wrappers, routing, an asynchronous
 * servlet context and its re-dispatch to answer), several times what the collector's own work costs.
 */
final class TrackHandler extends Handler.Wrapper {
    private static final Logger LOG = LoggerFactory.getLogger(TrackHandler.class);
    private static final JsonFactory JSON = new JsonFactory();
    static final String RATE_LIMIT_RESET = "X-RateLimit-Reset";
    private static final byte[] INTERNAL_ERROR = "{\"error\":\"internal error; send the request again (events are kept once per event_id)\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private final ObjectMapper mapper;
    private final TrackService service;
    private final WriteKeys writeKeys;
    private final IngestMetrics metrics;
    private final int maxBodyBytes;
    private final int maxBatchEvents;
    private final CrossOrigin crossOrigin;
    private final TrustedProxies trustedProxies;

    TrackHandler(ObjectMapper mapper, TrackService service, WriteKeys writeKeys, IngestMetrics metrics, int maxBodyBytes, int maxBatchEvents,
            AllowedOrigins corsOrigins, TrustedProxies trustedProxies) {
        this.mapper = requireNonNull(mapper, "mapper is null");
        this.service = requireNonNull(service, "service is null");
        this.writeKeys = requireNonNull(writeKeys, "writeKeys is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.maxBodyBytes = maxBodyBytes;
        this.maxBatchEvents = maxBatchEvents;
        this.crossOrigin = new CrossOrigin(corsOrigins);
        this.trustedProxies = requireNonNull(trustedProxies, "trustedProxies is null");
    }

    /**
     * Each event route with the Segment message type it implies ({@link #segmentType}). Segment's browser library
     * (analytics.js) posts to the short forms (/v1/t, /v1/p, ...); /v1/import is the batch route's older name, still
     * used by some of Segment's libraries.
     */
    private static final Map<String, String> ROUTE_TYPES = Map.ofEntries(
            Map.entry("/v1/track", "track"), Map.entry("/v1/t", "track"),
            Map.entry("/v1/page", "page"), Map.entry("/v1/p", "page"),
            Map.entry("/v1/screen", "screen"), Map.entry("/v1/s", "screen"),
            Map.entry("/v1/identify", "identify"), Map.entry("/v1/i", "identify"),
            Map.entry("/v1/group", "group"), Map.entry("/v1/g", "group"),
            Map.entry("/v1/alias", "alias"), Map.entry("/v1/a", "alias"),
            Map.entry("/v1/batch", "batch"), Map.entry("/v1/b", "batch"), Map.entry("/v1/import", "batch"));

    /** The route a path names (a trailing slash ignored, as Javalin does), or null when it is not an event route. */
    static String route(String path) {
        String route = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return ROUTE_TYPES.containsKey(route) ? route : null;
    }

    /**
     * What {@link TrackService#prepare} takes for an event route: "track" (an LMS event or batch, or a Segment message,
     * by shape), the Segment message type the route implies ("page", "screen", "identify", "group", "alias"), or null
     * for a Segment batch.
     */
    static String segmentType(String route) {
        String type = ROUTE_TYPES.get(route);
        if (type == null) {
            throw new IllegalArgumentException("not an event route: " + route);
        }
        return type.equals("batch") ? null : type;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String route = route(request.getHttpURI().getPath());
        if (crossOrigin.handle(request, response, callback, route != null)) {
            return true;
        }
        if (route == null) {
            return super.handle(request, response, callback);
        }
        Exchange exchange = new Exchange(request, response, callback, route);
        if (!HttpMethod.POST.is(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "POST, OPTIONS");
            if (HttpMethod.OPTIONS.is(request.getMethod())) {
                // Not a CORS preflight (those are answered above): what the route takes.
                response.setStatus(204);
                metrics.request(route, 204);
                response.write(true, org.eclipse.jetty.util.BufferUtil.EMPTY_BUFFER, callback);
            }
            else {
                exchange.json(405, Map.of("error", route + " takes events with POST, not " + request.getMethod()));
            }
            return true;
        }
        try {
            exchange.start();
        }
        catch (RuntimeException e) {
            exchange.internalError(e);
        }
        return true;
    }

    /** One request on an event route, from its headers to its answer. */
    private final class Exchange {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final String route;
        private WriteKey writeKey;
        private byte[] body;
        private int length;
        private boolean answered;

        Exchange(Request request, Response response, Callback callback, String route) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.route = route;
        }

        void start() {
            HttpFields headers = request.getHeaders();
            String authorization = headers.get(HttpHeader.AUTHORIZATION);
            // navigator.sendBeacon cannot set headers: the tracker's page-hide flush names its key in the query instead.
            String writeKeyParameter = authorization == null ? queryParameter("writeKey") : null;
            // With neither, the key may be in the body, where Segment's browser library puts it: read once the body is.
            if (authorization != null || writeKeyParameter != null) {
                Optional<WriteKey> key = writeKeyParameter != null ? writeKeys.authenticateKey(writeKeyParameter) : writeKeys.authenticate(authorization);
                if (key.isEmpty()) {
                    unauthorized();
                    return;
                }
                writeKey = key.get();
            }
            String contentType = headers.get(HttpHeader.CONTENT_TYPE);
            String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
            // text/plain is what navigator.sendBeacon (and Segment's browser library, to spare a preflight) sends; its body is still JSON.
            if (!type.isEmpty() && !type.startsWith("application/json") && !type.startsWith("text/plain")) {
                json(415, Map.of("error", "Content-Type must be application/json or text/plain, got " + contentType));
                return;
            }
            if (writeKey != null && overItsLimit()) {
                return;
            }
            long declared = request.getLength();
            if (declared > maxBodyBytes) {
                tooLarge();
                return;
            }
            // The usual case: the size is known, so the body is read once into an array of that size.
            body = new byte[declared >= 0 ? (int) declared : 1024];
            read();
        }

        /** Reads what has arrived of the body; asks to be called again when more comes. */
        private void read() {
            try {
                while (true) {
                    Content.Chunk chunk = request.read();
                    if (chunk == null) {
                        request.demand(this::read);
                        return;
                    }
                    if (Content.Chunk.isFailure(chunk)) {
                        Throwable failure = chunk.getFailure();
                        json(400, Map.of("error", "the body could not be read: " + failure.getMessage()));
                        return;
                    }
                    ByteBuffer bytes = chunk.getByteBuffer();
                    int size = bytes.remaining();
                    if (length + size > maxBodyBytes) {
                        chunk.release();
                        tooLarge();
                        return;
                    }
                    if (length + size > body.length) {
                        body = Arrays.copyOf(body, Math.min(maxBodyBytes, Math.max(length + size, body.length * 2)));
                    }
                    bytes.get(body, length, size);
                    length += size;
                    boolean last = chunk.isLast();
                    chunk.release();
                    if (last) {
                        received();
                        return;
                    }
                }
            }
            catch (RuntimeException e) {
                internalError(e);
            }
        }

        private void received() {
            long declared = request.getLength();
            if (declared >= 0 && length < declared) {
                json(400, Map.of("error", "the body could not be read: it ended after " + length + " of " + declared + " bytes"));
                return;
            }
            byte[] events = length == body.length ? body : Arrays.copyOf(body, length);
            String encoding = request.getHeaders().get(HttpHeader.CONTENT_ENCODING);
            if (encoding != null && encoding.equalsIgnoreCase("gzip")) {
                try {
                    events = gunzip(events);
                }
                catch (BodyTooLargeException e) {
                    tooLarge();
                    return;
                }
                catch (IOException e) {
                    json(400, Map.of("error", "the body could not be read: " + e.getMessage()));
                    return;
                }
            }
            if (writeKey == null) {
                Optional<WriteKey> key = writeKeys.authenticateKey(bodyWriteKey(events));
                if (key.isEmpty()) {
                    unauthorized();
                    return;
                }
                writeKey = key.get();
                if (overItsLimit()) {
                    return;
                }
            }
            String address = trustedProxies.isEmpty() ? Request.getRemoteAddr(request)
                    : trustedProxies.clientAddress(Request.getRemoteAddr(request), request.getHeaders().getValuesList(trustedProxies.header()));
            ClientInfo client = new ClientInfo(address, request.getHeaders().get(HttpHeader.USER_AGENT), writeKey.name());
            TrackService.Prepared prepared = service.prepare(events, segmentType(route), client);
            if (prepared.answer() != null) {
                answer(prepared.answer().status(), prepared.answer().body());
                return;
            }
            if (prepared.events() <= maxBatchEvents) {
                long retryAfter = writeKeys.admit(writeKey, prepared.events());
                if (retryAfter > 0) {
                    overLimit(retryAfter);
                    return;
                }
            }
            prepared.send().whenComplete((answer, failure) -> {
                if (failure != null) {
                    internalError(failure);
                    return;
                }
                if (answer.status() == 503) {
                    response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
                }
                answer(answer.status(), answer.body());
            });
        }

        /**
         * A key already over its limit is refused before the body is checked (true: answered 429); otherwise the
         * request's events are counted once checked, and admitted all or none.
         */
        private boolean overItsLimit() {
            long retryAfterAny = writeKeys.waitForAny(writeKey);
            if (retryAfterAny > 0) {
                overLimit(retryAfterAny);
                return true;
            }
            return false;
        }

        private void unauthorized() {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"clickstream\"");
            json(401, Map.of("error", "missing or unknown write key: send it as the HTTP Basic user name, as 'Authorization: Bearer KEY', "
                    + "from navigator.sendBeacon as ?writeKey=KEY, or as the body's \"writeKey\" (as Segment's browser library does)"));
        }

        private String queryParameter(String name) {
            if (request.getHttpURI().getQuery() == null) {
                return null;
            }
            Fields parameters = Request.extractQueryParameters(request);
            return parameters.getValue(name);
        }

        private byte[] gunzip(byte[] compressed) throws IOException {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBodyBytes, compressed.length * 4));
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
        }

        private void tooLarge() {
            json(413, Map.of("error", "the body is larger than the limit of " + maxBodyBytes + " bytes"));
        }

        private void overLimit(long retryAfter) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, String.valueOf(retryAfter));
            // What Segment's browser library reads on a 429, in seconds as well.
            response.getHeaders().put(RATE_LIMIT_RESET, String.valueOf(retryAfter));
            json(429, Map.of("error", "write key '" + writeKey.name() + "' is over its limit of " + writeKey.eventsPerSecond()
                    + " events/s; retry after " + retryAfter + " s"));
        }

        void internalError(Throwable failure) {
            LOG.error("a request to {} failed", route, failure);
            if (!answered) {
                answer(500, INTERNAL_ERROR);
            }
        }

        private void json(int status, Object body) {
            try {
                answer(status, mapper.writeValueAsBytes(body));
            }
            catch (JsonProcessingException e) {
                internalError(e);
            }
        }

        private void answer(int status, byte[] answer) {
            answered = true;
            metrics.request(route, status);
            writeJson(response, callback, status, answer);
        }
    }

    /** Writes a whole JSON answer with Jetty's non-blocking write; {@code callback} completes the exchange. */
    static void writeJson(Response response, Callback callback, int status, byte[] json) {
        response.setStatus(status);
        HttpFields.Mutable headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, "application/json");
        headers.put(HttpHeader.CONTENT_LENGTH, json.length);
        response.write(true, ByteBuffer.wrap(json), callback);
    }

    /**
     * The {@code writeKey} string of a JSON object body (a Segment message or batch, as Segment's browser library sends
     * them); null when there is none or the body is not an object.
     */
    static String bodyWriteKey(byte[] body) {
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (JsonToken token = parser.nextToken(); token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
                boolean named = "writeKey".equals(parser.currentName());
                JsonToken value = parser.nextToken();
                if (named && value == JsonToken.VALUE_STRING) {
                    return parser.getText();
                }
                parser.skipChildren();
            }
            return null;
        }
        catch (IOException e) {
            return null;
        }
    }

    private static final class BodyTooLargeException extends IOException {
        BodyTooLargeException() {
            super("body too large");
        }
    }
}
