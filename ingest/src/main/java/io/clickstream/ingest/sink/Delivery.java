package io.clickstream.ingest.sink;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The outcome of handing a list of records to a sink: which of them were not stored (by index)
 * and the first reason. One object per request rather than a future per record, because the
 * request path pays for every allocation and callback on it.
 */
public record Delivery(int records, BitSet failed, Throwable firstFailure) {
    public static Delivery allStored(int records) {
        return new Delivery(records, new BitSet(), null);
    }

    public static Delivery allFailed(int records, Throwable failure) {
        BitSet failed = new BitSet(records);
        failed.set(0, records);
        return new Delivery(records, failed, failure);
    }

    public boolean allStored() {
        return failed.isEmpty();
    }

    /** The records at the failed indexes, in order. */
    public <T> List<T> failedOf(List<T> records) {
        return failed.stream().mapToObj(records::get).toList();
    }

    /**
     * Collects the outcome of {@code records} asynchronous sends. When every record was stored the
     * future completes on the thread of the last report (Kafka's I/O thread): the continuation of
     * a stored request is short and never blocks (count, build the answer, hand it to the
     * connection), and handing it to another thread cost each single-event request a thread
     * wake-up. When any record failed it completes on {@code completion}, because what follows a
     * failure may block (the spool appends and syncs to disk).
     */
    public static final class Tracker {
        private final int records;
        private final AtomicInteger pending;
        private final BitSet failed;
        private final CompletableFuture<Delivery> result = new CompletableFuture<>();
        private final Executor completion;
        private Throwable firstFailure;

        public Tracker(int records, Executor completion) {
            this.records = records;
            this.pending = new AtomicInteger(records);
            this.failed = new BitSet(records);
            this.completion = completion;
            if (records == 0) {
                result.complete(allStored(0));
            }
        }

        public void stored() {
            if (pending.decrementAndGet() == 0) {
                finish();
            }
        }

        public void failed(int index, Throwable failure) {
            synchronized (failed) {
                failed.set(index);
                if (firstFailure == null) {
                    firstFailure = failure;
                }
            }
            if (pending.decrementAndGet() == 0) {
                finish();
            }
        }

        public CompletableFuture<Delivery> result() {
            return result;
        }

        private void finish() {
            Delivery delivery;
            synchronized (failed) {
                delivery = new Delivery(records, (BitSet) failed.clone(), firstFailure);
            }
            if (delivery.allStored()) {
                result.complete(delivery);
            }
            else {
                completion.execute(() -> result.complete(delivery));
            }
        }
    }
}
