package io.clickstream.jobs.streaming;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.SharedSpark;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.schema.EventContract;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The per-student rules, batch after batch with one state, as the stream runs them. */
class StudentEventFlagsTest {
    private static final String STUDENT = "s:p1";
    private final StudentEventFlags flags = new StudentEventFlags(Duration.ofMinutes(30), Duration.ofMinutes(30), 5);
    private final SilverTransform transform = new SilverTransform(EventContract.current());
    private StudentState state = new StudentState();
    private long offset;

    @Test
    void aCopyWithinTheHorizonIsFlaggedAndAnotherInTheSameBatchToo() {
        long now = Instant.parse("2026-11-20T10:00:00Z").toEpochMilli();
        List<Row> first = batch(now, event("e1", "10:00:00", "c1"), event("e1", "10:00:00", "c1"), event("e2", "10:00:05", "c1"));
        assertEquals(List.of(false, true, false), duplicates(first));
        assertEquals(List.of(true), duplicates(batch(now + 60_000, event("e1", "10:00:00", "c1"))), "a retry a minute later");
        assertEquals(List.of(false), duplicates(batch(now + Duration.ofMinutes(31).toMillis(), event("e1", "10:00:00", "c1"))),
                "after the horizon the state has forgotten it: silver's MERGE catches it");
    }

    @Test
    void writtenIdsAreKeptAsFingerprintsAndForgottenAfterTheHorizon() {
        long now = Instant.parse("2026-11-20T10:00:00Z").toEpochMilli();
        String id = "7f1c1b9e-3c7a-4d4e-9a55-0c2d5b8f6a11";
        List<Row> first = batch(now, event(id, "10:00:00", "c1"), event(id.toUpperCase(), "10:00:00", "c1"), event(id, "10:00:00", "c1"));
        assertEquals(List.of(false, false, true), duplicates(first), "ids are compared exactly: another case is another id");
        assertEquals(4, state.getWrittenIds().length, "two ids written, two longs each");
        java.util.UUID uuid = java.util.UUID.fromString(id);
        List<Long> longs = java.util.Arrays.stream(state.getWrittenIds()).boxed().toList();
        assertTrue(longs.contains(uuid.getMostSignificantBits()) && longs.contains(uuid.getLeastSignificantBits()), "a UUID is its own fingerprint");

        batch(now + Duration.ofMinutes(31).toMillis(), event("later", "10:31:00", "c1"));
        assertEquals(1, state.getWrittenAt().length, "ids older than the horizon leave the state");
        assertEquals(2, state.getWrittenIds().length);
    }

    @Test
    void writtenIdsAreKeptSortedByFingerprintSoABatchLooksItsEventsUpAndSavesWithOneMerge() {
        long now = Instant.parse("2026-11-20T10:00:00Z").toEpochMilli();
        long horizon = Duration.ofMinutes(30).toMillis();
        StudentState earlier = new StudentState();
        earlier.setWrittenIds(new long[] {-3, 7, 2, 2, 5, 0, 5, 1});
        earlier.setWrittenAt(new long[] {now - 2_000, now - 3_000, now - horizon - 1, now - 1_000});
        StudentEventFlags.WrittenEventIds ids = flags.writtenIds(earlier);
        java.util.Random random = new java.util.Random(7);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            String id = i % 2 == 0 ? new java.util.UUID(random.nextLong(), random.nextLong()).toString() : "event-" + i;
            assertTrue(ids.firstWrite(id, now), id);
            written.add(id);
        }
        for (String id : written) {
            assertFalse(ids.firstWrite(id, now + 1), "written in this batch: " + id);
        }
        ids.saveTo(earlier, now - horizon);
        assertEquals(1_003, earlier.getWrittenAt().length, "the id written before the horizon is forgotten");
        long[] saved = earlier.getWrittenIds();
        for (int i = 2; i < saved.length; i += 2) {
            assertTrue(saved[i - 2] < saved[i] || (saved[i - 2] == saved[i] && saved[i - 1] < saved[i + 1]), "sorted by fingerprint at " + i / 2);
        }
        StudentEventFlags.WrittenEventIds next = flags.writtenIds(earlier);
        for (String id : written) {
            assertFalse(next.firstWrite(id, now + 60_000), "a copy in the next batch: " + id);
        }
        assertTrue(next.firstWrite("new", now + 60_000));
        assertTrue(next.firstWrite(written.get(0), now + horizon + 1), "past the horizon an id is new again");
    }

    @Test
    void theStateStoreHoldsEachStudentAsBytesThatReadBackWhole() {
        StudentState full = new StudentState();
        full.setWrittenIds(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE});
        full.setWrittenAt(new long[] {1_700_000_000_000L, 1_700_000_000_001L});
        full.setSessionKey("0123456789abcdef0123456789abcdef");
        full.setClientSession("séance-✓");
        full.setLastEventMillis(1_700_000_000_002L);
        full.setRecentEventMillis(new long[] {3, 4, 5});
        StudentState back = StudentState.fromBytes(full.toBytes());
        assertArrayEquals(full.getWrittenIds(), back.getWrittenIds());
        assertArrayEquals(full.getWrittenAt(), back.getWrittenAt());
        assertEquals(full.getSessionKey(), back.getSessionKey());
        assertEquals("séance-✓", back.getClientSession());
        assertEquals(full.getLastEventMillis(), back.getLastEventMillis());
        assertArrayEquals(full.getRecentEventMillis(), back.getRecentEventMillis());

        StudentState empty = StudentState.fromBytes(new StudentState().toBytes());
        assertNull(empty.getSessionKey());
        assertNull(empty.getClientSession());
        assertEquals(0, empty.getWrittenIds().length + empty.getWrittenAt().length + empty.getRecentEventMillis().length);
        byte[] otherLayout = new StudentState().toBytes();
        otherLayout[0] = 9;
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> StudentState.fromBytes(otherLayout))
                .getMessage().contains("layout 9"));
    }

    @Test
    void sessionsSplitOnInactivityAndOnANewClientSessionAcrossBatches() {
        long now = Instant.parse("2026-11-21T12:00:00Z").toEpochMilli();
        List<Row> rows = new ArrayList<>(batch(now, event("a", "10:00:00", "c1"), event("b", "10:20:00", "c1")));
        rows.addAll(batch(now + 1_000, event("c", "10:45:00", "c1")));               // next batch, 25 min later: same session
        rows.addAll(batch(now + 2_000, event("d", "11:30:00", "c1")));               // 45 min of silence, client id reused: new session
        rows.addAll(batch(now + 3_000, event("e", "11:31:00", "c2")));               // the client started another session
        rows.addAll(batch(now + 4_000, event("f", "10:50:00", "c1")));               // far behind the newest event: a key of its own
        rows.addAll(batch(now + 5_000, event("g", "11:40:00", "c2"), event("h", "11:41:00", null)));  // no client id: gap only
        List<String> keys = rows.stream().map(row -> row.<String>getAs(EventColumns.SESSION_KEY)).toList();

        assertEquals(keys.get(0), keys.get(1));
        assertEquals(keys.get(0), keys.get(2));
        assertNotEquals(keys.get(2), keys.get(3));
        assertNotEquals(keys.get(3), keys.get(4));
        assertFalse(List.of(keys.get(0), keys.get(3), keys.get(4)).contains(keys.get(5)));
        assertEquals(keys.get(4), keys.get(6), "the late event left the current session alone");
        assertEquals(keys.get(4), keys.get(7));
        assertEquals(StudentEventFlags.key("p1", "c1", Instant.parse("2026-11-20T10:00:00Z").toEpochMilli()), keys.get(0),
                "the key depends only on the events, so a replay gives the same");
    }

    @Test
    void moreEventsInAMinuteThanAPersonSendsMarksABot() {
        long now = Instant.parse("2026-11-21T12:00:00Z").toEpochMilli();
        List<Row> slow = batch(now, event("s1", "10:00:00", "c"), event("s2", "10:00:20", "c"), event("s3", "10:00:40", "c"));
        assertTrue(slow.stream().noneMatch(row -> row.<Boolean>getAs(StudentEventFlags.RATE_BOT)));
        List<Row> fast = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fast.addAll(batch(now + i, event("f" + i, "10:00:4" + (5 + i), "c")));
        }
        // 3 + 4 events within the minute up to 10:00:48; the sixth is the first over 5.
        assertEquals(List.of(false, false, true, true), fast.stream().map(row -> row.<Boolean>getAs(StudentEventFlags.RATE_BOT)).toList());
        assertArrayEquals(new long[] {20, 40, 45, 46, 47, 48}, java.util.Arrays.stream(state.getRecentEventMillis())
                .map(millis -> (millis - Instant.parse("2026-11-20T10:00:00Z").toEpochMilli()) / 1_000).toArray(),
                "the newest bot-events-per-minute + 1 times are kept, ascending");
        // An event that arrives late, in a quiet minute long before the kept times, is not fast; the kept times stay.
        assertEquals(List.of(false), batch(now + 10, event("old", "09:50:00", "c")).stream()
                .map(row -> row.<Boolean>getAs(StudentEventFlags.RATE_BOT)).toList());
        assertEquals(6, state.getRecentEventMillis().length);
    }

    @Test
    void recordsThatAreNotValidEventsPassUnflaggedAndTouchNoState() {
        Row poison = parsed("{not json").get(0);
        String group = StudentEventFlags.groupOf(poison);
        assertTrue(group.startsWith("r:lms_clickstream/0/"), group);
        StudentEventFlags.WrittenIds untouchable = (eventId, processingMillis) -> {
            throw new AssertionError("a record that is not an event asked the written ids about " + eventId);
        };
        Row out = flags.flag(group, List.of(poison).iterator(), state, untouchable, 0).get(0);
        assertFalse(out.<Boolean>getAs(StudentEventFlags.DUPLICATE));
        assertNull(out.getAs(EventColumns.SESSION_KEY));
        assertNull(state.getSessionKey());
    }

    private List<Row> batch(long processingMillis, String... events) {
        List<Row> rows = parsed(events);
        rows.forEach(row -> assertEquals(STUDENT, StudentEventFlags.groupOf(row)));
        // Between batches the stream keeps the state as bytes in the state store: decode, flag, save, encode as it does.
        state = StudentState.fromBytes(state.toBytes());
        StudentEventFlags.WrittenEventIds ids = flags.writtenIds(state);
        List<Row> flagged = flags.flag(STUDENT, rows.iterator(), state, ids, processingMillis);
        ids.saveTo(state, processingMillis - Duration.ofMinutes(30).toMillis());
        state = StudentState.fromBytes(state.toBytes());
        flagged.forEach(row -> assertNotNull(row.getAs(StudentEventFlags.DUPLICATE)));
        return flagged;
    }

    private List<Row> parsed(String... events) {
        List<Row> rows = new ArrayList<>();
        for (String event : events) {
            rows.addAll(transform.parse(SharedSpark.kafkaRecords(List.of(event), offset++, Instant.parse("2026-11-21T12:00:00Z")))
                    .collectAsList());
        }
        return rows;
    }

    private static List<Boolean> duplicates(List<Row> rows) {
        return rows.stream().map(row -> row.<Boolean>getAs(StudentEventFlags.DUPLICATE)).toList();
    }

    private static String event(String eventId, String time, String clientSession) {
        return "{\"event_id\":\"" + eventId + "\",\"student_id\":\"p1\",\"event_name\":\"click\",\"page_url\":\"/\","
                + (clientSession == null ? "\"session_id\":\" \"," : "\"session_id\":\"" + clientSession + "\",")
                + "\"timestamp\":\"2026-11-20T" + time + "Z\"}";
    }
}
