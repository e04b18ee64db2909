package io.clickstream.stack;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Posts batches of events to a collector's {@code /v1/track}, as an LMS backend would, and reads the answer per event. */
final class TrackClient {
    private final ObjectMapper mapper;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TrackClient(ObjectMapper mapper, String authorization) {
        this.mapper = requireNonNull(mapper, "mapper is null");
        this.authorization = requireNonNull(authorization, "authorization is null");
    }

    /**
     * Sends {@code events} as one batch; returns the answer's results, one per event
     * ({@code index}, {@code event_id}, {@code status}), or an empty array when the answer holds
     * none (the request was refused as a whole).
     */
    JsonNode post(URI endpoint, List<ObjectNode> events) throws IOException, InterruptedException {
        ArrayNode body = mapper.createArrayNode();
        events.forEach(body::add);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(endpoint)
                .header("Content-Type", "application/json")
                .header("Authorization", authorization)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode results = mapper.readTree(response.body()).path("results");
        return results.isArray() ? results : mapper.createArrayNode();
    }
}
