package io.clickstream.jobs.streaming;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the streaming job remembers per student between micro-batches (Spark's state store, a Java
 * bean so Spark can encode it): the event ids written within the de-duplication horizon, the
 * current session, and the newest event times for the event-rate rule.
 */
public class StudentState implements Serializable {
    private static final long serialVersionUID = 1L;

    private Map<String, Long> recentEventIds = new HashMap<>();
    private String sessionKey;
    private String clientSession;
    private long lastEventMillis;
    private List<Long> recentEventMillis = new ArrayList<>();

    /** event_id to the processing time (epoch ms) it was first written. */
    public Map<String, Long> getRecentEventIds() {
        return recentEventIds;
    }

    public void setRecentEventIds(Map<String, Long> recentEventIds) {
        this.recentEventIds = recentEventIds == null ? new HashMap<>() : new HashMap<>(recentEventIds);
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

    /** Event times (epoch ms) of the newest events, at most bot-events-per-minute + 1 of the last minute. */
    public List<Long> getRecentEventMillis() {
        return recentEventMillis;
    }

    public void setRecentEventMillis(List<Long> recentEventMillis) {
        this.recentEventMillis = recentEventMillis == null ? new ArrayList<>() : new ArrayList<>(recentEventMillis);
    }
}
