package io.clickstream.schema;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed HMAC-SHA256 of a student id, as lowercase hex.
 *
 * <p>The same key gives the same pseudonym everywhere (ingest, erase requests), so rows of one
 * student stay joinable while the raw id never leaves the process. Without the key, a pseudonym
 * cannot be reversed or recomputed from a guessed id.
 */
public final class Pseudonymiser {
    public static final int MINIMUM_KEY_LENGTH = 32;
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    public Pseudonymiser(String secretKey) {
        requireNonNull(secretKey, "secretKey is null");
        byte[] keyBytes = secretKey.getBytes(StandardCharsets.UTF_8);
        if (keyBytes.length < MINIMUM_KEY_LENGTH) {
            throw new IllegalArgumentException("pseudonymisation key must be at least " + MINIMUM_KEY_LENGTH
                    + " bytes, got " + keyBytes.length);
        }
        this.key = new SecretKeySpec(keyBytes, ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    public String pseudonymise(String rawId) {
        requireNonNull(rawId, "rawId is null");
        byte[] digest = macs.get().doFinal(rawId.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        }
        catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
        }
    }
}
