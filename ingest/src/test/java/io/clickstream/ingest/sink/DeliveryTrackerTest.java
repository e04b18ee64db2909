package io.clickstream.ingest.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class DeliveryTrackerTest {
    /** Holds what it is given until {@link #runAll}, so a test sees whether the tracker used it. */
    private static final class HeldExecutor implements Executor {
        final List<Runnable> held = new ArrayList<>();

        @Override
        public void execute(Runnable task) {
            held.add(task);
        }

        void runAll() {
            held.forEach(Runnable::run);
            held.clear();
        }
    }

    @Test
    void storedRequestCompletesOnTheReportingThread() {
        HeldExecutor completion = new HeldExecutor();
        Delivery.Tracker tracker = new Delivery.Tracker(2, completion);
        tracker.stored();
        assertFalse(tracker.result().isDone(), "done before the last record reported");
        tracker.stored();
        assertTrue(tracker.result().isDone(), "a stored request waits for no other thread");
        assertTrue(completion.held.isEmpty());
        assertTrue(tracker.result().join().allStored());
    }

    @Test
    void failedRequestCompletesOnTheCompletionExecutor() {
        HeldExecutor completion = new HeldExecutor();
        Delivery.Tracker tracker = new Delivery.Tracker(3, completion);
        tracker.stored();
        tracker.failed(1, new IllegalStateException("broker down"));
        tracker.stored();
        assertFalse(tracker.result().isDone(), "what follows a failure may block: not on the reporting thread");
        assertEquals(1, completion.held.size());
        completion.runAll();
        Delivery delivery = tracker.result().join();
        assertEquals(List.of("b"), delivery.failedOf(List.of("a", "b", "c")));
        assertEquals("broker down", delivery.firstFailure().getMessage());
    }
}
