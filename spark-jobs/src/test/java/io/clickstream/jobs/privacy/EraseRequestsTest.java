package io.clickstream.jobs.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EraseRequestsTest {
    private static final String STUDENT = "0123456789abcdef0123";
    private static final String OTHER = "0123456789abcdef01234";

    @TempDir
    Path folder;

    private EraseRequests requests() {
        return new EraseRequests(folder.toUri().toString(), new Configuration());
    }

    @Test
    void theTimeOfAnErasureIsInItsNoteSoNoNoteIsRead() throws IOException {
        EraseRequests requests = requests();
        requests.recordErased(STUDENT, 1_000L);
        requests.recordErased(OTHER, 2_000L);
        // The streaming job looks every few seconds: what it needs is in the names, whatever the notes hold.
        for (Path note : notes()) {
            Files.writeString(note, "not read", StandardCharsets.UTF_8);
        }
        assertEquals(Map.of(STUDENT, 1_000L, OTHER, 2_000L), requests.erased());
    }

    @Test
    void aNewerErasureReplacesTheStudentsOlderNote() throws IOException {
        EraseRequests requests = requests();
        requests.recordErased(STUDENT, 1_000L);
        requests.recordErased(OTHER, 1_500L);
        requests.recordErased(STUDENT, 3_000L);
        assertEquals(Map.of(STUDENT, 3_000L, OTHER, 1_500L), requests.erased());
        // OTHER begins with STUDENT's name: its note is not the student's older note.
        assertEquals(List.of(STUDENT + ".3000.erased", OTHER + ".1500.erased"), notes().stream().map(note -> note.getFileName().toString()).sorted().toList());
    }

    @Test
    void anEarlierTimeNotedLaterLeavesTheLaterNote() throws IOException {
        // Two erase jobs of the same student at once: the one that began first may note its time last.
        EraseRequests requests = requests();
        requests.recordErased(STUDENT, 3_000L);
        requests.recordErased(STUDENT, 1_000L);
        assertEquals(Map.of(STUDENT, 3_000L), requests.erased());
        assertTrue(notes().stream().anyMatch(note -> note.getFileName().toString().equals(STUDENT + ".3000.erased")));
    }

    @Test
    void notesWrittenBeforeTheTimeWasInTheNameAreStillRead() throws IOException {
        Files.writeString(folder.resolve(STUDENT + ".erased"), "{\"erased_until\":1234}", StandardCharsets.UTF_8);
        EraseRequests requests = requests();
        assertEquals(Map.of(STUDENT, 1_234L), requests.erased());
        requests.recordErased(STUDENT, 5_000L);
        assertEquals(Map.of(STUDENT, 5_000L), requests.erased());
        assertEquals(1, notes().size(), "the older note is replaced");
    }

    @Test
    void aNoteWithoutATimeFailsTheReadRatherThanLeaveAStudentOut() throws IOException {
        Files.writeString(folder.resolve(STUDENT + ".soon.erased"), "{}", StandardCharsets.UTF_8);
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> requests().erased());
        assertTrue(failure.getMessage().contains("does not name a time"), failure.getMessage());
    }

    @Test
    void noFolderMeansNoErasure() {
        assertEquals(Map.of(), new EraseRequests(folder.resolve("none").toUri().toString(), new Configuration()).erased());
    }

    private List<Path> notes() throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".erased") && !file.getFileName().toString().startsWith("."))
                    .toList();
        }
    }
}
