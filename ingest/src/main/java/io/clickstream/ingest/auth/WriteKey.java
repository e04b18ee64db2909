package io.clickstream.ingest.auth;

import static java.util.Objects.requireNonNull;

/** A client's credential: a public name (used in logs and metrics), the secret key, and its event rate limit. */
public record WriteKey(String name, String secret, int eventsPerSecond) {
    public static final int MINIMUM_SECRET_LENGTH = 16;

    public WriteKey {
        requireNonNull(name, "name is null");
        requireNonNull(secret, "secret is null");
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("write key name must be 1-64 letters, digits, '_', '.' or '-', got '" + name + "'");
        }
        if (secret.length() < MINIMUM_SECRET_LENGTH) {
            throw new IllegalArgumentException("write key '" + name + "' must be at least " + MINIMUM_SECRET_LENGTH + " characters");
        }
        if (eventsPerSecond < 1) {
            throw new IllegalArgumentException("write key '" + name + "' needs a rate limit of at least 1 event/s");
        }
    }

    /**
     * Parses {@code name:secret:events-per-second[,name:secret:events-per-second...]}, the form of
     * {@code INGEST_WRITE_KEYS}. Errors name the entry by position, never by its secret.
     */
    public static java.util.List<WriteKey> parseList(String text) {
        java.util.List<WriteKey> keys = new java.util.ArrayList<>();
        String[] entries = text.trim().isEmpty() ? new String[0] : text.split(",");
        for (int i = 0; i < entries.length; i++) {
            String[] parts = entries[i].trim().split(":");
            if (parts.length != 3) {
                throw new IllegalArgumentException("ingest.auth.write-keys entry " + (i + 1) + " must be name:key:events-per-second");
            }
            try {
                keys.add(new WriteKey(parts[0], parts[1], Integer.parseInt(parts[2])));
            }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException("ingest.auth.write-keys entry " + (i + 1) + ": events-per-second must be a whole number");
            }
        }
        return java.util.List.copyOf(keys);
    }

    @Override
    public String toString() {
        return "WriteKey[name=" + name + ", secret=<hidden>, eventsPerSecond=" + eventsPerSecond + "]";
    }
}
