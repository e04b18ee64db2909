package io.clickstream.ingest.http;

import static java.util.Objects.requireNonNull;

import io.clickstream.ingest.config.AllowedOrigins;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * CORS for every route of the collector, one check of the allowed origins for the event routes and for Javalin's:
 * preflights are answered here (kept by the browser for two hours), and an allowed origin's requests get
 * {@code Access-Control-Allow-Origin} before any route writes its answer. {@code Retry-After} (and on a 429
 * {@code X-RateLimit-Reset}, which Segment's browser library reads) are exposed, so a page's tracker can honour them.
 */
final class CrossOrigin {
    /** How long a browser may keep a preflight's answer: two hours, the longest Chromium keeps one. */
    private static final String PREFLIGHT_MAX_AGE_SECONDS = "7200";

    private final AllowedOrigins origins;

    CrossOrigin(AllowedOrigins origins) {
        this.origins = requireNonNull(origins, "origins is null");
    }

    /**
     * Answers a CORS preflight and returns true; for any other request adds the headers that allow its origin, if it
     * is allowed, and returns false. {@code eventRoute}: the path is one of the event routes, which take POST only.
     */
    boolean handle(Request request, Response response, Callback callback, boolean eventRoute) {
        HttpFields headers = request.getHeaders();
        String origin = headers.get(HttpHeader.ORIGIN);
        if (origin == null) {
            return false;
        }
        boolean allowed = origins.allows(origin);
        if (HttpMethod.OPTIONS.is(request.getMethod()) && headers.contains(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD)) {
            preflight(request, response, callback, origin, allowed, eventRoute);
            return true;
        }
        if (allowed) {
            allow(response.getHeaders(), origin);
        }
        else if (!origins.isEmpty()) {
            response.getHeaders().add(HttpHeader.VARY, "Origin");
        }
        return false;
    }

    private void preflight(Request request, Response response, Callback callback, String origin, boolean allowed, boolean eventRoute) {
        HttpFields.Mutable answer = response.getHeaders();
        answer.add(HttpHeader.VARY, "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
        if (!allowed) {
            byte[] body = ("{\"error\":\"" + (origins.isEmpty() ? "no origin may call this collector from a browser page on another origin"
                    : "this origin may not call this collector from a browser")
                    + ": list it in INGEST_CORS_ORIGINS (ingest.http.cors-origins)\"}").getBytes(StandardCharsets.UTF_8);
            TrackHandler.writeJson(response, callback, 403, body);
            return;
        }
        answer.put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origins.allowsAny() ? "*" : origin);
        answer.put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, eventRoute ? "POST" : "GET, HEAD");
        String requested = request.getHeaders().get(HttpHeader.ACCESS_CONTROL_REQUEST_HEADERS);
        if (requested != null && !requested.isBlank()) {
            // The write key travels in Authorization; Content-Type and Content-Encoding describe the body. Headers are
            // not what protects the collector (the write key is), so whatever the page asks for is allowed.
            answer.put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, requested);
        }
        answer.put(HttpHeader.ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_SECONDS);
        response.setStatus(204);
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    private void allow(HttpFields.Mutable answer, String origin) {
        if (origins.allowsAny()) {
            answer.put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        }
        else {
            answer.put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            answer.add(HttpHeader.VARY, "Origin");
        }
        answer.put(HttpHeader.ACCESS_CONTROL_EXPOSE_HEADERS, "Retry-After, " + TrackHandler.RATE_LIMIT_RESET);
    }
}
