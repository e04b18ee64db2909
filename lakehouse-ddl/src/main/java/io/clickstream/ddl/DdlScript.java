package io.clickstream.ddl;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * One DDL script, named like Flyway's: {@code V<n>__<what>.sql} is versioned (applied once; changing
 * it afterwards is an error: add a new version instead), {@code R__<what>.sql} is repeatable
 * (applied again whenever its text changes, for views).
 *
 * @param name     file name, such as {@code V003__silver.sql}
 * @param text     the script as written (before {@code ${lake}} is replaced)
 * @param checksum SHA-256 of {@code text}, hex
 */
public record DdlScript(String name, String text, String checksum) {
    public DdlScript {
        requireNonNull(name, "name is null");
        requireNonNull(text, "text is null");
        requireNonNull(checksum, "checksum is null");
        if (!name.matches("(V\\d+|R)__[A-Za-z0-9_]+\\.sql")) {
            throw new IllegalArgumentException("DDL script names are V<number>__<words>.sql or R__<words>.sql, got " + name);
        }
    }

    public static DdlScript of(String name, String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return new DdlScript(name, text, HexFormat.of().formatHex(digest));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public boolean repeatable() {
        return name.startsWith("R__");
    }

    /** The scripts listed in {@code ddl/index.txt} on the classpath, in its order. */
    public static List<DdlScript> bundled() {
        return listed(DdlScript::resource);
    }

    /** The scripts listed in {@code index.txt} of a directory, in its order (for DDL of your own). */
    public static List<DdlScript> in(Path directory) {
        return listed(name -> {
            try {
                return Files.readString(directory.resolve(name), StandardCharsets.UTF_8);
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot read DDL script " + directory.resolve(name), e);
            }
        });
    }

    private static List<DdlScript> listed(Function<String, String> read) {
        return read.apply("index.txt").lines().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .map(name -> of(name, read.apply(name))).toList();
    }

    private static String resource(String name) {
        try (InputStream in = DdlScript.class.getClassLoader().getResourceAsStream("ddl/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing DDL resource ddl/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
