package io.clickstream.jobs.streaming;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What the streaming job remembers per student between micro-batches: the event ids written within
 * the de-duplication horizon (as fingerprints, see {@link StudentEventFlags.WrittenEventIds}), the
 * current session, and the newest event times for the event-rate rule.
 *
 * <p>Spark's state store holds it as the bytes of {@link #toBytes}, not as a bean: Spark's
 * {@code flatMapGroupsWithState} reads every student's state back in every batch to find the ones
 * that timed out, and copying bytes costs little where decoding a bean's arrays and strings for
 * 100 000 students took most of a batch. Only the students of the batch are decoded
 * ({@link #fromBytes}).
 */
public final class StudentState {
    /** The first byte of {@link #toBytes}; a layout change needs another (and another {@code STATE_FORMAT}). */
    private static final byte LAYOUT = 1;

    private long[] writtenIds = new long[0];
    private long[] writtenAt = new long[0];
    private String sessionKey;
    private String clientSession;
    private long lastEventMillis;
    private long[] recentEventMillis = new long[0];

    /** The fingerprints of the event ids written within the horizon, two longs each. */
    public long[] getWrittenIds() {
        return writtenIds;
    }

    public void setWrittenIds(long[] writtenIds) {
        this.writtenIds = writtenIds == null ? new long[0] : writtenIds;
    }

    /** When each of {@link #getWrittenIds} was first written (processing time, epoch ms), in the same order. */
    public long[] getWrittenAt() {
        return writtenAt;
    }

    public void setWrittenAt(long[] writtenAt) {
        this.writtenAt = writtenAt == null ? new long[0] : writtenAt;
    }

    public String getSessionKey() {
        return sessionKey;
    }

    public void setSessionKey(String sessionKey) {
        this.sessionKey = sessionKey;
    }

    /** The client's session_id of the current session (null when the client sent none). */
    public String getClientSession() {
        return clientSession;
    }

    public void setClientSession(String clientSession) {
        this.clientSession = clientSession;
    }

    /** Event time (epoch ms) of the student's newest event. */
    public long getLastEventMillis() {
        return lastEventMillis;
    }

    public void setLastEventMillis(long lastEventMillis) {
        this.lastEventMillis = lastEventMillis;
    }

    /**
     * Event times (epoch ms) of the newest events, ascending, at most bot-events-per-minute + 1 of the last minute.
     */
    public long[] getRecentEventMillis() {
        return recentEventMillis;
    }

    public void setRecentEventMillis(long[] recentEventMillis) {
        this.recentEventMillis = recentEventMillis == null ? new long[0] : recentEventMillis;
    }

    /** The state as bytes: layout, newest event time, session key, client session, written ids and times, recent times. */
    public byte[] toBytes() {
        byte[] session = utf8(sessionKey);
        byte[] client = utf8(clientSession);
        int written = Math.min(writtenAt.length, writtenIds.length / 2);
        int size = 1 + Long.BYTES + 2 * Integer.BYTES + length(session) + length(client)
                + Integer.BYTES + written * 3 * Long.BYTES + Integer.BYTES + recentEventMillis.length * Long.BYTES;
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(LAYOUT).putLong(lastEventMillis);
        putText(out, session);
        putText(out, client);
        out.putInt(written);
        out.asLongBuffer().put(writtenIds, 0, 2 * written);
        out.position(out.position() + 2 * written * Long.BYTES);
        out.asLongBuffer().put(writtenAt, 0, written);
        out.position(out.position() + written * Long.BYTES);
        out.putInt(recentEventMillis.length);
        out.asLongBuffer().put(recentEventMillis);
        return out.array();
    }

    /** The state {@link #toBytes} wrote. */
    public static StudentState fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte layout = in.get();
        if (layout != LAYOUT) {
            throw new IllegalStateException("student state of layout " + layout + ", this job reads layout " + LAYOUT);
        }
        StudentState state = new StudentState();
        state.lastEventMillis = in.getLong();
        state.sessionKey = text(in);
        state.clientSession = text(in);
        int written = in.getInt();
        state.writtenIds = longs(in, 2 * written);
        state.writtenAt = longs(in, written);
        state.recentEventMillis = longs(in, in.getInt());
        return state;
    }

    private static byte[] utf8(String text) {
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }

    private static int length(byte[] text) {
        return text == null ? 0 : text.length;
    }

    private static void putText(ByteBuffer out, byte[] text) {
        out.putInt(text == null ? -1 : text.length);
        if (text != null) {
            out.put(text);
        }
    }

    private static String text(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0) {
            return null;
        }
        String text = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return text;
    }

    private static long[] longs(ByteBuffer in, int count) {
        long[] values = new long[count];
        in.asLongBuffer().get(values);
        in.position(in.position() + count * Long.BYTES);
        return values;
    }
}
