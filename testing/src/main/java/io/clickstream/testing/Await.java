package io.clickstream.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/** Polls until a value is what the test expects, then fails with the last value seen. */
public final class Await {
    private Await() {}

    public static <T> T until(String what, Duration timeout, Callable<T> probe, T expected) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        Exception lastError = null;
        while (System.nanoTime() < deadline) {
            try {
                last = probe.call();
                if (Objects.equals(last, expected)) {
                    return last;
                }
            }
            catch (Exception e) {
                lastError = e;
            }
            Thread.sleep(500);
        }
        AssertionError failure = new AssertionError(what + ": expected " + expected + " within " + timeout + " but last saw " + last);
        if (lastError != null) {
            failure.addSuppressed(lastError);
        }
        throw failure;
    }
}
