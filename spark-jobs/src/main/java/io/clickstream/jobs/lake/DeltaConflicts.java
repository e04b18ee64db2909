package io.clickstream.jobs.lake;

import io.delta.exceptions.DeltaConcurrentModificationException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delta isolates writes as Serializable: a MERGE, DELETE or OPTIMIZE fails when another writer committed to the
 * files it read in between (the stream's late-event MERGE beside the maintenance job's OPTIMIZE of the same day, an
 * erasure beside either). Such a write is safe to run again on the table's new snapshot, and this runs it again.
 */
public final class DeltaConflicts {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaConflicts.class);

    private DeltaConflicts() {}

    /**
     * The result of {@code write}, run up to {@code attempts} times while a concurrent commit conflicts with it,
     * waiting {@code backoff} times the attempt's number before each new attempt; {@code beforeRetry} runs then too
     * (a counter). {@code what} names the write in the log. The last conflict is thrown, as is the conflict when
     * the wait is interrupted.
     */
    public static <T> T retry(String what, int attempts, Duration backoff, Runnable beforeRetry, Supplier<T> write) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            }
            catch (DeltaConcurrentModificationException conflict) {
                if (attempt >= attempts) {
                    throw conflict;
                }
                beforeRetry.run();
                LOG.warn("{} conflicted with a concurrent commit, trying again ({} of {}): {}", what, attempt + 1, attempts,
                        conflict.getMessage());
                try {
                    Thread.sleep(backoff.toMillis() * attempt);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw conflict;
                }
            }
        }
    }
}
