package io.clickstream.jobs.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.delta.exceptions.ConcurrentAppendException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeltaConflictsTest {
    @Test
    void aConflictingWriteRunsAgainUntilItCommits() {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();
        String result = DeltaConflicts.retry("a test write", 5, Duration.ZERO, retries::incrementAndGet, () -> {
            if (runs.incrementAndGet() < 3) {
                throw new ConcurrentAppendException("files were added to partition [event_date=2026-12-06] by a concurrent update");
            }
            return "committed";
        });
        assertEquals("committed", result);
        assertEquals(3, runs.get());
        assertEquals(2, retries.get(), "counted once before each new attempt");
    }

    @Test
    void theLastConflictIsThrownAfterTheAttempts() {
        AtomicInteger runs = new AtomicInteger();
        ConcurrentAppendException last = new ConcurrentAppendException("still conflicting");
        ConcurrentAppendException thrown = assertThrows(ConcurrentAppendException.class,
                () -> DeltaConflicts.retry("a test write", 3, Duration.ZERO, () -> { }, () -> {
                    runs.incrementAndGet();
                    throw last;
                }));
        assertSame(last, thrown);
        assertEquals(3, runs.get());
    }

    @Test
    void otherFailuresAreNotTriedAgain() {
        AtomicInteger runs = new AtomicInteger();
        assertThrows(IllegalArgumentException.class, () -> DeltaConflicts.retry("a test write", 5, Duration.ZERO, () -> { }, () -> {
            runs.incrementAndGet();
            throw new IllegalArgumentException("not a conflict");
        }));
        assertEquals(1, runs.get());
    }
}
