package io.clickstream.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration table names every environment variable the code reads: those of the applications'
 * {@code reference.conf} files ({@code ${?NAME}}), those the Java code reads by name, and those of
 * {@code bin/clickstream} ({@code ${NAME:-...}}). Nine were read but missing before this test.
 */
class ReadmeConfigurationTest {
    private static final Path HOME = Path.of(System.getProperty("clickstream.home"));
    private static final Pattern CONF_VARIABLE = Pattern.compile("\\$\\{\\?([A-Z][A-Z0-9_]+)}");
    private static final Pattern JAVA_VARIABLE = Pattern.compile(
            "(?:getenv\\(|(?:getenv\\(\\)|env|environment)\\.(?:get|getOrDefault)\\(|secret\\(|List\\.of\\()\"([A-Z][A-Z0-9]*_[A-Z0-9_]+)\"");
    private static final Pattern SHELL_VARIABLE = Pattern.compile("\\$\\{([A-Z][A-Z0-9]*_[A-Z0-9_]+):-");

    @Test
    void everyVariableTheCodeReadsIsInTheReadmesConfigurationTable() throws IOException {
        String readme = Files.readString(HOME.resolve("README.md"));
        int start = readme.indexOf("\n## Configuration\n");
        assertTrue(start >= 0, "README has a Configuration section");
        String table = readme.substring(start, readme.indexOf("\n## ", start + 1));
        Set<String> documented = names(Pattern.compile("`([A-Z][A-Z0-9_]+)`"), table);

        Set<String> read = new TreeSet<>();
        for (String conf : List.of("ingest/src/main/resources/reference.conf", "spark-jobs/src/main/resources/reference.conf")) {
            read.addAll(names(CONF_VARIABLE, Files.readString(HOME.resolve(conf))));
        }
        read.addAll(names(SHELL_VARIABLE, Files.readString(HOME.resolve("bin/clickstream"))));
        try (Stream<Path> modules = Files.list(HOME)) {
            for (Path sources : modules.map(module -> module.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(sources)) {
                    for (Path file : files.filter(path -> path.toString().endsWith(".java")).toList()) {
                        read.addAll(names(JAVA_VARIABLE, Files.readString(file)));
                    }
                }
            }
        }
        assertTrue(read.containsAll(Set.of("INGEST_HOST", "CLICKSTREAM_SPARK_HEAP", "CLICKSTREAM_WRITE_KEY", "TRINO_JAVA_HOME",
                "CLICKSTREAM_SKIP_BUILD")), "the scan finds each kind of read: " + read);
        read.removeAll(documented);
        assertEquals(Set.of(), read, "read by the code but not in README's Configuration table");
    }

    private static Set<String> names(Pattern pattern, String text) {
        Set<String> names = new TreeSet<>();
        Matcher matcher = pattern.matcher(text);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }
}
