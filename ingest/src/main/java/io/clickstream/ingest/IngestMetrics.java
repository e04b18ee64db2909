package io.clickstream.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The collector's Prometheus metrics. Labels take values from small fixed sets (write key names,
 * rule kinds, routes, status codes), never from client input, so a client cannot blow up the
 * number of series.
 */
public final class IngestMetrics {
    private final MeterRegistry registry;
    private final Timer storeLatency;
    private final Counter storeFailures;

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.storeLatency = Timer.builder("clickstream.ingest.store.latency")
                .description("Time from handing a request's events to the sink until the broker acknowledged them")
                .publishPercentiles(0.5, 0.95, 0.99)
                .register(registry);
        this.storeFailures = Counter.builder("clickstream.ingest.store.failures")
                .description("Requests whose events the broker did not acknowledge (answered 503)")
                .register(registry);
    }

    private final java.util.Map<String, Counter> acceptedByKey = new java.util.concurrent.ConcurrentHashMap<>();

    public void accepted(String writeKey, int events) {
        acceptedByKey.computeIfAbsent(writeKey, key -> Counter.builder("clickstream.ingest.events.accepted")
                .description("Valid events stored on the good topic").tag("write_key", key).register(registry)).increment(events);
    }

    private final java.util.Map<String, Counter> rejectedByKeyAndKind = new java.util.concurrent.ConcurrentHashMap<>();

    public void rejected(String writeKey, String kind) {
        rejectedByKeyAndKind.computeIfAbsent(writeKey + '\n' + kind, ignored -> Counter.builder("clickstream.ingest.events.rejected")
                .description("Invalid events, dead-lettered, by the rule they broke")
                .tag("write_key", writeKey).tag("kind", kind).register(registry)).increment();
    }

    private final java.util.Map<String, Counter> requestsByCheck = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A request's events were checked on {@code path}: "stream" (one pass over the bytes, every
     * event certainly valid) or "tree" (parsed, each event through the full JSON Schema validator).
     */
    public void checked(String path) {
        requestsByCheck.computeIfAbsent(path, ignored -> Counter.builder("clickstream.ingest.validation.requests")
                .description("Requests by how their events were checked: stream (every event certainly valid, one pass over the bytes) "
                        + "or tree (Segment messages, invalid events and what the fast check leaves to the full validator)")
                .tag("path", path).register(registry)).increment();
    }

    public void stored(Duration latency) {
        storeLatency.record(latency);
    }

    public void storeFailed() {
        storeFailures.increment();
    }

    private final java.util.Map<String, Counter> requestsByRouteAndStatus = new java.util.concurrent.ConcurrentHashMap<>();

    public void request(String route, int status) {
        // Looked up, not built, per request: building a meter id on every call costs more than the request's own work.
        requestsByRouteAndStatus.computeIfAbsent(route + ' ' + status, ignored -> Counter.builder("clickstream.ingest.http.requests")
                .description("HTTP requests by route and status")
                .tag("route", route).tag("status", String.valueOf(status)).register(registry)).increment();
    }
}
