package io.clickstream.ingest.live;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The live view, rebuilt from the live topic's records (written by the Spark job
 * {@code LiveAggregatesJob}): who is online, traffic per second, activity per page, recent actions
 * and the job's own status. Records are upserts by key, so applying one twice, or an older one
 * after a newer one for a per-student record, changes nothing.
 *
 * <p>Thread-safe: the consumer thread applies records while request threads take snapshots.
 */
public final class LiveState {
    /** Seconds in the events-per-second series. */
    static final int SERIES_SECONDS = 120;
    /** "Now" rates leave out the current and the previous second, which the job may still be counting. */
    static final int RATE_DELAY_SECONDS = 2;
    static final int RATE_SECONDS = 10;
    static final int BAD_RATE_SECONDS = 60;
    /** Kept for the newest per batch: far more than any reader asks for. */
    static final int ACTIONS_KEPT = 500;
    /** The live job reports each query at least once a second; this much silence means it is down. */
    static final Duration JOB_SILENCE = Duration.ofSeconds(15);

    private final ObjectMapper mapper;
    private final Duration activeWindow;
    private final Map<String, Presence> presence = new HashMap<>();
    private final TreeMap<Long, long[]> seconds = new TreeMap<>();
    private final Map<String, PageMinute> pageMinutes = new HashMap<>();
    private final Map<String, Action> actions = new HashMap<>();
    private final Map<String, JsonNode> statuses = new TreeMap<>();
    private long newestArrival;

    private record Presence(long lastSeen, String pageUrl, String eventName) {}

    private record PageMinute(long minute, String pageUrl, long pageViews, long events) {}

    private record Action(String eventId, long time, String student, String eventName, String pageUrl) {}

    public LiveState(ObjectMapper mapper, Duration activeWindow) {
        this.mapper = requireNonNull(mapper, "mapper is null");
        this.activeWindow = requireNonNull(activeWindow, "activeWindow is null");
    }

    public Duration activeWindow() {
        return activeWindow;
    }

    /** How far back a reader of the live topic must start for this view to be whole. */
    public Duration lookBack() {
        return activeWindow.plus(Duration.ofMinutes(2));
    }

    /** Applies one live-topic record; records of an unknown kind (from a newer job) are ignored. */
    public synchronized void apply(JsonNode record) {
        switch (record.path("kind").asText()) {
            case "presence" -> {
                String student = record.path("student").asText(null);
                long lastSeen = record.path("last_seen").asLong();
                Presence known = student == null ? null : presence.get(student);
                if (student != null && (known == null || known.lastSeen() <= lastSeen)) {
                    presence.put(student, new Presence(lastSeen, record.path("page_url").asText(null), record.path("event_name").asText(null)));
                }
                newestArrival = Math.max(newestArrival, lastSeen);
            }
            case "second" -> {
                long second = record.path("second").asLong();
                long accepted = record.path("accepted").asLong();
                seconds.put(second, new long[] {accepted, record.path("rejected").asLong()});
                if (accepted > 0) {
                    newestArrival = Math.max(newestArrival, second);
                }
            }
            case "page" -> {
                long minute = record.path("minute").asLong();
                String page = record.path("page_url").asText(null);
                if (page != null) {
                    pageMinutes.put(minute + "/" + page, new PageMinute(minute, page, record.path("page_views").asLong(),
                            record.path("events").asLong()));
                }
            }
            case "action" -> {
                String eventId = record.path("event_id").asText(null);
                if (eventId != null) {
                    actions.put(eventId, new Action(eventId, record.path("time").asLong(), record.path("student").asText(null),
                            record.path("event_name").asText(null), record.path("page_url").asText(null)));
                    if (actions.size() > 2 * ACTIONS_KEPT) {
                        trimActions();
                    }
                }
            }
            case "status" -> statuses.put(record.path("query").asText("?"), record);
            default -> { }
        }
    }

    /** Forgets what is older than any snapshot shows; the consumer calls it now and then. */
    public synchronized void prune(long nowMillis) {
        long horizon = nowMillis - lookBack().toMillis();
        presence.values().removeIf(entry -> entry.lastSeen() < horizon);
        seconds.headMap(horizon).clear();
        pageMinutes.values().removeIf(entry -> entry.minute() < horizon);
        actions.values().removeIf(entry -> entry.time() < horizon);
        trimActions();
    }

    /** Everything the dashboard shows, as of {@code nowMillis}. */
    public synchronized ObjectNode snapshot(long nowMillis, int pageLimit, int actionLimit) {
        ObjectNode snapshot = mapper.createObjectNode();
        snapshot.put("as_of", nowMillis);
        snapshot.put("active_users", activeStudents(nowMillis).size());
        snapshot.put("active_window_seconds", activeWindow.toSeconds());
        long currentSecond = Math.floorDiv(nowMillis, 1000) * 1000;
        // Exclusive: the newest second counted is RATE_DELAY_SECONDS before the current one.
        long rateEnd = currentSecond - (RATE_DELAY_SECONDS - 1) * 1000L;
        snapshot.put("events_per_second_now", Math.round(10.0 * sumAccepted(rateEnd - RATE_SECONDS * 1000L, rateEnd) / RATE_SECONDS) / 10.0);
        ArrayNode series = snapshot.putArray("events_per_second");
        for (long second = currentSecond - (SERIES_SECONDS - 1) * 1000L; second <= currentSecond; second += 1000) {
            long[] counts = seconds.getOrDefault(second, new long[2]);
            series.addObject().put("t", second).put("accepted", counts[0]).put("rejected", counts[1]);
        }
        long accepted = 0;
        long rejected = 0;
        for (long[] counts : seconds.subMap(rateEnd - BAD_RATE_SECONDS * 1000L, rateEnd).values()) {
            accepted += counts[0];
            rejected += counts[1];
        }
        snapshot.put("bad_event_rate", accepted + rejected == 0 ? 0.0 : Math.round(10_000.0 * rejected / (accepted + rejected)) / 10_000.0);
        Map<String, Integer> studentsByPage = studentsByPage(nowMillis);
        ArrayNode activePages = snapshot.putArray("active_pages");
        studentsByPage.entrySet().stream().limit(pageLimit)
                .forEach(entry -> activePages.addObject().put("page_url", entry.getKey()).put("students", entry.getValue()));
        snapshot.set("top_pages", topPages(nowMillis, pageLimit, studentsByPage));
        snapshot.set("recent_actions", recentActions(actionLimit));
        snapshot.set("pipeline", pipeline(nowMillis));
        return snapshot;
    }

    /** The top pages alone: the last active window's page views per page, most first. */
    public synchronized ArrayNode topPages(long nowMillis, int limit) {
        return topPages(nowMillis, limit, studentsByPage(nowMillis));
    }

    public synchronized ArrayNode recentActions(int limit) {
        ArrayNode list = mapper.createArrayNode();
        actions.values().stream().sorted(Comparator.comparingLong(Action::time).reversed().thenComparing(Action::eventId)).limit(limit)
                .forEach(action -> list.addObject().put("time", action.time()).put("student", action.student())
                        .put("event_name", action.eventName()).put("page_url", action.pageUrl()));
        return list;
    }

    public synchronized int activeUsers(long nowMillis) {
        return activeStudents(nowMillis).size();
    }

    /** Whether the live job is reporting, when its last batch ran, how far behind it is, how old the newest event is. */
    public synchronized ObjectNode pipeline(long nowMillis) {
        ObjectNode pipeline = mapper.createObjectNode();
        long lastReport = 0;
        long lag = 0;
        boolean failed = false;
        for (JsonNode status : statuses.values()) {
            lastReport = Math.max(lastReport, status.path("at").asLong());
            lag = Math.max(lag, status.path("lag_records").asLong());
            String state = status.path("state").asText();
            failed |= state.equals("failed") || state.equals("stopped");
        }
        boolean up = !statuses.isEmpty() && !failed && nowMillis - lastReport <= JOB_SILENCE.toMillis();
        pipeline.put("live_job_up", up);
        if (lastReport > 0) {
            pipeline.put("last_batch_at", lastReport);
        }
        else {
            pipeline.putNull("last_batch_at");
        }
        pipeline.put("lag_records", lag);
        if (newestArrival > 0) {
            pipeline.put("freshness_seconds", Math.max(0, nowMillis - newestArrival) / 1000.0);
        }
        else {
            pipeline.putNull("freshness_seconds");
        }
        ObjectNode queries = pipeline.putObject("queries");
        statuses.forEach((name, status) -> queries.put(name, status.path("state").asText()));
        return pipeline;
    }

    private List<Presence> activeStudents(long nowMillis) {
        long since = nowMillis - activeWindow.toMillis();
        return presence.values().stream().filter(entry -> entry.lastSeen() >= since).toList();
    }

    /** Pages where active students are now (their last action's page), most students first. */
    private Map<String, Integer> studentsByPage(long nowMillis) {
        Map<String, Integer> counts = new HashMap<>();
        for (Presence entry : activeStudents(nowMillis)) {
            if (entry.pageUrl() != null) {
                counts.merge(entry.pageUrl(), 1, Integer::sum);
            }
        }
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(entry -> sorted.put(entry.getKey(), entry.getValue()));
        return sorted;
    }

    private ArrayNode topPages(long nowMillis, int limit, Map<String, Integer> studentsByPage) {
        // Whole minutes: the window starting in the minute that holds (now - active window).
        long since = Math.floorDiv(nowMillis - activeWindow.toMillis(), 60_000) * 60_000;
        Map<String, long[]> totals = new HashMap<>();
        for (PageMinute minute : pageMinutes.values()) {
            if (minute.minute() >= since) {
                long[] total = totals.computeIfAbsent(minute.pageUrl(), page -> new long[2]);
                total[0] += minute.pageViews();
                total[1] += minute.events();
            }
        }
        List<Map.Entry<String, long[]>> ranked = new ArrayList<>(totals.entrySet());
        ranked.sort(Comparator.<Map.Entry<String, long[]>>comparingLong(entry -> -entry.getValue()[0])
                .thenComparingLong(entry -> -entry.getValue()[1]).thenComparing(Map.Entry::getKey));
        ArrayNode pages = mapper.createArrayNode();
        ranked.stream().limit(limit).forEach(entry -> pages.addObject().put("page_url", entry.getKey())
                .put("page_views", entry.getValue()[0]).put("events", entry.getValue()[1])
                .put("students", studentsByPage.getOrDefault(entry.getKey(), 0)));
        return pages;
    }

    private long sumAccepted(long fromInclusive, long toExclusive) {
        long sum = 0;
        for (long[] counts : seconds.subMap(fromInclusive, toExclusive).values()) {
            sum += counts[0];
        }
        return sum;
    }

    private void trimActions() {
        if (actions.size() > ACTIONS_KEPT) {
            List<Action> oldestFirst = actions.values().stream().sorted(Comparator.comparingLong(Action::time)).toList();
            oldestFirst.subList(0, oldestFirst.size() - ACTIONS_KEPT).forEach(action -> actions.remove(action.eventId()));
        }
    }
}
