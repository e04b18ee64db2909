package io.clickstream.ingest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WriteKeysTest {
    private long now = 1_000_000_000L;
    private final WriteKey key = new WriteKey("web", "web-write-key-0123456789", 10);
    private final WriteKeys keys = new WriteKeys(List.of(key), () -> now);

    @Test
    void aBatchIsAdmittedWholeOrNotAtAll() {
        assertEquals(0, keys.admit(key, 8));
        assertEquals(1, keys.admit(key, 3), "2 left, 3 asked: none taken, a second to wait");
        assertEquals(0, keys.admit(key, 2));
    }

    @Test
    void waitForAnyTakesNothingAndTellsWhenTheFirstTokenIsBack() {
        assertEquals(0, keys.waitForAny(key));
        assertEquals(0, keys.waitForAny(key), "asking takes no token");
        assertEquals(0, keys.admit(key, 10));
        assertEquals(1, keys.waitForAny(key));
        now += 100_000_000L;   // 0.1 s: one event's worth at 10 events/s
        assertEquals(0, keys.waitForAny(key));
        assertEquals(0, keys.admit(key, 1));
        assertEquals(1, keys.waitForAny(key));
    }
}
