package io.clickstream.ingest;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
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
import io.clickstream.ingest.validation.SchemaFastPath;
import io.clickstream.ingest.validation.Violation;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.Pseudonymiser;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's core, free of HTTP: validates each event, pseudonymises it, and stores valid
 * events on the good topic and invalid ones on the dead-letter topic. The returned future
 * completes only after the sink acknowledged every record of the request.
 *
 * <p>Two paths lead to the same stored bytes. LMS events that are certainly valid go through one
 * streaming pass over the request's bytes (checked and written out token by token); anything else
 * (a Segment message, an event the fast check is not sure of, malformed JSON) is parsed as a tree
 * and validated by the full JSON Schema validator, which words the errors.
 */
public final class TrackService {
    private static final Logger LOG = LoggerFactory.getLogger(TrackService.class);
    /** Root fields the collector writes in their stored form (in this order, after the event's other fields). */
    private static final String[] SHAPED = {"event_id", "student_id", "timestamp", "ip", "user_agent"};
    private static final int EVENT_ID = 0;
    private static final int STUDENT_ID = 1;
    private static final int TIMESTAMP = 2;
    private static final int IP = 3;
    private static final int USER_AGENT = 4;
    private static final byte[] EVENT_ID_FIELD = utf8("\"event_id\":");
    private static final byte[] TIMESTAMP_FIELD = utf8(",\"timestamp\":\"");
    private static final byte[] IP_FIELD = utf8(",\"ip\":\"");
    private static final byte[] USER_AGENT_FIELD = utf8(",\"user_agent\":");
    private static final byte[] USER_AGENT_NULL = utf8(",\"user_agent\":null");
    private static final byte[] RESULT_START = utf8("{\"index\":");
    private static final byte[] RESULT_EVENT_ID = utf8(",\"event_id\":");
    private static final byte[] RESULT_ACCEPTED = utf8(",\"status\":\"accepted\"}");

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

    /**
     * A request read and checked, not yet stored: how many events it holds (for rate limits) and
     * {@link #send} to store them; or, when it cannot be stored at all (such as malformed JSON),
     * the {@link #answer}.
     */
    public static final class Prepared {
        private final int events;
        private final TrackResponse answer;
        private final Supplier<CompletableFuture<TrackResponse>> send;

        private Prepared(int events, TrackResponse answer, Supplier<CompletableFuture<TrackResponse>> send) {
            this.events = events;
            this.answer = answer;
            this.send = send;
        }

        static Prepared answered(TrackResponse answer) {
            return new Prepared(0, answer, null);
        }

        public int events() {
            return events;
        }

        /** The answer when the request is refused as a whole; null when it is to be sent. */
        public TrackResponse answer() {
            return answer;
        }

        /** Stores the request's records; completes once the sink acknowledged them (or could not). */
        public CompletableFuture<TrackResponse> send() {
            return send.get();
        }
    }

    /**
     * Reads a request body: on /v1/track ({@code routeType} "track") one LMS event (a JSON object),
     * a batch (a JSON array of objects) or a Segment message; else a Segment message of that type
     * (page, screen, identify) or, with {@code routeType} null, a Segment batch.
     */
    public Prepared prepare(byte[] body, String routeType, ClientInfo client) {
        if ("track".equals(routeType)) {
            Prepared streamed = streamed(body, client);
            if (streamed != null) {
                metrics.checked("stream");
                return streamed;
            }
        }
        metrics.checked("tree");
        JsonNode parsed;
        try {
            parsed = mapper.readTree(body);
        }
        catch (JsonProcessingException e) {
            return Prepared.answered(error(400, "the body is not valid JSON: " + e.getOriginalMessage()));
        }
        catch (IOException e) {
            return Prepared.answered(error(400, "the body could not be parsed: " + e.getMessage()));
        }
        if (parsed == null || parsed.isMissingNode()) {
            return Prepared.answered(error(400, "the body is empty"));
        }
        int events = parsed.isArray() ? parsed.size() : parsed.path("batch").isArray() ? parsed.get("batch").size() : 1;
        return new Prepared(events, null, () -> "track".equals(routeType) ? track(parsed, client) : trackSegment(parsed, routeType, client));
    }

    /**
     * The fast path for LMS events: one pass over the body checks each event and writes its stored
     * form, so a valid event never becomes a tree. Null when the body is not a plain event or batch
     * of events the fast check vouches for (one event it is not sure of is enough): the tree path
     * then decides for every event of the request and words the errors.
     */
    private Prepared streamed(byte[] body, ClientInfo client) {
        Shaping shaping = new Shaping(client);
        List<SinkRecord> records = new ArrayList<>();
        // Where each event's id (a JSON string) stands in the body, for the answer.
        int[] eventIds = new int[16];
        SchemaFastPath.Capture capture = new SchemaFastPath.Capture(SHAPED);
        try (JsonParser parser = mapper.getFactory().createParser(body);
                ByteArrayBuilder buffer = new ByteArrayBuilder(512)) {
            JsonToken token = parser.nextToken();
            boolean batch = token == JsonToken.START_ARRAY;
            if (batch) {
                token = parser.nextToken();
            }
            int cursor = 0;
            while (token == JsonToken.START_OBJECT) {
                if (records.size() == maxBatchEvents) {
                    return null;
                }
                capture.reset();
                buffer.append('{');
                Instant eventTime = validator.copyFieldsIfCertainlyValid(parser, body, cursor, buffer, capture, TIMESTAMP);
                if (eventTime == null) {
                    return null;
                }
                cursor = capture.end();
                String pseudonym = shaping.writeShapedFields(buffer, buffer.size() > 1, capture, body, eventTime);
                records.add(new SinkRecord(topic, pseudonym, buffer.toByteArray()));
                buffer.reset();
                if (eventIds.length < records.size() * 2) {
                    eventIds = java.util.Arrays.copyOf(eventIds, eventIds.length * 2);
                }
                eventIds[records.size() * 2 - 2] = capture.rawStart(EVENT_ID);
                eventIds[records.size() * 2 - 1] = capture.rawEnd(EVENT_ID);
                token = batch ? parser.nextToken() : null;
            }
            // Anything after the events (or a batch entry that is not an object) is for the tree path to judge.
            if (records.isEmpty() || batch && token != JsonToken.END_ARRAY || parser.nextToken() != null) {
                return null;
            }
        }
        catch (IOException e) {
            return null;
        }
        int accepted = records.size();
        int[] idRanges = eventIds;
        return new Prepared(accepted, null, () -> store(records, client, accepted, 0, () -> acceptedAnswer(body, idRanges, accepted)));
    }

    /**
     * {"accepted": n, "rejected": 0, "results": [{"index": i, "event_id": id, "status": "accepted"}, ...]},
     * each id copied from the body ({@code idRanges}: start and end of each, in pairs).
     */
    private static byte[] acceptedAnswer(byte[] body, int[] idRanges, int events) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(64 + events * 90)) {
            out.write(utf8("{\"accepted\":" + events + ",\"rejected\":0,\"results\":["));
            for (int i = 0; i < events; i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.write(RESULT_START);
                out.write(utf8(Integer.toString(i)));
                out.write(RESULT_EVENT_ID);
                out.write(body, idRanges[2 * i], idRanges[2 * i + 1] - idRanges[2 * i]);
                out.write(RESULT_ACCEPTED);
            }
            out.write(utf8("]}"));
            return out.toByteArray();
        }
    }

    /**
     * What the collector adds to every stored event of one request: the pseudonymised id (each
     * student keyed once per request: a batch usually holds one student's events), the truncated
     * address, the user agent, the receiving time and the schema version.
     */
    private final class Shaping {
        // What is the same for every event of the request, as the JSON bytes written (the user agent is often the longest field).
        private final String receivedAt = Rfc3339.format(clock.instant().truncatedTo(ChronoUnit.MICROS));
        private final byte[] tail = utf8(",\"" + EventContract.RECEIVED_AT + "\":\"" + receivedAt + "\",\"" + EventContract.SCHEMA_VERSION + "\":"
                + schemaVersion + "}");
        private final byte[] userAgentField;
        // Every event of a batch without its own "ip" comes from the client's address.
        private final String clientAddress;
        private final byte[] clientAddressField;
        /** Per student id of the request: its pseudonym, and its field as written. */
        private final Map<String, Pseudonym> pseudonyms = new HashMap<>();

        Shaping(ClientInfo client) {
            this.userAgentField = client.userAgent() == null ? null : concat(USER_AGENT_FIELD, quoted(client.userAgent()));
            this.clientAddress = ipTruncator.truncate(client.address());
            this.clientAddressField = clientAddress == null ? null : utf8(",\"ip\":\"" + clientAddress + "\"");
        }

        /**
         * Writes the {@link #SHAPED} fields and the collector's own, and the closing brace, after the
         * event's other fields ({@code afterField}: at least one); returns the pseudonym (the record's
         * key). The captured event id and user agent are copied from {@code input} when the capture
         * knows where they stand, else written from their text.
         */
        String writeShapedFields(ByteArrayBuilder out, boolean afterField, SchemaFastPath.Capture capture, byte[] input, Instant eventTime) {
            Pseudonym pseudonym = pseudonyms.computeIfAbsent(capture.value(STUDENT_ID), studentId -> {
                String value = pseudonymiser.pseudonymise(studentId);
                return new Pseudonym(value, utf8(",\"student_id\":\"" + value + "\""));
            });
            if (afterField) {
                out.append(',');
            }
            out.write(EVENT_ID_FIELD);
            writeString(out, capture, EVENT_ID, input);
            out.write(pseudonym.field());
            out.write(TIMESTAMP_FIELD);
            out.write(utf8(Rfc3339.format(eventTime.truncatedTo(ChronoUnit.MICROS))));
            out.append('"');
            if (capture.value(IP) != null) {
                String ip = ipTruncator.truncate(capture.value(IP));
                if (ip != null) {
                    out.write(IP_FIELD);
                    out.write(utf8(ip));
                    out.append('"');
                }
            }
            else if (clientAddressField != null) {
                out.write(clientAddressField);
            }
            if (capture.value(USER_AGENT) != null) {
                out.write(USER_AGENT_FIELD);
                writeString(out, capture, USER_AGENT, input);
            }
            else if (userAgentField != null) {
                out.write(userAgentField);
            }
            else if (capture.has(USER_AGENT)) {
                out.write(USER_AGENT_NULL);
            }
            out.write(tail);
            return pseudonym.value();
        }

        /** The stored form of a valid event held as a tree: its other fields, then the shaped ones, as the streaming pass writes them. */
        SinkRecord stored(ObjectNode event) {
            SchemaFastPath.Capture capture = new SchemaFastPath.Capture(SHAPED);
            capture.reset();
            ObjectNode others = event.deepCopy();
            for (int slot = 0; slot < SHAPED.length; slot++) {
                JsonNode value = others.remove(SHAPED[slot]);
                if (value != null) {
                    capture.set(slot, value.isTextual() ? value.textValue() : null);
                }
            }
            byte[] fields = bytes(others);
            try (ByteArrayBuilder out = new ByteArrayBuilder(fields.length + 256)) {
                out.write(fields, 0, fields.length - 1);   // without the closing brace
                String pseudonym = writeShapedFields(out, !others.isEmpty(), capture, null, Rfc3339.parse(capture.value(TIMESTAMP)));
                return new SinkRecord(topic, pseudonym, out.toByteArray());
            }
        }
    }

    /** A student's pseudonym and its field ({@code ,"student_id":"..."}) as written into each of the student's events. */
    private record Pseudonym(String value, byte[] field) {}

    /** A captured string: its bytes in the input when known, else its text encoded. */
    private static void writeString(ByteArrayBuilder out, SchemaFastPath.Capture capture, int slot, byte[] input) {
        if (input != null && capture.rawStart(slot) >= 0) {
            out.write(input, capture.rawStart(slot), capture.rawEnd(slot) - capture.rawStart(slot));
        }
        else {
            out.write(quoted(capture.value(slot)));
        }
    }

    /** A JSON string literal. */
    private static byte[] quoted(String text) {
        return concat(utf8("\""), JsonStringEncoder.getInstance().quoteAsUTF8(text), utf8("\""));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayBuilder out = new ByteArrayBuilder(64);
        for (byte[] part : parts) {
            out.write(part);
        }
        return out.toByteArray();
    }

    /** One LMS event (a JSON object) or a batch (a JSON array of objects); a Segment message is recognised and mapped. */
    private CompletableFuture<TrackResponse> track(JsonNode body, ClientInfo client) {
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
    private CompletableFuture<TrackResponse> trackSegment(JsonNode body, String routeType, ClientInfo client) {
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
        Shaping shaping = new Shaping(client);
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
                records.add(shaping.stored((ObjectNode) candidate.event()));
                result.put("status", "accepted");
                accepted++;
            }
            else {
                records.add(new SinkRecord(deadLetterTopic, null,
                        bytes(deadLetter(candidate.original(), violations, shaping.clientAddress, shaping.receivedAt))));
                result.put("status", "rejected");
                metrics.rejected(client.writeKey(), violations.get(0).kind());
                ArrayNode errors = result.putArray("errors");
                violations.forEach(v -> errors.addObject().put("field", v.field()).put("problem", v.problem()));
            }
        }
        int acceptedCount = accepted;
        int rejectedCount = candidates.size() - accepted;
        return store(records, client, acceptedCount, rejectedCount, () -> {
            ObjectNode response = mapper.createObjectNode();
            response.put("accepted", acceptedCount);
            response.put("rejected", rejectedCount);
            response.set("results", results);
            return bytes(response);
        });
    }

    /** Stores a request's records; once acknowledged, answers 200 (all accepted), 207 (some) or 400 (none) with {@code answer}. */
    private CompletableFuture<TrackResponse> store(List<SinkRecord> records, ClientInfo client, int accepted, int rejected,
            Supplier<byte[]> answer) {
        long started = System.nanoTime();
        return sink.store(records).handle((ignored, failure) -> {
            if (failure != null) {
                metrics.storeFailed();
                LOG.warn("could not store {} records from write key {}: {}", records.size(), client.writeKey(), rootMessage(failure));
                return error(503, "the event store did not acknowledge the events; retry later");
            }
            metrics.stored(java.time.Duration.ofNanos(System.nanoTime() - started));
            metrics.accepted(client.writeKey(), accepted);
            int status = rejected == 0 ? 200 : accepted == 0 ? 400 : 207;
            return new TrackResponse(status, answer.get());
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
            // Segment's browser library names its write key in every message.
            payload.remove("writeKey");
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
        return new TrackResponse(status, bytes(body));
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
