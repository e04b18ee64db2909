package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.auth.WriteKey;
import io.clickstream.ingest.auth.WriteKeys;
import io.clickstream.ingest.config.IngestConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import io.clickstream.ingest.http.IngestServer;
import io.clickstream.ingest.privacy.IpTruncator;
import io.clickstream.ingest.sink.SinkRecord;
import io.clickstream.ingest.validation.EventValidator;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.Pseudonymiser;
import io.clickstream.testing.LmsEvent;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real HTTP server and validator in front of a recording sink. */
class IngestServerTest {
    private static final String KEY = InProcessIngest.HMAC_KEY;
    private static final String WRITE_KEY = InProcessIngest.WRITE_KEY;
    private static final String OTHER_WRITE_KEY = InProcessIngest.SLOW_WRITE_KEY;
    private final HttpClient http = HttpClient.newHttpClient();
    private InProcessIngest ingest;
    private ObjectMapper mapper;
    private RecordingSink sink;
    private IngestServer server;

    @BeforeEach
    void start() {
        ingest = new InProcessIngest();
        mapper = ingest.mapper;
        sink = ingest.sink;
        server = ingest.server;
    }

    @AfterEach
    void stop() {
        ingest.close();
    }

    @Test
    void acceptsOneEventAndStoresItPseudonymised() throws Exception {
        LmsEvent event = LmsEvent.pageView("student-7", "/courses/algebra").set("ip", "203.0.113.77");
        HttpResponse<String> response = post(event.json(), "application/json");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = mapper.readTree(response.body());
        assertEquals(1, body.get("accepted").asInt());
        assertEquals(event.eventId(), body.get("results").get(0).get("event_id").asText());

        SinkRecord record = sink.on("good").get(0);
        JsonNode stored = mapper.readTree(record.value());
        String pseudonym = new Pseudonymiser(KEY).pseudonymise("student-7");
        assertEquals(pseudonym, record.key());
        assertEquals(pseudonym, stored.get("student_id").asText());
        assertEquals("203.0.113.0", stored.get("ip").asText());
        assertTrue(stored.has("received_at"));
        assertFalse(new String(record.value(), StandardCharsets.UTF_8).contains("student-7"));
    }

    @Test
    void behindATrustedProxyTheClientItNamesIsStoredTruncatedAndElsewhereTheHeaderIsIgnored() throws Exception {
        String forwarded = "198.51.100.1, 203.0.113.77";   // the client's own claim, then what its load balancer saw
        HttpRequest.Builder direct = HttpRequest.newBuilder(uri("/v1/track")).header("Content-Type", "application/json")
                .header("Authorization", basic(WRITE_KEY)).header("X-Forwarded-For", forwarded)
                .POST(HttpRequest.BodyPublishers.ofString(LmsEvent.pageView("student-9", "/a").json()));
        assertEquals(200, http.send(direct.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals("127.0.0.0", mapper.readTree(sink.on("good").get(0).value()).get("ip").asText(), "no proxy trusted: the peer");

        try (InProcessIngest behindProxy = new InProcessIngest(List.of(),
                io.clickstream.ingest.config.TrustedProxies.parse(List.of("127.0.0.0/8"), "X-Forwarded-For"))) {
            for (String body : List.of(LmsEvent.pageView("student-9", "/b").json(), LmsEvent.pageView("student-9", "/c").set("event_name", "teleport").json())) {
                http.send(HttpRequest.newBuilder(URI.create(behindProxy.url() + "/v1/track")).header("Content-Type", "application/json")
                        .header("Authorization", basic(WRITE_KEY)).header("X-Forwarded-For", forwarded)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            }
            assertEquals("203.0.113.0", mapper.readTree(behindProxy.sink.on("good").get(0).value()).get("ip").asText());
            assertEquals("203.0.113.0", mapper.readTree(behindProxy.sink.on("bad").get(0).value()).get("client_ip").asText());
            for (String topic : List.of("good", "bad")) {
                String stored = new String(behindProxy.sink.on(topic).get(0).value(), StandardCharsets.UTF_8);
                assertFalse(stored.contains("203.0.113.77") || stored.contains("198.51.100"), stored);
            }
        }
    }

    @Test
    void invalidEventGets400NamingTheFieldAndGoesToTheDeadLetterTopic() throws Exception {
        HttpResponse<String> response = post(LmsEvent.pageView("student-8", "/x").set("event_name", "teleport").json(), "application/json");
        assertEquals(400, response.statusCode());
        JsonNode error = mapper.readTree(response.body()).get("results").get(0).get("errors").get(0);
        assertEquals("event_name", error.get("field").asText());
        assertTrue(error.get("problem").asText().contains("enum") || error.get("problem").asText().contains("value"), error.toString());

        JsonNode letter = mapper.readTree(sink.on("bad").get(0).value());
        assertEquals("validation", letter.get("reason").asText());
        assertFalse(letter.toString().contains("student-8"), "raw id in the dead letter");
        assertTrue(sink.on("good").isEmpty());
    }

    @Test
    void aBatchEntryThatIsNotAnObjectIsDeadLetteredWithoutItsText() throws Exception {
        String batch = "[" + LmsEvent.pageView("student-9", "/ok").json() + ", \"student-10\", [\"student-11\", 42]]";
        HttpResponse<String> response = post(batch, "application/json");
        JsonNode results = mapper.readTree(response.body()).get("results");
        assertEquals("accepted", results.get(0).get("status").asText(), response.body());
        assertEquals("rejected", results.get(1).get("status").asText());
        assertEquals("rejected", results.get(2).get("status").asText());

        List<JsonNode> letters = new java.util.ArrayList<>();
        for (SinkRecord record : sink.on("bad")) {
            letters.add(mapper.readTree(record.value()));
        }
        assertEquals(2, letters.size());
        Pseudonymiser pseudonymiser = new Pseudonymiser(KEY);
        assertEquals("pseudonym:" + pseudonymiser.pseudonymise("student-10"), letters.get(0).get("payload").asText());
        assertEquals("pseudonym:" + pseudonymiser.pseudonymise("student-11"), letters.get(1).get("payload").get(0).asText());
        assertEquals(42, letters.get(1).get("payload").get(1).asInt(), "numbers and the shape are kept");
        assertFalse(letters.toString().contains("student-1"), "no raw text in a dead letter: " + letters);
    }

    @Test
    void missingFieldAndBadTimestampAreNamed() throws Exception {
        HttpResponse<String> response = post(LmsEvent.pageView("s", "/x").remove("session_id").at("yesterday").json(), "application/json");
        String body = response.body();
        assertEquals(400, response.statusCode());
        assertTrue(body.contains("\"field\":\"session_id\""), body);
        assertTrue(body.contains("\"field\":\"timestamp\""), body);
    }

    @Test
    void batchKeepsValidNeighboursOfAnInvalidEvent() throws Exception {
        LmsEvent good1 = LmsEvent.pageView("a", "/1");
        LmsEvent bad = LmsEvent.pageView("b", "/2").set("unexpected", "x");
        LmsEvent good2 = LmsEvent.pageView("c", "/3");
        HttpResponse<String> response = post(LmsEvent.batch(good1, bad, good2), "text/plain");
        assertEquals(207, response.statusCode(), response.body());
        JsonNode results = mapper.readTree(response.body()).get("results");
        assertEquals("accepted", results.get(0).get("status").asText());
        assertEquals("rejected", results.get(1).get("status").asText());
        assertEquals("unexpected", results.get(1).get("errors").get(0).get("field").asText());
        assertEquals(2, sink.on("good").size());
        assertEquals(1, sink.on("bad").size());
    }

    @Test
    void validEventsAreStoredAlikeWhetherStreamedOrReadAsATree() throws Exception {
        String inAnHour = java.time.Instant.now().atOffset(java.time.ZoneOffset.ofHours(1)).toString();
        List<LmsEvent> events = List.of(
                LmsEvent.of("search", "student-é", "/search?q=\"x\"").metadata("query", "frac\ttions ü").metadata("duration", 2.50)
                        .set("ip", "2001:db8:1:2::7").set("user_agent", "UA/1.0").at(inAnHour),
                LmsEvent.pageView("student-9", "/c").set("ip", null).set("user_agent", null).set("chapter_id", null),
                LmsEvent.of("scroll", "student-9", "/c").metadata("scroll_depth", 75).set("referrer", "https://lms.example.edu/"));
        for (LmsEvent event : events) {
            // Alone, a valid event takes the streaming pass; beside an invalid one, the whole request is read as a tree.
            double streamedBefore = checkedOn("stream");
            assertEquals(200, post(event.json(), "application/json").statusCode());
            assertEquals(streamedBefore + 1, checkedOn("stream"), "a valid event is checked in one pass over the bytes");
            String streamed = withoutReceivedAt(sink.on("good").get(sink.on("good").size() - 1));
            assertEquals(207, post(LmsEvent.batch(event, LmsEvent.pageView("x", "/").set("event_name", "teleport")), "application/json")
                    .statusCode());
            String fromTree = withoutReceivedAt(sink.on("good").get(sink.on("good").size() - 1));
            assertEquals(streamedBefore + 1, checkedOn("stream"), "a batch with an invalid event is read as a tree");
            assertEquals(fromTree, streamed, "the same stored bytes on both paths");
            JsonNode stored = mapper.readTree(streamed);
            assertEquals(new Pseudonymiser(KEY).pseudonymise(mapper.readTree(event.json()).get("student_id").asText()),
                    stored.get("student_id").asText());
            assertFalse(streamed.contains("student-"), streamed);
        }
        // All three in one batch: one pass, each stored as it was alone.
        List<String> alone = List.of(withoutReceivedAt(sink.on("good").get(0)), withoutReceivedAt(sink.on("good").get(2)),
                withoutReceivedAt(sink.on("good").get(4)));
        double streamedBefore = checkedOn("stream");
        HttpResponse<String> batch = post(LmsEvent.batch(events.toArray(LmsEvent[]::new)), "application/json");
        assertEquals(200, batch.statusCode(), batch.body());
        assertEquals(streamedBefore + 1, checkedOn("stream"));
        assertEquals(events.get(2).eventId(), mapper.readTree(batch.body()).get("results").get(2).get("event_id").asText());
        List<SinkRecord> good = sink.on("good");
        assertEquals(alone, good.subList(good.size() - 3, good.size()).stream().map(IngestServerTest::withoutReceivedAt).toList());
        JsonNode first = mapper.readTree(withoutReceivedAt(sink.on("good").get(0)));
        assertEquals("2001:db8:1:0:0:0:0:0", first.get("ip").asText(), "IPv6 cut to /48");
        assertEquals("UA/1.0", first.get("user_agent").asText());
        assertEquals(java.time.OffsetDateTime.parse(inAnHour).toInstant().truncatedTo(java.time.temporal.ChronoUnit.MICROS).toString(),
                first.get("timestamp").asText(), "UTC, at most microseconds");
        assertEquals(2.5, first.get("metadata").get("duration").asDouble());
        JsonNode second = mapper.readTree(withoutReceivedAt(sink.on("good").get(2)));
        assertEquals("127.0.0.0", second.get("ip").asText(), "the client's address stands in for a null ip");
        assertTrue(second.get("user_agent").asText().startsWith("Java-http-client"), "the request's user agent stands in for a null one");
        assertTrue(second.get("chapter_id").isNull());
    }

    private double checkedOn(String path) {
        io.micrometer.core.instrument.Counter counter = ingest.registry.find("clickstream.ingest.validation.requests").tag("path", path).counter();
        return counter == null ? 0 : counter.count();
    }

    private static String withoutReceivedAt(SinkRecord record) {
        return new String(record.value(), StandardCharsets.UTF_8).replaceAll("\"received_at\":\"[^\"]*\"", "\"received_at\":\"\"");
    }

    @Test
    void limitsAndMalformedBodiesGetClear4xx() throws Exception {
        assertEquals(413, post(LmsEvent.batch(LmsEvent.pageView("a", "/"), LmsEvent.pageView("a", "/"),
                LmsEvent.pageView("a", "/"), LmsEvent.pageView("a", "/")), "application/json").statusCode());
        assertEquals(413, post("[" + "\"x\",".repeat(2000) + "\"x\"]", "application/json").statusCode());
        HttpResponse<String> malformed = post("{\"event_id\":", "application/json");
        assertEquals(400, malformed.statusCode());
        assertTrue(malformed.body().contains("not valid JSON"), malformed.body());
        assertEquals(400, post("[]", "application/json").statusCode());
        assertEquals(400, post("42", "application/json").statusCode());
        assertEquals(415, post(LmsEvent.pageView("a", "/").json(), "application/xml").statusCode());
        assertTrue(sink.on("good").isEmpty());
    }

    @Test
    void fuzzedBodiesGetAClear4xxAndStoreNothing() throws Exception {
        HttpRequest badGzip = HttpRequest.newBuilder(uri("/v1/track")).header("Content-Type", "application/json")
                .header("Authorization", basic(WRITE_KEY)).header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofString("this is not gzip")).build();
        HttpResponse<String> gzip = http.send(badGzip, HttpResponse.BodyHandlers.ofString());
        assertEquals(400, gzip.statusCode(), gzip.body());
        assertTrue(gzip.body().contains("could not be read"), gzip.body());

        HttpResponse<String> deep = post("[".repeat(1500) + "]".repeat(1500), "application/json");
        assertEquals(400, deep.statusCode(), deep.body());
        HttpResponse<String> deepMetadata = post(LmsEvent.pageView("a", "/").json().replace("\"device_type\"",
                "\"metadata\":" + "{\"a\":".repeat(900) + "1" + "}".repeat(900) + ",\"device_type\""), "application/json");
        assertTrue(deepMetadata.statusCode() == 400 || deepMetadata.statusCode() == 413, deepMetadata.statusCode() + " " + deepMetadata.body());
        assertEquals(400, post("\u0000\u0001garbage", "application/json").statusCode());
        assertEquals(400, post("{\"event_id\": 1e999999}", "application/json").statusCode());
        // A float beyond a double where the contract bounds the number: a clear 400, not a server error.
        HttpResponse<String> huge = post(LmsEvent.pageView("a", "/").metadata("duration", 1).json().replace("\"duration\":1.0", "\"duration\":1e400"),
                "application/json");
        assertEquals(400, huge.statusCode(), huge.body());
        assertEquals("metadata.duration", mapper.readTree(huge.body()).get("results").get(0).get("errors").get(0).get("field").asText());

        // Wrong types are named per field; the valid neighbour is kept.
        HttpResponse<String> wrongTypes = post(LmsEvent.batch(LmsEvent.pageView("a", "/").set("page_url", "/ok"),
                LmsEvent.pageView("b", "/").remove("timestamp")), "application/json");
        assertEquals(207, wrongTypes.statusCode(), wrongTypes.body());
        HttpResponse<String> numberAsId = post("[{\"event_id\":42,\"student_id\":[],\"event_name\":\"click\",\"page_url\":\"/\","
                + "\"session_id\":\"s\",\"timestamp\":\"" + java.time.Instant.now() + "\",\"metadata\":{\"scroll_depth\":\"deep\"}}]",
                "application/json");
        assertEquals(400, numberAsId.statusCode());
        String errors = numberAsId.body();
        assertTrue(errors.contains("\"field\":\"event_id\"") && errors.contains("\"field\":\"student_id\"")
                && errors.contains("\"field\":\"metadata.scroll_depth\""), errors);
        assertEquals(1, sink.on("good").size());
    }

    @Test
    void bodiesOfUnknownLengthAreReadAndBounded() throws Exception {
        // Without a Content-Length the body arrives in chunks and is read up to the limit.
        HttpResponse<String> chunked = sendChunked(LmsEvent.pageView("c", "/chunked").json().getBytes(StandardCharsets.UTF_8), false);
        assertEquals(200, chunked.statusCode(), chunked.body());
        HttpResponse<String> tooLong = sendChunked(("[" + "\"x\",".repeat(2000) + "\"x\"]").getBytes(StandardCharsets.UTF_8), false);
        assertEquals(413, tooLong.statusCode(), tooLong.body());
        assertTrue(tooLong.body().contains("limit of 4096 bytes"), tooLong.body());
        // A small gzip body that inflates beyond the limit.
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write(" ".repeat(100_000).getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(compressed.size() < 4096);
        HttpResponse<String> inflated = sendChunked(compressed.toByteArray(), true);
        assertEquals(413, inflated.statusCode(), inflated.body());
        assertEquals(1, sink.on("good").size());
        assertEquals("/chunked", mapper.readTree(sink.on("good").get(0).value()).get("page_url").asText());
    }

    @Test
    void eventRoutesAnswerConfiguredOriginsAndIgnoreATrailingSlash() throws Exception {
        HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(uri("/v1/track/"))
                .header("Origin", "https://lms.example.edu").header("Content-Type", "application/json").header("Authorization", basic(WRITE_KEY))
                .POST(HttpRequest.BodyPublishers.ofString(LmsEvent.pageView("a", "/").json())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, allowed.statusCode(), allowed.body());
        assertEquals("https://lms.example.edu", allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertTrue(allowed.headers().allValues("Vary").contains("Origin"), allowed.headers().toString());
        assertEquals("application/json", allowed.headers().firstValue("Content-Type").orElse(""));
        // Other methods on an event route are not events: 405 naming the method to use, and nothing is stored.
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(uri("/v1/track")).header("Authorization", basic(WRITE_KEY)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode(), get.body());
        assertEquals("POST, OPTIONS", get.headers().firstValue("Allow").orElse(""));
        assertTrue(get.body().contains("/v1/track takes events with POST, not GET"), get.body());
        assertEquals(405, http.send(HttpRequest.newBuilder(uri("/v1/b")).PUT(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpResponse<String> options = http.send(HttpRequest.newBuilder(uri("/v1/track")).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, options.statusCode());
        assertEquals("POST, OPTIONS", options.headers().firstValue("Allow").orElse(""));
        assertEquals(1, sink.on("good").size());
    }

    @Test
    void aDefectBehindTheEndpointIsAnsweredWith500AndTheNextRequestIsServed() throws Exception {
        sink.throwing = new IllegalStateException("defect in the sink");
        HttpResponse<String> failed = post(LmsEvent.pageView("a", "/").json(), "application/json");
        assertEquals(500, failed.statusCode(), failed.body());
        assertTrue(failed.body().contains("internal error"), failed.body());
        sink.throwing = null;
        assertEquals(200, post(LmsEvent.pageView("a", "/").json(), "application/json").statusCode());
        assertEquals(1, sink.on("good").size());
    }

    @Test
    void aClientWaitingFor100ContinueIsToldToSendItsBody() throws Exception {
        // curl asks for "100 Continue" before a body over 1 KiB; the client here waits for it up to its timeout.
        String page = "/courses/" + "x".repeat(300);
        String batch = LmsEvent.batch(LmsEvent.pageView("a", page), LmsEvent.pageView("b", page), LmsEvent.pageView("c", page));
        assertTrue(batch.length() > 1024);
        HttpResponse<String> answer = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(uri("/v1/track")).expectContinue(true).timeout(java.time.Duration.ofSeconds(5))
                        .header("Content-Type", "application/json").header("Authorization", basic(WRITE_KEY))
                        .POST(HttpRequest.BodyPublishers.ofString(batch)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals(3, sink.on("good").size());
    }

    private HttpResponse<String> sendChunked(byte[] body, boolean gzip) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/v1/track")).header("Content-Type", "application/json")
                .header("Authorization", basic(WRITE_KEY))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)));
        if (gzip) {
            request.header("Content-Encoding", "gzip");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void stoppingAnswersRequestsInFlightFirst() throws Exception {
        sink.delayMillis = 1_500;
        java.util.concurrent.CompletableFuture<HttpResponse<String>> inFlight = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return post(LmsEvent.pageView("a", "/").json(), "application/json");
            }
            catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        Thread.sleep(500);
        long started = System.nanoTime();
        server.close();
        assertEquals(200, inFlight.get().statusCode(), "a request in flight must be answered, not cut off");
        assertEquals(1, sink.on("good").size());
        assertTrue(System.nanoTime() - started >= 500_000_000L, "stop returned before the request was answered");
    }

    @Test
    void gzipBodiesAreAccepted() throws Exception {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write(LmsEvent.pageView("g", "/gz").json().getBytes(StandardCharsets.UTF_8));
        }
        HttpRequest request = HttpRequest.newBuilder(uri("/v1/track")).header("Content-Type", "application/json")
                .header("Authorization", basic(WRITE_KEY)).header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(compressed.toByteArray())).build();
        assertEquals(200, http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(1, sink.on("good").size());
    }

    @Test
    void unavailableStoreGets503WithRetryAfter() throws Exception {
        sink.failing = true;
        HttpResponse<String> response = post(LmsEvent.pageView("a", "/").json(), "application/json");
        assertEquals(503, response.statusCode());
        assertEquals("5", response.headers().firstValue("Retry-After").orElse(""));
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(uri("/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, ready.statusCode());
    }

    @Test
    void unknownOrMissingWriteKeyGets401AndStoresNothing() throws Exception {
        String event = LmsEvent.pageView("a", "/").json();
        HttpResponse<String> missing = send(event, "application/json", null);
        assertEquals(401, missing.statusCode());
        assertEquals("Basic realm=\"clickstream\"", missing.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(401, send(event, "application/json", basic("web-write-key-0123456788")).statusCode());
        assertEquals(401, send(event, "application/json", "Bearer ").statusCode());
        assertEquals(401, send(event, "application/json", "Basic !!!not-base64").statusCode());
        assertTrue(sink.records.isEmpty());
    }

    @Test
    void bearerTokenWorksLikeBasic() throws Exception {
        assertEquals(200, send(LmsEvent.pageView("a", "/").json(), "application/json", "Bearer " + WRITE_KEY).statusCode());
        assertEquals(1, sink.on("good").size());
    }

    @Test
    void eachKeyHasItsOwnRateLimit() throws Exception {
        String batch = LmsEvent.batch(LmsEvent.pageView("a", "/"), LmsEvent.pageView("b", "/"), LmsEvent.pageView("c", "/"));
        assertEquals(200, send(batch, "application/json", basic(OTHER_WRITE_KEY)).statusCode());
        HttpResponse<String> limited = send(batch, "application/json", basic(OTHER_WRITE_KEY));
        assertEquals(429, limited.statusCode(), limited.body());
        assertTrue(limited.body().contains("'mobile' is over its limit of 5 events/s"), limited.body());
        assertTrue(Integer.parseInt(limited.headers().firstValue("Retry-After").orElse("0")) >= 1);
        assertEquals(200, post(batch, "application/json").statusCode(), "another key is not limited by the first");
        assertEquals(6, sink.on("good").size());
    }

    @Test
    void aKeyOverItsLimitIsRefusedBeforeItsEventsAreRead() throws Exception {
        // Empties the 5 events/s key's bucket; each further single event is refused (or, once a token has
        // grown back, admitted): a refusal must come before the body was read and checked.
        send(LmsEvent.batch(LmsEvent.pageView("a", "/"), LmsEvent.pageView("b", "/"), LmsEvent.pageView("c", "/"),
                LmsEvent.pageView("d", "/"), LmsEvent.pageView("e", "/")), "application/json", basic(OTHER_WRITE_KEY));
        for (int attempt = 0; ; attempt++) {
            double checkedBefore = checkedOn("stream") + checkedOn("tree");
            HttpResponse<String> answer = send(LmsEvent.pageView("f", "/").json(), "application/json", basic(OTHER_WRITE_KEY));
            if (answer.statusCode() == 429) {
                assertTrue(answer.body().contains("'mobile' is over its limit of 5 events/s"), answer.body());
                assertEquals(checkedBefore, checkedOn("stream") + checkedOn("tree"), "the refused request's events were not checked");
                break;
            }
            assertEquals(200, answer.statusCode(), answer.body());
            assertTrue(attempt < 20, "the key was never over its limit");
        }
    }

    @Test
    void corsAllowsConfiguredOriginsOnly() throws Exception {
        HttpResponse<String> preflight = preflight("/v1/track", "https://lms.example.edu", "POST");
        assertEquals(204, preflight.statusCode(), preflight.body());
        assertEquals("https://lms.example.edu", preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertEquals("POST", preflight.headers().firstValue("Access-Control-Allow-Methods").orElse(""));
        assertEquals("authorization,content-type", preflight.headers().firstValue("Access-Control-Allow-Headers").orElse(""));
        assertEquals("7200", preflight.headers().firstValue("Access-Control-Max-Age").orElse(""));
        HttpResponse<String> strangerPreflight = preflight("/v1/track", "https://evil.example", "POST");
        assertEquals(403, strangerPreflight.statusCode());
        assertTrue(strangerPreflight.body().contains("INGEST_CORS_ORIGINS"), strangerPreflight.body());
        assertTrue(strangerPreflight.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        HttpResponse<String> stranger = http.send(HttpRequest.newBuilder(uri("/v1/track"))
                .header("Origin", "https://evil.example").header("Content-Type", "application/json").header("Authorization", basic(WRITE_KEY))
                .POST(HttpRequest.BodyPublishers.ofString(LmsEvent.pageView("a", "/").json())).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(stranger.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        assertTrue(stranger.headers().allValues("Vary").contains("Origin"), "the answer depends on the origin: " + stranger.headers());
        // The routes Javalin answers are checked the same way: the live API from an allowed origin, in the form a
        // browser sends it whatever the configuration's spelling.
        HttpResponse<String> livePreflight = preflight("/analytics/live-users", "https://lms.example.edu", "GET");
        assertEquals(204, livePreflight.statusCode());
        assertEquals("GET, HEAD", livePreflight.headers().firstValue("Access-Control-Allow-Methods").orElse(""));
        HttpResponse<String> live = http.send(HttpRequest.newBuilder(uri("/analytics/live-users")).header("Origin", "https://lms.example.edu").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, live.statusCode(), live.body());
        assertEquals("https://lms.example.edu", live.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        HttpResponse<String> liveStranger = http.send(HttpRequest.newBuilder(uri("/analytics/live-users")).header("Origin", "https://evil.example")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, liveStranger.statusCode());
        assertTrue(liveStranger.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
    }

    @Test
    void aPageOnAnAllowedOriginCanReadRetryAfterOfA429() throws Exception {
        HttpResponse<String> limited = null;
        for (int i = 0; i < 10 && (limited == null || limited.statusCode() != 429); i++) {
            limited = http.send(HttpRequest.newBuilder(uri("/v1/track")).header("Origin", "https://lms.example.edu")
                    .header("Content-Type", "application/json").header("Authorization", basic(OTHER_WRITE_KEY))
                    .POST(HttpRequest.BodyPublishers.ofString(LmsEvent.batch(LmsEvent.pageView("a", "/"), LmsEvent.pageView("b", "/"),
                            LmsEvent.pageView("c", "/")))).build(), HttpResponse.BodyHandlers.ofString());
        }
        assertEquals(429, limited.statusCode(), limited.body());
        assertTrue(limited.headers().firstValue("Retry-After").isPresent());
        assertEquals("https://lms.example.edu", limited.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertEquals("Retry-After, X-RateLimit-Reset", limited.headers().firstValue("Access-Control-Expose-Headers").orElse(""));
        assertEquals(limited.headers().firstValue("Retry-After"), limited.headers().firstValue("X-RateLimit-Reset"), "what Segment's browser library reads");
    }

    private HttpResponse<String> preflight(String path, String origin, String method) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", method)
                .header("Access-Control-Request-Headers", "authorization,content-type").build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsCountEventsByKeyAndRejectionsByRule() throws Exception {
        post(LmsEvent.batch(LmsEvent.pageView("a", "/"), LmsEvent.pageView("b", "/").set("event_name", "teleport")), "application/json");
        String metrics = http.send(HttpRequest.newBuilder(uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("clickstream_ingest_events_accepted_total{write_key=\"web\"} 1.0"), metrics);
        assertTrue(metrics.contains("clickstream_ingest_events_rejected_total{kind=\"enum\",write_key=\"web\"} 1.0"), metrics);
        assertTrue(metrics.contains("clickstream_ingest_store_latency_seconds_count 1"), metrics);
        assertTrue(metrics.contains("clickstream_ingest_http_requests_total{route=\"/v1/track\",status=\"207\"} 1.0"), metrics);
        assertFalse(metrics.contains(WRITE_KEY), "a write key leaked into metrics");
    }

    @Test
    void segmentBatchIsMappedValidatedAndDeadLettersWhatItCannotStore() throws Exception {
        String now = java.time.Instant.now().toString();
        String batch = """
                {"batch":[
                  {"type":"track","event":"Video Playback Completed","userId":"student-55","messageId":"seg-1",
                   "timestamp":"%s","properties":{"url":"/courses/biology/chapter-1","chapter_id":"biology-ch1"}},
                  {"type":"identify","userId":"student-55","messageId":"seg-2","traits":{"email":"student55@example.edu"}},
                  {"type":"track","event":"Lesson Teleported","userId":"student-55","messageId":"seg-3","timestamp":"%s",
                   "properties":{"url":"/x"}}],
                 "sentAt":"%s","context":{"ip":"203.0.113.9"}}""".formatted(now, now, now);
        HttpResponse<String> response = sendTo("/v1/batch", batch, basic(WRITE_KEY));
        assertEquals(207, response.statusCode(), response.body());
        JsonNode results = mapper.readTree(response.body()).get("results");
        assertEquals("accepted", results.get(0).get("status").asText());
        assertEquals("type", results.get(1).get("errors").get(0).get("field").asText());
        assertEquals("event", results.get(2).get("errors").get(0).get("field").asText());

        JsonNode stored = mapper.readTree(sink.on("good").get(0).value());
        assertEquals("seg-1", stored.get("event_id").asText());
        assertEquals("video_complete", stored.get("event_name").asText());
        assertEquals(new Pseudonymiser(KEY).pseudonymise("student-55"), stored.get("student_id").asText());
        assertEquals("203.0.113.0", stored.get("ip").asText());
        String deadLetters = sink.on("bad").stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList().toString();
        assertFalse(deadLetters.contains("student-55"), deadLetters);
        assertFalse(deadLetters.contains("student55@example.edu"), "traits must not be kept: " + deadLetters);
    }

    @Test
    void segmentPageAndSingleTrackRoutes() throws Exception {
        String now = java.time.Instant.now().toString();
        assertEquals(200, sendTo("/v1/page", "{\"anonymousId\":\"a-1\",\"messageId\":\"p-1\",\"timestamp\":\"" + now
                + "\",\"properties\":{\"url\":\"/courses\"}}", "Bearer " + WRITE_KEY).statusCode());
        assertEquals(200, sendTo("/v1/track", "{\"userId\":\"u-1\",\"event\":\"search\",\"messageId\":\"t-1\",\"timestamp\":\"" + now
                + "\",\"properties\":{\"url\":\"/search\",\"query\":\"cells\"}}", basic(WRITE_KEY)).statusCode());
        assertEquals(List.of("page_view", "search"), sink.on("good").stream().map(r -> {
            try {
                return mapper.readTree(r.value()).get("event_name").asText();
            }
            catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList());
        assertEquals(401, sendTo("/v1/page", "{}", null).statusCode());
    }

    @Test
    void segmentsBrowserLibraryFormShortRoutesAndTheKeyInTheBody() throws Exception {
        String now = java.time.Instant.now().toString();
        // As analytics.js sends: text/plain (no preflight), no Authorization, the key in each message.
        String track = "{\"type\":\"track\",\"event\":\"Video Playback Started\",\"anonymousId\":\"anon-9\",\"userId\":null,"
                + "\"messageId\":\"ajs-next-1\",\"timestamp\":\"" + now + "\",\"sentAt\":\"" + now + "\",\"writeKey\":\"" + WRITE_KEY + "\","
                + "\"properties\":{\"url\":\"/courses/algebra\"},\"context\":{\"userAgent\":\"Mozilla/5.0\"},\"integrations\":{},"
                + "\"_metadata\":{\"bundled\":[\"Segment.io\"]}}";
        HttpResponse<String> tracked = plain("/v1/t", track);
        assertEquals(200, tracked.statusCode(), tracked.body());
        HttpResponse<String> page = plain("/v1/p/", "{\"type\":\"page\",\"anonymousId\":\"anon-9\",\"messageId\":\"ajs-next-2\",\"timestamp\":\""
                + now + "\",\"writeKey\":\"" + WRITE_KEY + "\",\"properties\":{\"url\":\"/courses\"}}");
        assertEquals(200, page.statusCode(), page.body());
        HttpResponse<String> batched = plain("/v1/b", "{\"writeKey\":\"" + WRITE_KEY + "\",\"sentAt\":\"" + now + "\",\"batch\":[" + track.replace("ajs-next-1", "ajs-next-3") + "]}");
        assertEquals(200, batched.statusCode(), batched.body());
        List<JsonNode> stored = sink.on("good").stream().map(this::json).toList();
        assertEquals(List.of("video_play", "page_view", "video_play"), stored.stream().map(e -> e.get("event_name").asText()).toList());
        assertEquals(List.of("ajs-next-1", "ajs-next-2", "ajs-next-3"), stored.stream().map(e -> e.get("event_id").asText()).toList());
        assertEquals(new Pseudonymiser(KEY).pseudonymise("anonymous:anon-9"), stored.get(0).get("student_id").asText());

        // identify, group, alias: refused with the reason, dead-lettered without the key or the traits.
        for (String route : List.of("/v1/i", "/v1/g", "/v1/a", "/v1/identify", "/v1/group", "/v1/alias")) {
            HttpResponse<String> refused = plain(route, "{\"userId\":\"student-77\",\"messageId\":\"x\",\"writeKey\":\"" + WRITE_KEY
                    + "\",\"traits\":{\"email\":\"s77@example.edu\"}}");
            assertEquals(400, refused.statusCode(), route + " " + refused.body());
            assertTrue(refused.body().contains("messages are not stored"), refused.body());
        }
        String deadLetters = sink.on("bad").stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList().toString();
        assertEquals(6, sink.on("bad").size());
        assertFalse(deadLetters.contains(WRITE_KEY), "a write key must not be stored: " + deadLetters);
        assertFalse(deadLetters.contains("s77@example.edu") || deadLetters.contains("student-77"), deadLetters);

        // A key in the body is checked like any other; none at all is a 401 naming every way to send one.
        HttpResponse<String> unknown = plain("/v1/t", track.replace(WRITE_KEY, "not-a-key-0123456789"));
        assertEquals(401, unknown.statusCode());
        assertFalse(unknown.body().contains("not-a-key"), unknown.body());
        HttpResponse<String> none = plain("/v1/t", track.replace("\"writeKey\":\"" + WRITE_KEY + "\",", ""));
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("\\\"writeKey\\\""), none.body());
        assertEquals(401, plain("/v1/t", "[" + track + "]").statusCode(), "a key is read from an object body only");
        assertEquals(3, sink.on("good").size());
    }

    private JsonNode json(io.clickstream.ingest.sink.SinkRecord record) {
        try {
            return mapper.readTree(record.value());
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private HttpResponse<String> plain(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "text/plain;charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> sendTo(String path, String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String body, String contentType) throws Exception {
        return send(body, contentType, basic(WRITE_KEY));
    }

    private HttpResponse<String> send(String body, String contentType, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/v1/track")).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String key) {
        return InProcessIngest.basic(key);
    }

    private URI uri(String path) {
        return URI.create(ingest.url() + path);
    }
}
