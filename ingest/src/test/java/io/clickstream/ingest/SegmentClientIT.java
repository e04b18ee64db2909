package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.clickstream.ingest.sink.SinkRecord;
import io.clickstream.schema.Pseudonymiser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Segment's own Node.js library ({@code @segment/analytics-node}, installed from npm with the
 * committed lockfile) sends to the ingest service, changed only in its host.
 */
class SegmentClientIT {
    private static final Path CLIENT = Path.of("src/test/node/segment-client");

    @Test
    void segmentsNodeLibrarySendsUnchanged() throws Exception {
        Path work = Path.of("target/segment-client").toAbsolutePath();
        copy(CLIENT, work);
        run(work, 300, "npm", "ci", "--no-audit", "--no-fund");

        String runId = UUID.randomUUID().toString().substring(0, 8);
        try (InProcessIngest ingest = new InProcessIngest()) {
            String output = run(work, 60, "node", "send.mjs", ingest.url(), InProcessIngest.WRITE_KEY, runId);
            assertTrue(output.contains("{\"errors\":[]}"), output);

            List<SinkRecord> good = ingest.sink.on("good");
            assertEquals(2, good.size(), "track and page land; identify is refused");
            JsonNode track = ingest.mapper.readTree(good.stream().filter(r -> text(r).contains(runId + "-track")).findFirst().orElseThrow().value());
            assertEquals("video_play", track.get("event_name").asText());
            assertEquals("/courses/algebra/chapter-3", track.get("page_url").asText());
            assertEquals(12, track.get("metadata").get("position").asInt());
            assertEquals(new Pseudonymiser(InProcessIngest.HMAC_KEY).pseudonymise("student-" + runId), track.get("student_id").asText());
            List<SinkRecord> bad = ingest.sink.on("bad");
            assertEquals(1, bad.size());
            assertTrue(text(bad.get(0)).contains("'identify' messages are not stored"), text(bad.get(0)));
            for (SinkRecord record : ingest.sink.records) {
                assertFalse(text(record).contains("student-" + runId), "raw id stored: " + text(record));
                assertFalse(text(record).contains("student@example.edu"), "traits stored: " + text(record));
            }
        }
    }

    private static String text(SinkRecord record) {
        return new String(record.value(), StandardCharsets.UTF_8);
    }

    /** Runs a command, fails with its output when it fails or is missing. */
    static String run(Path directory, int timeoutSeconds, String... command) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        }
        catch (IOException e) {
            throw new AssertionError(command[0] + " is needed for this test (Node.js 20+ with npm): " + e.getMessage(), e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
        }
        return output;
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
