package io.clickstream.ingest.auth;

/**
 * Events per second with a burst of one second's worth. A request takes as many tokens as it has
 * events, all or none, so a batch is never half accepted for rate reasons.
 */
final class TokenBucket {
    private final double ratePerNano;
    private final double capacity;
    private double tokens;
    private long lastRefill;

    TokenBucket(int eventsPerSecond, long nowNanos) {
        this.ratePerNano = eventsPerSecond / 1_000_000_000.0;
        this.capacity = eventsPerSecond;
        this.tokens = capacity;
        this.lastRefill = nowNanos;
    }

    /** Takes {@code count} tokens and returns 0, or takes none and returns the seconds to wait. */
    synchronized long tryTake(int count, long nowNanos) {
        refill(nowNanos);
        if (count <= tokens) {
            tokens -= count;
            return 0;
        }
        return secondsUntil(count);
    }

    /** 0 when at least one token is there, otherwise the seconds until there is; takes nothing. */
    synchronized long waitForAny(long nowNanos) {
        refill(nowNanos);
        return tokens >= 1 ? 0 : secondsUntil(1);
    }

    private void refill(long nowNanos) {
        tokens = Math.min(capacity, tokens + (nowNanos - lastRefill) * ratePerNano);
        lastRefill = nowNanos;
    }

    private long secondsUntil(int count) {
        double missing = Math.min(count, capacity) - tokens;
        return Math.max(1, (long) Math.ceil(missing / ratePerNano / 1_000_000_000.0));
    }
}
