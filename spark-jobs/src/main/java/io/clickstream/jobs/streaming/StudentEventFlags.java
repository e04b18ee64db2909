package io.clickstream.jobs.streaming;

import static java.util.Objects.requireNonNull;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.EventColumns;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.streaming.GroupState;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Per-student rules over parsed records, with state kept between micro-batches: which events are
 * copies of an event_id already written within the de-duplication horizon ({@value #DUPLICATE}),
 * the reconstructed session ({@code session_key}), and whether the student sends faster than a
 * person can ({@value #RATE_BOT}).
 *
 * <p>Every record passes through, flagged, so bronze still gets each one; records that are not a
 * valid event (quarantine) pass unflagged and touch no state. The stream keys state by student
 * (copies of an event always carry the same student), so one state store serves all three rules.
 * Batch callers (replays, tests) run the same rules from empty state.
 */
public final class StudentEventFlags implements Serializable {
    private static final long serialVersionUID = 1L;
    /** True for a copy of an event_id this job already wrote within the horizon (or earlier in the same batch). */
    public static final String DUPLICATE = "duplicate";
    /** True when the student sent more than the allowed events within a minute of event time. */
    public static final String RATE_BOT = "rate_bot";
    private static final long MINUTE = 60_000;

    private final long horizonMillis;
    private final long sessionGapMillis;
    private final int botEventsPerMinute;

    public StudentEventFlags(Duration deduplicationHorizon, Duration sessionInactivityGap, int botEventsPerMinute) {
        this.horizonMillis = requireNonNull(deduplicationHorizon, "deduplicationHorizon is null").toMillis();
        this.sessionGapMillis = requireNonNull(sessionInactivityGap, "sessionInactivityGap is null").toMillis();
        this.botEventsPerMinute = botEventsPerMinute;
    }

    /** The rules as the streaming job's configuration sets them. */
    public static StudentEventFlags of(JobsConfig.Streaming streaming) {
        return new StudentEventFlags(streaming.deduplicationHorizon(), streaming.sessionInactivityGap(), streaming.botEventsPerMinute());
    }

    /** The parsed columns plus {@value #DUPLICATE}, {@code session_key} and {@value #RATE_BOT}. */
    public static StructType flaggedSchema(StructType parsed) {
        return parsed.add(DUPLICATE, DataTypes.BooleanType, false)
                .add(EventColumns.SESSION_KEY, DataTypes.StringType, true)
                .add(RATE_BOT, DataTypes.BooleanType, false);
    }

    /**
     * A stream: state per student across micro-batches (Spark's state store), dropped after the student has been quiet
     * for the horizon or the gap. The event ids written within the horizon are kept as 16-byte fingerprints in two
     * primitive arrays ({@link WrittenEventIds}): a student's state is rewritten whenever the student sends, so it is
     * kept compact. The state store holds each state as bytes ({@link StudentState#toBytes}), because Spark reads all
     * of them back in every batch to find the timed-out students; only the students of the batch are decoded.
     */
    public Dataset<Row> flagStream(Dataset<Row> parsed) {
        return parsed.groupByKey((MapFunction<Row, String>) StudentEventFlags::groupOf, Encoders.STRING())
                .flatMapGroupsWithState((FlatMapGroupsWithStateFunction<String, Row, byte[], Row>) this::flagWithState,
                        OutputMode.Append(), Encoders.BINARY(), Encoders.row(flaggedSchema(parsed.schema())),
                        GroupStateTimeout.ProcessingTimeTimeout());
    }

    /** A batch (a replay from bronze, a test): the same rules, each student starting from no state. */
    public Dataset<Row> flagBatch(Dataset<Row> parsed) {
        long now = System.currentTimeMillis();
        return parsed.groupByKey((MapFunction<Row, String>) StudentEventFlags::groupOf, Encoders.STRING())
                .flatMapGroups((FlatMapGroupsFunction<String, Row, Row>) (group, rows) -> flag(group, rows, new StudentState(),
                        writtenIds(new StudentState()), now).iterator(), Encoders.row(flaggedSchema(parsed.schema())));
    }

    private Iterator<Row> flagWithState(String group, Iterator<Row> rows, GroupState<byte[]> state) {
        if (state.hasTimedOut()) {
            state.remove();
            return java.util.Collections.emptyIterator();
        }
        StudentState current = state.exists() ? StudentState.fromBytes(state.get()) : new StudentState();
        WrittenEventIds written = writtenIds(current);
        List<Row> flagged = flag(group, rows, current, written, state.getCurrentProcessingTimeMs());
        if (isStudent(group)) {
            written.saveTo(current, state.getCurrentProcessingTimeMs() - horizonMillis);
            state.update(current.toBytes());
            state.setTimeoutDuration(Math.max(horizonMillis, sessionGapMillis) + MINUTE);
        }
        return flagged.iterator();
    }

    /** The event ids a student's events were written under: what the de-duplication rule remembers. */
    interface WrittenIds {
        /** True unless {@code eventId} was written within the horizon before {@code processingMillis}; either way it counts as written now. */
        boolean firstWrite(String eventId, long processingMillis);
    }

    /** The written ids of {@code state}, for one batch of one student; {@link WrittenEventIds#saveTo} puts them back. */
    WrittenEventIds writtenIds(StudentState state) {
        return new WrittenEventIds(state, horizonMillis);
    }

    /**
     * A student's written event ids as fingerprints: a canonical UUID is its own 128 bits (exact), any other id the
     * first 128 bits of its SHA-256 (two different ids of one student within the horizon share them with a probability
     * of about 2^-128 per pair). Each with the processing time it was first written, to forget it after the horizon.
     *
     * <p>The state keeps them sorted by fingerprint, so a batch looks its few events up by binary search and writes
     * the state back with one merge, instead of loading every id the student wrote within the horizon into a hash map
     * (a busy student has a thousand; the stream touches thousands of students per batch).
     */
    static final class WrittenEventIds implements WrittenIds {
        private record Fingerprint(long high, long low) implements Comparable<Fingerprint> {
            @Override
            public int compareTo(Fingerprint other) {
                return compare(high, low, other.high, other.low);
            }
        }

        private final long horizonMillis;
        /**
         * Fingerprints from the state, two longs each, sorted; {@link #at} holds when each was written. These are the
         * state's own arrays (each batch decodes a fresh state): a renewed time is written into them, and
         * {@link #saveTo} replaces both.
         */
        private final long[] ids;
        private final long[] at;
        /** Ids first written in this batch, not in {@link #ids}. */
        private final Map<Fingerprint, Long> added = new HashMap<>();

        WrittenEventIds(StudentState state, long horizonMillis) {
            this.horizonMillis = horizonMillis;
            int n = Math.min(state.getWrittenAt().length, state.getWrittenIds().length / 2);
            this.ids = state.getWrittenIds().length == 2 * n ? state.getWrittenIds() : java.util.Arrays.copyOf(state.getWrittenIds(), 2 * n);
            this.at = state.getWrittenAt().length == n ? state.getWrittenAt() : java.util.Arrays.copyOf(state.getWrittenAt(), n);
        }

        private static int compare(long high, long low, long otherHigh, long otherLow) {
            int byHigh = Long.compare(high, otherHigh);
            return byHigh != 0 ? byHigh : Long.compare(low, otherLow);
        }

        /** Index of the fingerprint in {@link #at}, or -1. */
        private int indexOf(Fingerprint fingerprint) {
            int low = 0;
            int high = at.length - 1;
            while (low <= high) {
                int middle = (low + high) >>> 1;
                int order = compare(ids[2 * middle], ids[2 * middle + 1], fingerprint.high(), fingerprint.low());
                if (order == 0) {
                    return middle;
                }
                if (order < 0) {
                    low = middle + 1;
                }
                else {
                    high = middle - 1;
                }
            }
            return -1;
        }

        @Override
        public boolean firstWrite(String eventId, long processingMillis) {
            Fingerprint fingerprint = fingerprint(eventId);
            int index = indexOf(fingerprint);
            long since = processingMillis - horizonMillis;
            if (index >= 0) {
                if (at[index] >= since) {
                    return false;
                }
                at[index] = processingMillis;
                return true;
            }
            Long addedAt = added.get(fingerprint);
            if (addedAt != null && addedAt >= since) {
                return false;
            }
            added.put(fingerprint, processingMillis);
            return true;
        }

        /** Stores the ids written at or after {@code forgetBefore} in {@code state}, sorted by fingerprint. */
        void saveTo(StudentState state, long forgetBefore) {
            List<Map.Entry<Fingerprint, Long>> news = new ArrayList<>(added.entrySet());
            news.sort(Map.Entry.comparingByKey());
            long[] mergedIds = new long[ids.length + 2 * news.size()];
            long[] mergedAt = new long[at.length + news.size()];
            int n = 0;
            int old = 0;
            int fresh = 0;
            while (old < at.length || fresh < news.size()) {
                boolean takeOld = fresh == news.size() || (old < at.length
                        && compare(ids[2 * old], ids[2 * old + 1], news.get(fresh).getKey().high(), news.get(fresh).getKey().low()) < 0);
                long high = takeOld ? ids[2 * old] : news.get(fresh).getKey().high();
                long low = takeOld ? ids[2 * old + 1] : news.get(fresh).getKey().low();
                long written = takeOld ? at[old++] : news.get(fresh++).getValue();
                if (written >= forgetBefore) {
                    mergedIds[2 * n] = high;
                    mergedIds[2 * n + 1] = low;
                    mergedAt[n++] = written;
                }
            }
            state.setWrittenIds(java.util.Arrays.copyOf(mergedIds, 2 * n));
            state.setWrittenAt(java.util.Arrays.copyOf(mergedAt, n));
        }

        private static Fingerprint fingerprint(String eventId) {
            if (eventId.length() == 36) {
                try {
                    UUID uuid = UUID.fromString(eventId);
                    if (uuid.toString().equals(eventId)) {
                        return new Fingerprint(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
                    }
                }
                catch (IllegalArgumentException notAUuid) {
                    // hashed below
                }
            }
            java.nio.ByteBuffer digest = java.nio.ByteBuffer.wrap(sha256(eventId));
            return new Fingerprint(digest.getLong(0), digest.getLong(8));
        }
    }

    /** Applies the rules to one group's records of a batch, in event-time order, updating {@code state} and {@code written}. */
    List<Row> flag(String group, Iterator<Row> records, StudentState state, WrittenIds written, long processingMillis) {
        List<Row> rows = new ArrayList<>();
        records.forEachRemaining(rows::add);
        List<Row> out = new ArrayList<>(rows.size());
        if (rows.isEmpty()) {
            return out;
        }
        StructType schema = flaggedSchema(rows.get(0).schema());
        if (!isStudent(group)) {
            rows.forEach(row -> out.add(withFlags(row, schema, false, null, false)));
            return out;
        }
        rows.sort(Comparator.comparing((Row row) -> row.<Timestamp>getAs(EventColumns.EVENT_TIMESTAMP))
                .thenComparing(row -> row.<Long>getAs("kafka_offset")));
        String student = group.substring(2);
        for (Row row : rows) {
            if (!written.firstWrite(row.getAs("event_id"), processingMillis)) {
                out.add(withFlags(row, schema, true, null, false));
                continue;
            }
            long time = row.<Timestamp>getAs(EventColumns.EVENT_TIMESTAMP).getTime();
            out.add(withFlags(row, schema, false, sessionKey(state, student, blankToNull(row.getAs("session_id")), time), tooFast(state, time)));
        }
        return out;
    }

    /**
     * The session of an event at {@code time}: the current one unless the student was inactive longer than the gap or
     * the client started another session. An event more than the gap behind the newest one belongs to a session that
     * is no longer followed: it gets a key of its own and leaves the current session alone.
     */
    private String sessionKey(StudentState state, String student, String clientSession, long time) {
        if (state.getSessionKey() != null && time < state.getLastEventMillis() - sessionGapMillis) {
            return key(student, clientSession, time);
        }
        boolean clientChanged = clientSession != null && !clientSession.equals(state.getClientSession());
        if (state.getSessionKey() == null || time - state.getLastEventMillis() > sessionGapMillis || clientChanged) {
            state.setSessionKey(key(student, clientSession, time));
            state.setClientSession(clientSession);
        }
        state.setLastEventMillis(Math.max(state.getLastEventMillis(), time));
        return state.getSessionKey();
    }

    /** More than botEventsPerMinute events in the minute up to {@code time}, counting this one. */
    private boolean tooFast(StudentState state, long time) {
        long[] old = state.getRecentEventMillis();
        // The newest times, ascending, with this one in its place; times a minute or more behind the newest are dropped.
        int at = java.util.Arrays.binarySearch(old, time);
        at = at < 0 ? -at - 1 : at;
        long[] recent = new long[old.length + 1];
        System.arraycopy(old, 0, recent, 0, at);
        recent[at] = time;
        System.arraycopy(old, at, recent, at + 1, old.length - at);
        long newest = recent[recent.length - 1];
        int from = 0;
        while (from < recent.length && recent[from] <= newest - MINUTE) {
            from++;
        }
        from = Math.max(from, recent.length - (botEventsPerMinute + 1));
        recent = java.util.Arrays.copyOfRange(recent, from, recent.length);
        state.setRecentEventMillis(recent);
        int inMinute = 0;
        for (long millis : recent) {
            if (millis > time - MINUTE && millis <= time) {
                inMinute++;
            }
        }
        return inMinute > botEventsPerMinute;
    }

    /** Students group by their pseudonym; anything that is not a valid event is a group of its own (no state). */
    static String groupOf(Row row) {
        String student = row.getAs("student_id");
        if (student != null && row.getAs(SilverTransform.REASON) == null) {
            return "s:" + student;
        }
        return "r:" + row.getAs("kafka_topic") + "/" + row.getAs("kafka_partition") + "/" + row.getAs("kafka_offset");
    }

    private static boolean isStudent(String group) {
        return group.startsWith("s:");
    }

    private static Row withFlags(Row row, StructType schema, boolean duplicate, String sessionKey, boolean rateBot) {
        Object[] values = new Object[row.size() + 3];
        for (int i = 0; i < row.size(); i++) {
            values[i] = row.get(i);
        }
        values[row.size()] = duplicate;
        values[row.size() + 1] = sessionKey;
        values[row.size() + 2] = rateBot;
        return new GenericRowWithSchema(values, schema);
    }

    /** 32 hex digits of SHA-256 over student, client session and start: the same events give the same key on a replay. */
    static String key(String student, String clientSession, long startMillis) {
        return HexFormat.of().formatHex(sha256(student + "|" + (clientSession == null ? "" : clientSession) + "|" + startMillis), 0, 16);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
