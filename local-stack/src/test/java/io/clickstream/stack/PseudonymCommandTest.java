package io.clickstream.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.schema.Pseudonymiser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudonymCommandTest {
    @TempDir
    Path work;

    @Test
    void printsWhatIngestStoresForEachStudentIdAndRefusesWithoutAKey() throws Exception {
        StackSettings settings = new StackSettings(work, work, 1, 2, 3, 4, 1);
        // The variable wins when set; this test is about the key file, so it only runs without it.
        if (System.getenv("CLICKSTREAM_PSEUDONYMISATION_KEY") != null) {
            return;
        }
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, ClickstreamCli.pseudonym(settings, List.of("student-1")), "no key: refused, nothing made up");
            assertEquals("", printed.toString(StandardCharsets.UTF_8));

            String key = "a-key-of-the-local-stack-0123456789abcdef";
            Files.createDirectories(work.resolve("secrets"));
            Files.writeString(work.resolve("secrets/pseudonymisation.key"), key + "\n");
            assertEquals(0, ClickstreamCli.pseudonym(settings, List.of("student-1", "student-2")));
        }
        finally {
            System.setOut(original);
        }
        Pseudonymiser ingest = new Pseudonymiser("a-key-of-the-local-stack-0123456789abcdef");
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of(ingest.pseudonymise("student-1"), ingest.pseudonymise("student-2")), lines);
        assertTrue(lines.get(0).matches("[0-9a-f]{64}"));
    }
}
