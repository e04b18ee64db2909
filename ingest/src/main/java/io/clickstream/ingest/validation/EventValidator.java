package io.clickstream.ingest.validation;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.clickstream.schema.EventContract;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks one event against the JSON Schema of the contract, then what a schema cannot say:
 * the timestamp must be a real RFC 3339 instant inside the accepted window.
 */
public final class EventValidator {
    private final Schema schema;
    private final SchemaFastPath fastPath;
    private final Clock clock;
    private final Duration maxClockSkew;
    private final Duration maxEventAge;

    public EventValidator(EventContract contract, Clock clock, Duration maxClockSkew, Duration maxEventAge) {
        requireNonNull(contract, "contract is null");
        this.schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(contract.schemaText(), InputFormat.JSON);
        try {
            this.fastPath = new SchemaFastPath(new com.fasterxml.jackson.databind.ObjectMapper().readTree(contract.schemaText()));
        }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the contract's schema is not JSON", e);
        }
        this.clock = requireNonNull(clock, "clock is null");
        this.maxClockSkew = requireNonNull(maxClockSkew, "maxClockSkew is null");
        this.maxEventAge = requireNonNull(maxEventAge, "maxEventAge is null");
    }

    /**
     * The streaming fast path (see {@link SchemaFastPath#copyFieldsIfCertainlyValid}): the event's
     * time when the event read from {@code parser} is certainly valid (schema and time window), its
     * fields but the captured ones then copied from {@code input} to {@code out}. Null when not
     * sure: the caller then parses the event as a tree and asks {@link #validate}, which words the
     * errors.
     */
    public Instant copyFieldsIfCertainlyValid(JsonParser parser, byte[] input, int from, ByteArrayBuilder out, SchemaFastPath.Capture capture,
            int timestampSlot) throws IOException {
        if (!fastPath.copyFieldsIfCertainlyValid(parser, input, from, out, capture)) {
            return null;
        }
        String timestamp = capture.value(timestampSlot);
        Instant eventTime = timestamp == null ? null : Rfc3339.parseOrNull(timestamp);
        return eventTime != null && checkWindow(eventTime, timestamp) == null ? eventTime : null;
    }

    /** Every problem of the event; empty when it is valid. */
    public List<Violation> validate(JsonNode event) {
        if (event == null || !event.isObject()) {
            return List.of(new Violation("$", "an event must be a JSON object", "type"));
        }
        List<Violation> violations = new ArrayList<>(2);
        // Valid events pass the compiled fast path; the full validator decides (and words the errors) for the rest.
        if (!fastPath.certainlyValid(event)) {
            String beyondDouble = nonFiniteNumber(event, "");
            if (beyondDouble != null) {
                // The schema library cannot compare such a number with a bound (it throws): named here instead.
                return List.of(new Violation(beyondDouble, "is a number beyond the range of a double", "type"));
            }
            for (Error error : schema.validate(event)) {
                violations.add(new Violation(fieldOf(error), error.getMessage(), error.getKeyword() == null ? "schema" : error.getKeyword()));
            }
        }
        JsonNode timestamp = event.get("timestamp");
        if (timestamp != null && timestamp.isTextual()) {
            checkTimestamp(timestamp.asText()).ifPresent(violations::add);
        }
        return violations.isEmpty() ? List.of() : List.copyOf(violations);
    }

    private java.util.Optional<Violation> checkTimestamp(String text) {
        Instant eventTime;
        try {
            eventTime = Rfc3339.parse(text);
        }
        catch (DateTimeParseException e) {
            return java.util.Optional.of(new Violation("timestamp",
                    "must be an RFC 3339 date-time with an offset, such as 2026-11-20T10:30:00Z; got '" + abbreviate(text) + "'", "timestamp"));
        }
        return java.util.Optional.ofNullable(checkWindow(eventTime, text));
    }

    /** Null when the event time is inside the accepted window, else the violation. */
    private Violation checkWindow(Instant eventTime, String text) {
        Instant now = clock.instant();
        if (eventTime.isAfter(now.plus(maxClockSkew))) {
            return new Violation("timestamp", "is more than " + maxClockSkew.toMinutes() + " minutes in the future (" + text + ")", "timestamp");
        }
        if (eventTime.isBefore(now.minus(maxEventAge))) {
            return new Violation("timestamp", "is more than " + maxEventAge.toDays() + " days old (" + text + ")", "timestamp");
        }
        return null;
    }

    /** The field (dotted path) of the first float too large for a double, or null. */
    private static String nonFiniteNumber(JsonNode node, String path) {
        if (node.isFloatingPointNumber()) {
            return Double.isFinite(node.doubleValue()) ? null : path.isEmpty() ? "$" : path;
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = nonFiniteNumber(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        else if (node.isObject()) {
            java.util.Iterator<java.util.Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                java.util.Map.Entry<String, JsonNode> field = fields.next();
                String found = nonFiniteNumber(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey());
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static String fieldOf(Error error) {
        // The location is a JSON pointer ("/metadata/duration") or a JSON path ("$.metadata.duration").
        String location = String.valueOf(error.getInstanceLocation());
        String path = location.startsWith("$") ? location.substring(1) : location;
        path = path.replace('/', '.');
        path = path.startsWith(".") ? path.substring(1) : path;
        if (error.getProperty() != null && ("required".equals(error.getKeyword()) || "additionalProperties".equals(error.getKeyword()))) {
            return path.isEmpty() ? error.getProperty() : path + "." + error.getProperty();
        }
        return path.isEmpty() ? "$" : path;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
