package io.clickstream.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finds a JDK of at least a given feature version: Trino 476 needs 24+, while Spark stays on 17. */
public final class Jdks {
    private static final Pattern VERSION = Pattern.compile("JAVA_VERSION=\"(\\d+)");

    private Jdks() {}

    /** Looks at TRINO_JAVA_HOME, then JAVA_HOME, then every JDK under /usr/lib/jvm; newest first there. */
    public static Path find(int minimumVersion) {
        List<Path> candidates = new ArrayList<>();
        for (String variable : List.of("TRINO_JAVA_HOME", "JAVA_HOME")) {
            String value = System.getenv(variable);
            if (value != null && !value.isBlank()) {
                candidates.add(Path.of(value));
            }
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> dirs = Files.list(jvms)) {
                dirs.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).forEach(candidates::add);
            }
            catch (IOException e) {
                // Unreadable directory: fall through to the clear error below.
            }
        }
        for (Path candidate : candidates) {
            Optional<Integer> version = featureVersion(candidate);
            if (version.isPresent() && version.get() >= minimumVersion && Files.isExecutable(candidate.resolve("bin/java"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("Trino needs a JDK " + minimumVersion + " or newer and none was found (looked at "
                + candidates + "). Install one (for example Temurin 25) and point TRINO_JAVA_HOME at it.");
    }

    static Optional<Integer> featureVersion(Path javaHome) {
        Path release = javaHome.resolve("release");
        if (!Files.isRegularFile(release)) {
            return Optional.empty();
        }
        try {
            Matcher matcher = VERSION.matcher(Files.readString(release));
            return matcher.find() ? Optional.of(Integer.parseInt(matcher.group(1))) : Optional.empty();
        }
        catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
