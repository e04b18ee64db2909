package io.clickstream.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.UUID;

/**
 * Builds one valid LMS event as JSON; tests change only what they care about.
 *
 * <pre>{@code LmsEvent.pageView("student-1", "/courses/algebra").at("2026-11-20T10:00:00Z").json()}</pre>
 */
public final class LmsEvent {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ObjectNode node = MAPPER.createObjectNode();

    private LmsEvent(String eventName, String studentId, String pageUrl) {
        node.put("event_id", UUID.randomUUID().toString());
        node.put("student_id", studentId);
        node.put("event_name", eventName);
        node.put("page_url", pageUrl);
        node.put("session_id", "session-" + UUID.randomUUID().toString().substring(0, 8));
        node.put("device_type", "desktop");
        node.put("browser", "Firefox");
        node.put("timestamp", Instant.now().toString());
    }

    public static LmsEvent of(String eventName, String studentId, String pageUrl) {
        return new LmsEvent(eventName, studentId, pageUrl);
    }

    public static LmsEvent pageView(String studentId, String pageUrl) {
        return new LmsEvent("page_view", studentId, pageUrl);
    }

    public LmsEvent id(String eventId) {
        node.put("event_id", eventId);
        return this;
    }

    public LmsEvent at(String isoTimestamp) {
        node.put("timestamp", isoTimestamp);
        return this;
    }

    public LmsEvent session(String sessionId) {
        node.put("session_id", sessionId);
        return this;
    }

    public LmsEvent chapter(String chapterId) {
        node.put("chapter_id", chapterId);
        return this;
    }

    public LmsEvent set(String field, String value) {
        node.put(field, value);
        return this;
    }

    public LmsEvent remove(String field) {
        node.remove(field);
        return this;
    }

    public LmsEvent metadata(String key, double value) {
        metadataNode().put(key, value);
        return this;
    }

    public LmsEvent metadata(String key, String value) {
        metadataNode().put(key, value);
        return this;
    }

    public String eventId() {
        return node.get("event_id").asText();
    }

    public String json() {
        return node.toString();
    }

    /** A JSON array of the given events, as a batch request body. */
    public static String batch(LmsEvent... events) {
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < events.length; i++) {
            body.append(i == 0 ? "" : ",").append(events[i].json());
        }
        return body.append(']').toString();
    }

    private ObjectNode metadataNode() {
        return node.has("metadata") ? (ObjectNode) node.get("metadata") : node.putObject("metadata");
    }
}
