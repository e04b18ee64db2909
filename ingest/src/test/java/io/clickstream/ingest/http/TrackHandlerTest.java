package io.clickstream.ingest.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TrackHandlerTest {
    @Test
    void routesLongShortAndWithATrailingSlash() {
        assertEquals("/v1/track", TrackHandler.route("/v1/track/"));
        assertEquals("/v1/t", TrackHandler.route("/v1/t"));
        assertNull(TrackHandler.route("/v1/x"));
        assertNull(TrackHandler.route("/v1/tracks"));
        assertEquals("track", TrackHandler.segmentType("/v1/t"));
        assertEquals("page", TrackHandler.segmentType("/v1/p"));
        assertEquals("screen", TrackHandler.segmentType("/v1/s"));
        assertEquals("identify", TrackHandler.segmentType("/v1/i"));
        assertEquals("group", TrackHandler.segmentType("/v1/group"));
        assertEquals("alias", TrackHandler.segmentType("/v1/a"));
        assertNull(TrackHandler.segmentType("/v1/b"), "a batch: each message names its type");
        assertNull(TrackHandler.segmentType("/v1/batch"));
        assertNull(TrackHandler.segmentType("/v1/import"), "the batch route's older name");
    }

    @Test
    void aBodysWriteKeyIsItsTopLevelString() {
        assertEquals("k1", key("{\"a\":{\"writeKey\":\"nested\"},\"b\":[1,{\"writeKey\":\"x\"}],\"writeKey\":\"k1\"}"));
        assertNull(key("{\"a\":{\"writeKey\":\"nested\"}}"));
        assertNull(key("{\"writeKey\":42}"));
        assertNull(key("[{\"writeKey\":\"k1\"}]"), "a key is read from an object body only");
        assertNull(key("{\"writeKey\":"));
        assertNull(key(""));
    }

    private static String key(String body) {
        return TrackHandler.bodyWriteKey(body.getBytes(StandardCharsets.UTF_8));
    }
}
