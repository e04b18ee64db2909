package io.clickstream.ingest.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Checks a request's write key and its key's rate limit. Keys come as Segment sends them
 * (HTTP Basic, the key as user name, empty password) or as a Bearer token.
 */
public final class WriteKeys {
    private final List<Entry> entries;
    private final LongSupplier nanoClock;

    private record Entry(WriteKey key, byte[] digest, TokenBucket bucket) {}

    public WriteKeys(List<WriteKey> keys, LongSupplier nanoClock) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("ingest.auth.write-keys is empty: set INGEST_WRITE_KEYS to name:key:events-per-second");
        }
        this.nanoClock = nanoClock;
        long now = nanoClock.getAsLong();
        this.entries = keys.stream().map(key -> new Entry(key, digest(key.secret()), new TokenBucket(key.eventsPerSecond(), now))).toList();
    }

    /** The key named by the Authorization header, if it is one of ours. */
    public Optional<WriteKey> authenticate(String authorizationHeader) {
        return authenticateKey(secretOf(authorizationHeader));
    }

    /** The key itself (from a query parameter), if it is one of ours. */
    public Optional<WriteKey> authenticateKey(String secret) {
        if (secret == null || secret.isEmpty()) {
            return Optional.empty();
        }
        // Compare digests of equal length against every key, without stopping early:
        // the time taken says nothing about which key, or how much of it, matched.
        byte[] candidate = digest(secret);
        WriteKey match = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(candidate, entry.digest())) {
                match = entry.key();
            }
        }
        return Optional.ofNullable(match);
    }

    /** 0 when the key may send {@code events} now, otherwise the seconds to wait before retrying. */
    public long admit(WriteKey key, int events) {
        return bucketOf(key).tryTake(events, nanoClock.getAsLong());
    }

    /**
     * 0 when the key has room for at least one event now, otherwise the seconds to wait; admits
     * nothing. Lets a request of a key that is over its limit be refused before its body is read.
     */
    public long waitForAny(WriteKey key) {
        return bucketOf(key).waitForAny(nanoClock.getAsLong());
    }

    private TokenBucket bucketOf(WriteKey key) {
        for (Entry entry : entries) {
            if (entry.key() == key) {
                return entry.bucket();
            }
        }
        throw new IllegalArgumentException("unknown write key " + key.name());
    }

    static String secretOf(String header) {
        if (header == null) {
            return null;
        }
        String value = header.trim();
        if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = value.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        if (value.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(Base64.getDecoder().decode(value.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                String user = colon < 0 ? decoded : decoded.substring(0, colon);
                return user.isEmpty() ? null : user;
            }
            catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static byte[] digest(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
