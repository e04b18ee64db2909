package io.clickstream.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Packs {@code superset/bundle/clickstream/} into the ZIP that Superset's dashboard import takes
 * (the export format: metadata.yaml, databases/, datasets/, charts/, dashboards/ under one folder),
 * pointing the database at the given Trino.
 *
 * <p>How to run: {@code bin/clickstream superset-bundle [--trino-uri trino://superset@host:8080/delta] [--out FILE]},
 * then {@code superset import-dashboards --path FILE --username admin} on the Superset host.
 */
public final class SupersetBundle {
    /** The connection the bundle ships with: the Trino service of docker-compose.yml. */
    static final String DEFAULT_TRINO_URI = "trino://superset@trino:8080/delta";

    private SupersetBundle() {}

    /**
     * The bundle's datasets and charts (each YAML file as a tree), keyed by uuid, and the uuid of
     * its one database.
     */
    public record Contents(String databaseUuid, Map<String, JsonNode> datasets, Map<String, JsonNode> charts) {}

    /** Reads the bundle under {@code home}. */
    public static Contents read(Path home) throws IOException {
        Path root = home.resolve("superset/bundle/clickstream");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Map<String, JsonNode> datasets = new LinkedHashMap<>();
        Map<String, JsonNode> charts = new LinkedHashMap<>();
        String databaseUuid = yaml.readTree(root.resolve("databases/Clickstream_Trino.yaml").toFile()).get("uuid").asText();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".yaml")).sorted().toList()) {
                JsonNode node = yaml.readTree(file.toFile());
                if (file.getParent().getFileName().toString().equals("charts")) {
                    charts.put(node.get("uuid").asText(), node);
                }
                else if (file.getParent().getParent().getFileName().toString().equals("datasets")) {
                    datasets.put(node.get("uuid").asText(), node);
                }
            }
        }
        return new Contents(databaseUuid, datasets, charts);
    }

    /** Writes the ZIP of the bundle under {@code home} to {@code out}; returns the number of files in it. */
    public static int pack(Path home, String trinoUri, OutputStream out) throws IOException {
        if (!trinoUri.startsWith("trino://")) {
            throw new IllegalArgumentException("--trino-uri must be a SQLAlchemy Trino URI (trino://user@host:port/delta), not " + trinoUri);
        }
        Path bundle = home.resolve("superset/bundle");
        Path root = bundle.resolve("clickstream");
        if (!Files.isRegularFile(root.resolve("metadata.yaml"))) {
            throw new IllegalStateException("no Superset bundle at " + root);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Path file : files) {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                if (file.getParent().getFileName().toString().equals("databases")) {
                    text = text.replace("sqlalchemy_uri: " + DEFAULT_TRINO_URI, "sqlalchemy_uri: " + trinoUri);
                }
                zip.putNextEntry(new ZipEntry(bundle.relativize(file).toString().replace('\\', '/')));
                zip.write(text.getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return files.size();
    }

    public static void main(String[] args) throws IOException {
        Path home = Path.of(System.getProperty("clickstream.home", ".")).toAbsolutePath().normalize();
        String trinoUri = DEFAULT_TRINO_URI;
        Path out = home.resolve("work/superset/clickstream-superset.zip");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--trino-uri" -> trinoUri = args[++i];
                case "--out" -> out = Path.of(args[++i]).toAbsolutePath();
                default -> {
                    System.err.println("usage: bin/clickstream superset-bundle [--trino-uri trino://user@host:port/delta] [--out FILE]");
                    System.exit(2);
                }
            }
        }
        Files.createDirectories(out.getParent());
        int count;
        try (OutputStream stream = Files.newOutputStream(out)) {
            count = pack(home, trinoUri, stream);
        }
        System.out.println("wrote " + out + " (" + count + " files, database " + trinoUri + ")");
        System.out.println("import it on the Superset host: superset import-dashboards --path " + out.getFileName() + " --username admin");
    }
}
