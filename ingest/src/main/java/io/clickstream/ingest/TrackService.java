package io.clickstream.ingest;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.ingest.privacy.IpTruncator;
import io.clickstream.ingest.segment.SegmentMessages;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.SinkRecord;
import io.clickstream.ingest.validation.EventValidator;
import io.clickstream.ingest.validation.Rfc3339;
import io.clickstream.ingest.validation.Violation;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.Pseudonymiser;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's core, free of HTTP: validates each event, pseudonymises it, and stores valid
 * events on the good topic and invalid ones on the dead-letter topic. The returned future
 * completes only after the sink acknowledged every record of the request.
 */
public final class TrackService {
    private static final Logger LOG = LoggerFactory.getLogger(TrackService.class);

    private final ObjectMapper mapper;
    private final EventValidator validator;
    private final Pseudonymiser pseudonymiser;
    private final IpTruncator ipTruncator;
    private final EventSink sink;
    private final String topic;
    private final String deadLetterTopic;
    private final int maxBatchEvents;
    private final int schemaVersion;
    private final Clock clock;
    private final IngestMetrics metrics;
    private final SegmentMessages segment;

    public TrackService(ObjectMapper mapper, EventContract contract, EventValidator validator, Pseudonymiser pseudonymiser,
            IpTruncator ipTruncator, EventSink sink, String topic, String deadLetterTopic, int maxBatchEvents, Clock clock,
            IngestMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.segment = new SegmentMessages(mapper);
        this.mapper = requireNonNull(mapper, "mapper is null");
        this.schemaVersion = requireNonNull(contract, "contract is null").version();
        this.validator = requireNonNull(validator, "validator is null");
        this.pseudonymiser = requireNonNull(pseudonymiser, "pseudonymiser is null");
        this.ipTruncator = requireNonNull(ipTruncator, "ipTruncator is null");
        this.sink = requireNonNull(sink, "sink is null");
        this.topic = requireNonNull(topic, "topic is null");
        this.deadLetterTopic = requireNonNull(deadLetterTopic, "deadLetterTopic is null");
        this.maxBatchEvents = maxBatchEvents;
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** One LMS event (a JSON object) or a batch (a JSON array of objects); a Segment message is recognised and mapped. */
    public CompletableFuture<TrackResponse> track(JsonNode body, ClientInfo client) {
        if (SegmentMessages.isSegmentMessage(body)) {
            return trackSegment(body, "track", client);
        }
        List<JsonNode> events = new ArrayList<>();
        if (body.isArray()) {
            body.forEach(events::add);
            TrackResponse refused = checkBatchLength(events.size());
            if (refused != null) {
                return CompletableFuture.completedFuture(refused);
            }
        }
        else if (body.isObject()) {
            events.add(body);
        }
        else {
            return CompletableFuture.completedFuture(error(400, "the body must be a JSON object (one event) or an array of objects (a batch)"));
        }
        return process(events.stream().map(event -> new Candidate(event, event, List.<Violation>of(), false)).toList(), client);
    }

    /**
     * Segment-spec requests: one message on /v1/track, /v1/page or /v1/screen ({@code routeType}
     * track, page, screen), or {@code {"batch": [...], "context": ..., "sentAt": ...}} on /v1/batch
     * ({@code routeType} null: each message says its type).
     */
    public CompletableFuture<TrackResponse> trackSegment(JsonNode body, String routeType, ClientInfo client) {
        List<JsonNode> messages = new ArrayList<>();
        JsonNode batchContext = null;
        if (routeType == null) {
            if (!body.path("batch").isArray()) {
                return CompletableFuture.completedFuture(error(400, "a batch request needs a 'batch' array of messages"));
            }
            JsonNode sentAt = body.get("sentAt");
            for (JsonNode message : body.get("batch")) {
                if (message.isObject() && !message.has("sentAt") && sentAt != null) {
                    message = ((ObjectNode) message).deepCopy().set("sentAt", sentAt);
                }
                messages.add(message);
            }
            batchContext = body.get("context");
            TrackResponse refused = checkBatchLength(messages.size());
            if (refused != null) {
                return CompletableFuture.completedFuture(refused);
            }
        }
        else if (body.isObject()) {
            messages.add(body);
        }
        else {
            return CompletableFuture.completedFuture(error(400, "the body must be a Segment message (a JSON object)"));
        }
        java.time.Instant receivedAt = clock.instant();
        List<Candidate> candidates = new ArrayList<>();
        for (JsonNode message : messages) {
            SegmentMessages.Mapped mapped = segment.map(message, routeType, receivedAt, batchContext);
            candidates.add(new Candidate(message, mapped.event(), mapped.violations(), true));
        }
        return process(candidates, client);
    }

    /** An incoming message: what the client sent, the LMS event made of it (or null), and problems found while mapping. */
    private record Candidate(JsonNode original, JsonNode event, List<Violation> mappingViolations, boolean segment) {}

    private CompletableFuture<TrackResponse> process(List<Candidate> candidates, ClientInfo client) {
        String receivedAt = Rfc3339.format(clock.instant().truncatedTo(ChronoUnit.MICROS));
        // Once per request: every event of a batch without its own "ip" comes from the client's address.
        String clientAddress = ipTruncator.truncate(client.address());
        // A batch usually holds one student's events: each id is keyed once per request.
        java.util.Map<String, String> pseudonyms = new java.util.HashMap<>();
        List<SinkRecord> records = new ArrayList<>(candidates.size());
        ArrayNode results = mapper.createArrayNode();
        int accepted = 0;
        for (int index = 0; index < candidates.size(); index++) {
            Candidate candidate = candidates.get(index);
            List<Violation> violations = candidate.event() == null ? candidate.mappingViolations() : validator.validate(candidate.event());
            if (candidate.segment()) {
                violations = violations.stream().map(v -> new Violation(SegmentMessages.segmentField(v.field()), v.problem(), v.kind())).toList();
            }
            ObjectNode result = results.addObject().put("index", index);
            JsonNode eventId = candidate.event() != null ? candidate.event().path("event_id")
                    : candidate.original().path(candidate.segment() ? "messageId" : "event_id");
            if (eventId.isTextual()) {
                result.put("event_id", eventId.asText());
            }
            if (violations.isEmpty()) {
                ObjectNode shaped = shape((ObjectNode) candidate.event(), client, clientAddress, receivedAt, pseudonyms);
                records.add(new SinkRecord(topic, shaped.get("student_id").asText(), bytes(shaped)));
                result.put("status", "accepted");
                accepted++;
            }
            else {
                records.add(new SinkRecord(deadLetterTopic, null, bytes(deadLetter(candidate.original(), violations, clientAddress, receivedAt))));
                result.put("status", "rejected");
                metrics.rejected(client.writeKey(), violations.get(0).kind());
                ArrayNode errors = result.putArray("errors");
                violations.forEach(v -> errors.addObject().put("field", v.field()).put("problem", v.problem()));
            }
        }
        int acceptedCount = accepted;
        int rejectedCount = candidates.size() - accepted;
        long started = System.nanoTime();
        return sink.store(records).handle((ignored, failure) -> {
            if (failure != null) {
                metrics.storeFailed();
                LOG.warn("could not store {} records from write key {}: {}", records.size(), client.writeKey(), rootMessage(failure));
                return error(503, "the event store did not acknowledge the events; retry later");
            }
            metrics.stored(java.time.Duration.ofNanos(System.nanoTime() - started));
            metrics.accepted(client.writeKey(), acceptedCount);
            ObjectNode response = mapper.createObjectNode();
            response.put("accepted", acceptedCount);
            response.put("rejected", rejectedCount);
            response.set("results", results);
            int status = rejectedCount == 0 ? 200 : acceptedCount == 0 ? 400 : 207;
            return new TrackResponse(status, response);
        });
    }

    private TrackResponse checkBatchLength(int length) {
        if (length == 0) {
            return error(400, "the batch is empty");
        }
        if (length > maxBatchEvents) {
            return error(413, "the batch has " + length + " events; the limit is " + maxBatchEvents);
        }
        return null;
    }

    public boolean isReady() {
        return sink.isHealthy();
    }

    /** The sink's state for /ready, such as spool mode and depth. */
    public java.util.Map<String, Object> sinkState() {
        return sink.state();
    }

    /** The stored form: pseudonymised id, truncated address, UTC timestamp, collector fields. */
    private ObjectNode shape(ObjectNode event, ClientInfo client, String truncatedClientAddress, String receivedAt,
            java.util.Map<String, String> pseudonyms) {
        // In place: the event was parsed for this request and nothing reads its client form after this.
        ObjectNode shaped = event;
        shaped.put("student_id", pseudonyms.computeIfAbsent(event.get("student_id").asText(), pseudonymiser::pseudonymise));
        shaped.put("timestamp", Rfc3339.format(Rfc3339.parse(event.get("timestamp").asText()).truncatedTo(ChronoUnit.MICROS)));
        JsonNode ip = event.get("ip");
        String truncated = ip != null && ip.isTextual() ? ipTruncator.truncate(ip.textValue()) : truncatedClientAddress;
        if (truncated == null) {
            shaped.remove("ip");
        }
        else {
            shaped.put("ip", truncated);
        }
        JsonNode userAgent = event.get("user_agent");
        if ((userAgent == null || !userAgent.isTextual()) && client.userAgent() != null) {
            shaped.put("user_agent", client.userAgent());
        }
        shaped.put(EventContract.RECEIVED_AT, receivedAt);
        shaped.put(EventContract.SCHEMA_VERSION, schemaVersion);
        return shaped;
    }

    /** The refused event with the reason; ids pseudonymised and the address truncated, as for good events. */
    private ObjectNode deadLetter(JsonNode event, List<Violation> violations, String truncatedClientAddress, String receivedAt) {
        ObjectNode letter = mapper.createObjectNode();
        letter.put("reason", "validation");
        ArrayNode errors = letter.putArray("errors");
        violations.forEach(v -> errors.addObject().put("field", v.field()).put("problem", v.problem()));
        letter.put(EventContract.RECEIVED_AT, receivedAt);
        letter.put(EventContract.SCHEMA_VERSION, schemaVersion);
        letter.put("client_ip", truncatedClientAddress);
        if (event.isObject()) {
            ObjectNode payload = event.deepCopy();
            if (payload.path("student_id").isValueNode() && !payload.get("student_id").isNull()) {
                payload.put("student_id", pseudonymiser.pseudonymise(payload.get("student_id").asText()));
            }
            else {
                payload.remove("student_id");
            }
            if (payload.has("ip")) {
                payload.put("ip", ipTruncator.truncate(payload.path("ip").asText(null)));
            }
            // Segment messages: their ids are pseudonymised like student_id; traits often hold personal data.
            for (String idField : List.of("userId", "anonymousId")) {
                if (payload.path(idField).isValueNode() && !payload.get(idField).isNull()) {
                    payload.put(idField, pseudonymiser.pseudonymise(payload.get(idField).asText()));
                }
            }
            payload.remove("traits");
            if (payload.path("context").isObject()) {
                ObjectNode context = (ObjectNode) payload.get("context");
                context.remove("traits");
                if (context.has("ip")) {
                    context.put("ip", ipTruncator.truncate(context.path("ip").asText(null)));
                }
            }
            letter.set("payload", payload);
        }
        else {
            letter.set("payload", withoutRawText(event));
        }
        return letter;
    }

    /**
     * A payload that is not an event object has no named id fields, so any text in it could be one:
     * every string is replaced by its pseudonym (still comparable, and findable for an erasure);
     * numbers, booleans and the shape are kept, so the dead letter still shows what was sent wrong.
     */
    private JsonNode withoutRawText(JsonNode node) {
        if (node.isTextual()) {
            return mapper.getNodeFactory().textNode("pseudonym:" + pseudonymiser.pseudonymise(node.textValue()));
        }
        if (node.isArray()) {
            ArrayNode copy = mapper.createArrayNode();
            node.forEach(element -> copy.add(withoutRawText(element)));
            return copy;
        }
        return node;
    }

    private TrackResponse error(int status, String message) {
        ObjectNode body = mapper.createObjectNode();
        body.put("error", message);
        return new TrackResponse(status, body);
    }

    private byte[] bytes(JsonNode node) {
        return JsonBytes.of(mapper.getFactory(), node);
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
