package io.clickstream.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The LMS event contract: the versioned JSON Schema under {@code schemas/lms-event/}, read once.
 *
 * <p>Ingest validates with {@link #schemaText()}; the Spark jobs build their columns from
 * {@link #fields()} and {@link #metadataFields()}. Nothing in the project infers a schema from data.
 */
public final class EventContract {
    public static final int CURRENT_VERSION = 1;
    /** Added by ingest to every published event: when the collector received it (UTC, RFC 3339). */
    public static final String RECEIVED_AT = "received_at";
    /** Added by ingest to every published event: the contract version it was validated against. */
    public static final String SCHEMA_VERSION = "schema_version";

    private final int version;
    private final String schemaText;
    private final List<EventField> fields;
    private final List<EventField> metadataFields;
    private final List<String> eventNames;

    private EventContract(int version, String schemaText) {
        this.version = version;
        this.schemaText = requireNonNull(schemaText, "schemaText is null");
        try {
            JsonNode root = new ObjectMapper().readTree(schemaText);
            Set<String> required = new HashSet<>();
            root.path("required").forEach(node -> required.add(node.asText()));
            this.fields = readFields(root.path("properties"), required);
            this.metadataFields = readFields(root.path("properties").path("metadata").path("properties"), Set.of());
            List<String> names = new ArrayList<>();
            root.path("properties").path("event_name").path("enum").forEach(node -> names.add(node.asText()));
            this.eventNames = List.copyOf(names);
        }
        catch (IOException e) {
            throw new UncheckedIOException("event schema v" + version + " is not valid JSON", e);
        }
    }

    /** The contract events are validated against today. */
    public static EventContract current() {
        return load(CURRENT_VERSION);
    }

    public static EventContract load(int version) {
        String resource = resourcePath(version);
        try (InputStream in = EventContract.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no event schema version " + version + " (missing resource " + resource + ")");
            }
            return new EventContract(version, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    public static String resourcePath(int version) {
        return "/schemas/lms-event/v" + version + ".json";
    }

    public int version() {
        return version;
    }

    public String schemaText() {
        return schemaText;
    }

    /** Top-level properties in declaration order. */
    public List<EventField> fields() {
        return fields;
    }

    /** The typed keys of {@code metadata}; other keys are kept in the metadata JSON only. */
    public List<EventField> metadataFields() {
        return metadataFields;
    }

    public List<String> eventNames() {
        return eventNames;
    }

    private static List<EventField> readFields(JsonNode properties, Set<String> required) {
        List<EventField> result = new ArrayList<>();
        properties.fields().forEachRemaining(entry -> result.add(new EventField(
                entry.getKey(),
                typeOf(entry.getKey(), entry.getValue()),
                required.contains(entry.getKey()),
                entry.getValue().path("description").asText(""))));
        return List.copyOf(result);
    }

    private static FieldType typeOf(String name, JsonNode property) {
        JsonNode type = property.path("type");
        String primary = type.isArray() ? firstNonNull(type) : type.asText();
        return switch (primary) {
            case "string" -> "date-time".equals(property.path("format").asText()) ? FieldType.TIMESTAMP : FieldType.STRING;
            case "integer" -> FieldType.INTEGER;
            case "number" -> FieldType.NUMBER;
            case "object" -> FieldType.JSON_OBJECT;
            default -> throw new IllegalStateException("event schema property '" + name + "' has unsupported type " + type);
        };
    }

    private static String firstNonNull(JsonNode types) {
        for (JsonNode type : types) {
            if (!"null".equals(type.asText())) {
                return type.asText();
            }
        }
        return "null";
    }
}
