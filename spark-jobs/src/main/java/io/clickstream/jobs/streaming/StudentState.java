package io.clickstream.jobs.streaming;

import java.io.Serializable;

/**
 * What the streaming job remembers per student between micro-batches (Spark's state store, a Java
 * bean so Spark can encode it): the event ids written within the de-duplication horizon (as
 * fingerprints, see {@link StudentEventFlags.WrittenEventIds}), the current session, and the newest
 * event times for the event-rate rule.
 */
public class StudentState implements Serializable {
    private static final long serialVersionUID = 1L;

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
     * A primitive array: Spark reads every student's state back each batch (to check timeouts), and a list of boxed
     * numbers made that the state pass's biggest cost.
     */
    public long[] getRecentEventMillis() {
        return recentEventMillis;
    }

    public void setRecentEventMillis(long[] recentEventMillis) {
        this.recentEventMillis = recentEventMillis == null ? new long[0] : recentEventMillis;
    }
}
