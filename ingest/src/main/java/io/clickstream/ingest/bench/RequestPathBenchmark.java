package io.clickstream.ingest.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.ingest.ClientInfo;
import io.clickstream.ingest.IngestMetrics;
import io.clickstream.ingest.TrackResponse;
import io.clickstream.ingest.TrackService;
import io.clickstream.ingest.privacy.IpTruncator;
import io.clickstream.ingest.sink.Delivery;
import io.clickstream.ingest.sink.EventSink;
import io.clickstream.ingest.sink.SinkRecord;
import io.clickstream.ingest.validation.EventValidator;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.Pseudonymiser;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The collector's request path alone, in process: read, check, pseudonymise and shape a request's
 * events and write the answer, without HTTP and with a sink that acknowledges at once. Compares
 * variants of the request path; the end-to-end figures come from {@code bench/ingest}.
 *
 * <p>How to run: {@code bin/clickstream bench ingest-path FILE [--seconds N]}, FILE a request body
 * (one event or a batch), such as the {@code work/bench/batch-100.json} that {@code bench/ingest}
 * writes. Prints µs per event for each of ten rounds (the first ones include the JIT's work).
 */
public final class RequestPathBenchmark {
    private RequestPathBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: clickstream bench ingest-path FILE [--seconds N]");
        }
        byte[] body = Files.readAllBytes(Path.of(args[0]));
        int seconds = args.length > 2 && args[1].equals("--seconds") ? Integer.parseInt(args[2]) : 2;
        ObjectMapper mapper = new ObjectMapper();
        EventContract contract = EventContract.current();
        TrackService service = new TrackService(mapper, contract,
                new EventValidator(contract, Clock.systemUTC(), Duration.ofMinutes(10), Duration.ofDays(30)),
                new Pseudonymiser("request-path-benchmark-key-0123456789"), new IpTruncator(24, 48), new AcknowledgingSink(), "good", "bad",
                10_000, Clock.systemUTC(), new IngestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
        ClientInfo client = new ClientInfo("203.0.113.9", null, "bench");
        TrackResponse first = service.prepare(body, "track", client).send().join();
        int events = mapper.readTree(first.body()).path("accepted").asInt() + mapper.readTree(first.body()).path("rejected").asInt();
        System.out.printf("request body: %d bytes, %d events, answered %d%n", body.length, events, first.status());
        for (int round = 1; round <= 10; round++) {
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(seconds).toNanos();
            long requests = 0;
            long answerBytes = 0;
            while (System.nanoTime() < end) {
                answerBytes += service.prepare(body, "track", client).send().join().body().length;
                requests++;
            }
            System.out.printf("round %2d: %.3f µs per event (%d requests, %d answer bytes)%n", round,
                    (System.nanoTime() - start) / 1e3 / (requests * Math.max(1, events)), requests, answerBytes);
        }
    }

    /** Acknowledges every record at once and keeps none. */
    private static final class AcknowledgingSink implements EventSink {
        @Override
        public CompletableFuture<Delivery> deliver(List<SinkRecord> records) {
            return CompletableFuture.completedFuture(Delivery.allStored(records.size()));
        }

        @Override
        public Set<ByteBuffer> alreadyStored(List<SinkRecord> candidates, long sinceMillis) {
            return Set.of();
        }

        @Override
        public boolean isHealthy() {
            return true;
        }

        @Override
        public void close() {}
    }
}
