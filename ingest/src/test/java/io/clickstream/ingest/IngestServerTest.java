package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.config.IngestConfig;
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
    private static final String KEY = "test-key-test-key-test-key-test-key";
    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final RecordingSink sink = new RecordingSink();
    private IngestServer server;

    @BeforeEach
    void start() {
        EventContract contract = EventContract.current();
        TrackService service = new TrackService(mapper, contract,
                new EventValidator(contract, Clock.systemUTC(), Duration.ofMinutes(10), Duration.ofDays(30)),
                new Pseudonymiser(KEY), new IpTruncator(24, 48), sink, "good", "bad", 3, Clock.systemUTC());
        server = new IngestServer(new IngestConfig.Http("127.0.0.1", 0, 4096, 3), mapper, service).start();
    }

    @AfterEach
    void stop() {
        server.close();
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
    void gzipBodiesAreAccepted() throws Exception {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write(LmsEvent.pageView("g", "/gz").json().getBytes(StandardCharsets.UTF_8));
        }
        HttpRequest request = HttpRequest.newBuilder(uri("/v1/track")).header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(compressed.toByteArray())).build();
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

    private HttpResponse<String> post(String body, String contentType) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri("/v1/track")).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
