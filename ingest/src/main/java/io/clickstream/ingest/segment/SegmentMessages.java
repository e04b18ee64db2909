package io.clickstream.ingest.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.ingest.validation.EventValidator;
import io.clickstream.ingest.validation.Rfc3339;
import io.clickstream.ingest.validation.Violation;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Segment-spec messages ({@code track}, {@code page}, {@code screen}) mapped onto the LMS event, so
 * analytics SDKs can send unchanged. What a message cannot carry into the LMS contract is refused
 * with a reason, never dropped.
 *
 * <table>
 *   <caption>Mapping</caption>
 *   <tr><td>event_id</td><td>messageId (a new UUID when absent, as Segment does)</td></tr>
 *   <tr><td>student_id</td><td>userId, else "anonymous:" + anonymousId</td></tr>
 *   <tr><td>event_name</td><td>page/screen: page_view; track: the Segment video spec names, or the event name in snake case</td></tr>
 *   <tr><td>page_url</td><td>properties.url, context.page.url, properties.path, context.page.path</td></tr>
 *   <tr><td>session_id</td><td>properties.session_id, context.sessionId, else "unknown" (never an id)</td></tr>
 *   <tr><td>timestamp</td><td>timestamp (or originalTimestamp), shifted by receivedAt − sentAt to correct the client clock</td></tr>
 *   <tr><td>chapter_id, referrer</td><td>properties.chapter_id, properties.referrer or context.page.referrer</td></tr>
 *   <tr><td>device_type, user_agent, ip</td><td>context.device.type, context.userAgent, context.ip</td></tr>
 *   <tr><td>metadata</td><td>the remaining properties</td></tr>
 * </table>
 */
public final class SegmentMessages {
    private static final Map<String, String> SPEC_EVENTS = Map.of(
            "video playback started", "video_play",
            "video playback resumed", "video_play",
            "video playback paused", "video_pause",
            "video playback completed", "video_complete",
            "products searched", "search",
            "page viewed", "page_view");
    private static final Set<String> MAPPED_PROPERTIES = Set.of("url", "path", "referrer", "session_id", "chapter_id");
    private static final Set<String> DEVICE_TYPES = Set.of("desktop", "mobile", "tablet", "tv");
    /** Error fields named as the Segment client knows them. */
    private static final Map<String, String> SEGMENT_FIELD = Map.of(
            "event_id", "messageId", "student_id", "userId", "event_name", "event", "page_url", "properties.url",
            "session_id", "properties.session_id", "timestamp", "timestamp", "chapter_id", "properties.chapter_id");

    private static final JsonNode UNKNOWN_SESSION = com.fasterxml.jackson.databind.node.TextNode.valueOf("unknown");

    /** A message turned into an LMS event, or the reasons it cannot be one. */
    public record Mapped(ObjectNode event, List<Violation> violations) {}

    private final ObjectMapper mapper;

    public SegmentMessages(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** True when an object on /v1/track is a Segment message rather than an LMS event. */
    public static boolean isSegmentMessage(JsonNode body) {
        return body.isObject() && !body.has("event_name") && (body.has("event") || body.has("userId") || body.has("anonymousId")
                || body.has("messageId") || body.has("type"));
    }

    /** Renames an LMS field in an error to the Segment field the client sent. */
    public static String segmentField(String lmsField) {
        return SEGMENT_FIELD.getOrDefault(lmsField, lmsField.startsWith("metadata.") ? "properties." + lmsField.substring(9) : lmsField);
    }

    /**
     * @param type the message type when the route implies one (page, track), else taken from {@code type}
     * @param batchContext a /v1/batch request's shared {@code context}, or null
     */
    public Mapped map(JsonNode message, String type, Instant receivedAt, JsonNode batchContext) {
        if (!message.isObject()) {
            return refused("$", "a Segment message must be a JSON object", "type");
        }
        String messageType = message.path("type").asText(type == null ? "" : type).toLowerCase(Locale.ROOT);
        JsonNode properties = message.path("properties");
        JsonNode context = message.has("context") ? message.get("context") : batchContext == null ? mapper.createObjectNode() : batchContext;
        String eventName;
        switch (messageType) {
            case "page", "screen" -> eventName = "page_view";
            case "track" -> {
                if (!message.path("event").isTextual() || message.get("event").asText().isBlank()) {
                    return refused("event", "a track message needs an event name", "required");
                }
                String name = message.get("event").asText().trim();
                eventName = SPEC_EVENTS.getOrDefault(name.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_"));
            }
            case "identify", "group", "alias" -> {
                return refused("type", "'" + messageType + "' messages are not stored: this collector keeps learning events "
                        + "(track, page, screen); user traits often hold personal data", "type");
            }
            default -> {
                return refused("type", "unknown Segment message type '" + messageType + "'", "type");
            }
        }

        ObjectNode event = mapper.createObjectNode();
        event.put("event_id", text(message, "messageId", UUID.randomUUID().toString()));
        String userId = text(message, "userId", null);
        String anonymousId = text(message, "anonymousId", null);
        if (userId != null) {
            event.put("student_id", userId);
        }
        else if (anonymousId != null) {
            event.put("student_id", "anonymous:" + anonymousId);
        }
        event.put("event_name", eventName);
        putFirst(event, "page_url", properties.path("url"), context.path("page").path("url"), properties.path("path"), context.path("page").path("path"));
        // Never an id as fallback: a raw userId here would store the student's id in clear.
        // Sessions are rebuilt from inactivity gaps downstream when the client has none.
        putFirst(event, "session_id", properties.path("session_id"), context.path("sessionId"), UNKNOWN_SESSION);
        putFirst(event, "chapter_id", properties.path("chapter_id"));
        putFirst(event, "referrer", properties.path("referrer"), context.path("page").path("referrer"));
        putFirst(event, "user_agent", context.path("userAgent"));
        putFirst(event, "ip", context.path("ip"));
        String deviceType = context.path("device").path("type").asText("").toLowerCase(Locale.ROOT);
        if (!deviceType.isEmpty()) {
            event.put("device_type", DEVICE_TYPES.contains(deviceType) ? deviceType : "other");
        }
        try {
            event.put("timestamp", correctedTime(message, receivedAt).toString());
        }
        catch (DateTimeParseException e) {
            return new Mapped(null, List.of(new Violation("timestamp", "timestamp and sentAt must be RFC 3339 date-times", "timestamp")));
        }
        ObjectNode metadata = mapper.createObjectNode();
        properties.fields().forEachRemaining(entry -> {
            if (!MAPPED_PROPERTIES.contains(entry.getKey())) {
                metadata.set(entry.getKey(), entry.getValue());
            }
        });
        if (!metadata.isEmpty()) {
            event.set("metadata", metadata);
        }
        return new Mapped(event, List.of());
    }

    /** The client's event time moved by the client clock's error (receivedAt − sentAt), as Segment does. */
    private static Instant correctedTime(JsonNode message, Instant receivedAt) {
        String timestamp = text(message, "timestamp", text(message, "originalTimestamp", null));
        String sentAt = text(message, "sentAt", null);
        Instant eventTime = timestamp == null ? receivedAt : Rfc3339.parse(timestamp);
        if (timestamp != null && sentAt != null) {
            eventTime = eventTime.plus(Duration.between(Rfc3339.parse(sentAt), receivedAt));
        }
        return eventTime;
    }

    private static String text(JsonNode node, String field, String fallback) {
        JsonNode value = node.get(field);
        return value != null && value.isValueNode() && !value.isNull() && !value.asText().isBlank() ? value.asText() : fallback;
    }

    private static void putFirst(ObjectNode event, String field, JsonNode... candidates) {
        for (JsonNode candidate : candidates) {
            if (candidate.isValueNode() && !candidate.isNull() && !candidate.asText().isBlank()) {
                event.put(field, candidate.asText());
                return;
            }
        }
    }

    private static Mapped refused(String field, String problem, String kind) {
        return new Mapped(null, List.of(new Violation(field, problem, kind)));
    }
}
