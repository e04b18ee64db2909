package io.clickstream.ingest.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written reader must mean exactly what java.time means, and defer to it for every form it does not read. */
class Rfc3339Test {
    @Test
    void readsTheCommonFormsToTheSameInstantAsJavaTime() {
        Random random = new Random(7);
        List<ZoneOffset> offsets = List.of(ZoneOffset.UTC, ZoneOffset.ofHours(1), ZoneOffset.ofHoursMinutes(-5, -30),
                ZoneOffset.ofHours(14), ZoneOffset.ofHours(-18), ZoneOffset.ofHours(18));
        for (int i = 0; i < 20_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L), random.nextInt(1_000_000_000));
            ZoneOffset offset = offsets.get(i % offsets.size());
            String fraction = List.of("", ".S", ".SSS", ".SSSSSS", ".SSSSSSSSS").get(i % 5);
            String text = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss" + fraction + "XXX").format(OffsetDateTime.ofInstant(instant, offset));
            Instant fast = Rfc3339.parseOrNull(text);
            assertNotNull(fast, text);
            assertEquals(OffsetDateTime.parse(text).toInstant(), fast, text);
        }
    }

    @Test
    void formatsExactlyAsInstantToString() {
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            long second = random.nextLong(-63_000_000_000L, 260_000_000_000L);
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(second, nanos);
            assertEquals(instant.toString(), Rfc3339.format(instant));
        }
    }

    @Test
    void leavesOtherValidFormsToJavaTime() {
        for (String text : List.of("2026-11-20T10:30Z", "2026-11-20t10:30:00z", "2026-11-20T10:30:00+01:00:30", "2026-11-20T10:30:00.Z",
                "+12026-11-20T10:30:00Z")) {
            assertNull(Rfc3339.parseOrNull(text), text);
            try {
                assertEquals(OffsetDateTime.parse(text).toInstant(), Rfc3339.parse(text), text);
            }
            catch (DateTimeParseException e) {
                assertThrows(DateTimeParseException.class, () -> Rfc3339.parse(text), text);
            }
        }
    }

    @Test
    void refusesWhatJavaTimeRefuses() {
        for (String text : List.of("2026-02-30T10:30:00Z", "2026-13-01T10:30:00Z", "2026-11-20T24:00:00Z", "2026-11-20T10:60:00Z",
                "2026-11-20T10:30:60Z", "2026-11-20T10:30:00+19:00", "2026-11-20T10:30:00", "2026-11-20 10:30:00Z",
                "2026-11-20T10:30:00.1234567890Z", "2026-11-20T10:30:00+0100", "20261120T103000Z", "")) {
            assertNull(Rfc3339.parseOrNull(text), text);
            assertThrows(DateTimeParseException.class, () -> Rfc3339.parse(text), text);
        }
    }
}
