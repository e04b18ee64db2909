package io.clickstream.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulator against a small collector that accepts everything and records when each request came. */
class LiveSimulatorTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final List<long[]> requests = new CopyOnWriteArrayList<>();   // {arrival millis, events in it}
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private URI endpoint;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/track", exchange -> {
            JsonNode batch = MAPPER.readTree(exchange.getRequestBody());
            requests.add(new long[] {System.currentTimeMillis(), batch.size()});
            ObjectNode answer = MAPPER.createObjectNode();
            ArrayNode results = answer.putArray("results");
            for (int i = 0; i < batch.size(); i++) {
                events.add(batch.get(i));
                boolean valid = !batch.get(i).path("event_name").asText().equals("teleport");
                results.addObject().put("index", i).put("status", valid ? "accepted" : "rejected");
            }
            byte[] body = answer.toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/track");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void steadySendsOneEventPerRequestExactlyOneOverTheRateApart() throws Exception {
        LiveSimulator.Settings settings = new LiveSimulator.Settings(10, 0, null, Duration.ofSeconds(30), false, 0, 10_000, true);
        LiveSimulator.Result result = new LiveSimulator(List.of(endpoint), "Basic x", settings, 1, Clock.systemUTC())
                .run(Duration.ofMillis(2_050), message -> { }, null);

        assertTrue(result.sent() >= 19 && result.sent() <= 22, "about 10 events/s for 2 s: " + result);
        assertEquals(result.sent(), result.accepted());
        assertTrue(requests.stream().allMatch(request -> request[1] == 1), "one event per request");
        for (int i = 2; i < requests.size(); i++) {
            long gap = requests.get(i)[0] - requests.get(i - 1)[0];
            assertTrue(gap >= 60 && gap <= 140, "request " + i + " came " + gap + " ms after the one before, 100 planned");
        }
    }

    @Test
    void aHighRateFillsTheCrowdFromThePoolAndKeepsSending() throws Exception {
        LiveSimulator.Settings settings = new LiveSimulator.Settings(2_000, 2, null, Duration.ofSeconds(30), false, 50,
                LiveSimulator.Settings.poolFor(2_000, false));
        LiveSimulator.Result result = new LiveSimulator(List.of(endpoint), "Basic x", settings, 2, Clock.systemUTC())
                .run(Duration.ofSeconds(2), message -> { }, null);

        assertTrue(result.sent() > 500, "a busy crowd sends: " + result);
        assertTrue(result.rejected() > 0 && result.failedRequests() == 0, result.toString());
        assertTrue(events.stream().map(event -> event.path("student_id").asText()).distinct().count() > 300, "many students at once");
        assertTrue(events.stream().anyMatch(event -> event.path("student_id").asText().startsWith("bot-")), "the bots click too");
    }

    @Test
    void aPoolTooSmallForTheRateIsRefusedInsteadOfHanging() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new LiveSimulator.Settings(1_001, 0, null, Duration.ofSeconds(30), false, 0, 10_000));
        assertTrue(refused.getMessage().contains("10010 online at once"), refused.getMessage());
        assertEquals(60_000, LiveSimulator.Settings.poolFor(1_000, true), "spikes triple the crowd of 10 000; the pool is twice that");
    }
}
