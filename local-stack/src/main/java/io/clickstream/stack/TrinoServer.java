package io.clickstream.stack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real Trino server (coordinator and worker in one JVM) with a Delta Lake catalog {@code delta}
 * over the lake and a Hive catalog {@code hive} for bronze's JSON files.
 *
 * <p>The tarball comes from Maven; it is unpacked once under {@code <home>/.runtime/} and shared by
 * every later run. Only the two plugins we use are loaded, which keeps start-up near 10 s.
 */
public final class TrinoServer implements AutoCloseable {
    public static final int MINIMUM_JDK = 24;
    private static final List<String> PLUGINS = List.of("delta-lake", "hive");

    private final ChildProcess process;
    private final String jdbcUrl;

    private TrinoServer(ChildProcess process, String jdbcUrl) {
        this.process = process;
        this.jdbcUrl = jdbcUrl;
    }

    public static TrinoServer start(Path home, Path workDir, String processMarker, int port) throws Exception {
        Path javaHome = Jdks.find(MINIMUM_JDK);
        Path server = unpack(home.resolve(".runtime"));
        Path dir = workDir.resolve("trino");
        Path etc = dir.resolve("etc");
        Path catalogs = etc.resolve("catalog");
        Files.createDirectories(catalogs);
        Path metastore = dir.resolve("metastore");
        Files.createDirectories(metastore.resolve("delta"));
        Files.createDirectories(metastore.resolve("hive"));

        write(etc.resolve("config.properties"), Map.of(
                "coordinator", "true",
                "node-scheduler.include-coordinator", "true",
                "http-server.http.port", String.valueOf(port),
                "discovery.uri", "http://127.0.0.1:" + port,
                "query.max-memory", "1GB",
                // Must fit the heap (-Xmx2G) or Trino refuses to start.
                "query.max-memory-per-node", "768MB",
                // CREATE CATALOG / DROP CATALOG: the tests check the production catalogs (deploy/trino) on this server.
                "catalog.management", "dynamic"));
        write(etc.resolve("log.properties"), Map.of("io.trino", "INFO", "org.apache.parquet", "WARN"));
        Map<String, String> localFileSystem = Map.of(
                "fs.native-local.enabled", "true",
                // Every local:///x resolves under this root; "/" keeps absolute paths as they are.
                "local.location", "/");
        Map<String, String> delta = new java.util.HashMap<>(localFileSystem);
        delta.putAll(Map.of(
                "connector.name", "delta_lake",
                "hive.metastore", "file",
                "hive.metastore.catalog.dir", localUri(metastore.resolve("delta")),
                "delta.register-table-procedure.enabled", "true",
                "hive.metastore.disable-location-checks", "true"));
        write(catalogs.resolve("delta.properties"), delta);
        Map<String, String> hive = new java.util.HashMap<>(localFileSystem);
        hive.putAll(Map.of(
                "connector.name", "hive",
                "hive.metastore", "file",
                "hive.metastore.catalog.dir", localUri(metastore.resolve("hive")),
                // Bronze keeps one folder per day and per batch below the table's location.
                "hive.recursive-directories", "true",
                "hive.metastore.disable-location-checks", "true"));
        write(catalogs.resolve("hive.properties"), hive);

        List<String> command = new ArrayList<>(List.of(
                javaHome.resolve("bin/java").toString(),
                processMarker,
                "-Xmx2G", "-XX:+UseG1GC", "-XX:G1HeapRegionSize=32M", "-XX:+ExplicitGCInvokesConcurrent",
                "-XX:+ExitOnOutOfMemoryError", "-XX:ReservedCodeCacheSize=256M", "-Djdk.attach.allowAttachSelf=true",
                "-XX:+EnableDynamicAgentLoading", "-Dfile.encoding=UTF-8",
                "-Dnode.environment=local",
                "-Dnode.id=clickstream-local",
                "-Dnode.data-dir=" + dir.resolve("data").toAbsolutePath(),
                "-Dconfig=" + etc.resolve("config.properties").toAbsolutePath(),
                "-Dlog.levels-file=" + etc.resolve("log.properties").toAbsolutePath(),
                "-Dcatalog.config-dir=" + catalogs.toAbsolutePath(),
                "-Dplugin.dir=" + server.resolve("plugins-in-use").toAbsolutePath(),
                "-cp", server.resolve("lib").toAbsolutePath() + "/*",
                "io.trino.server.TrinoServer"));
        ChildProcess process = ChildProcess.start("trino", command, Map.of(), dir.toFile(), workDir.resolve("logs").resolve("trino.log"));
        TrinoServer trino = new TrinoServer(process, "jdbc:trino://127.0.0.1:" + port);
        try {
            // The server says it started a few seconds before it has an active node to run queries on.
            process.awaitReady("serving queries on port " + port, Duration.ofMinutes(3), trino::hasActiveNode);
        }
        catch (Exception e) {
            process.close();
            throw e;
        }
        return trino;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public ChildProcess process() {
        return process;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, "clickstream", null);
    }

    /** The lake root as Trino's local file system names it. */
    public static String localUri(Path path) {
        return "local://" + path.toAbsolutePath().normalize();
    }

    private boolean hasActiveNode() throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM system.runtime.nodes WHERE state = 'active'")) {
            return rows.next() && rows.getLong(1) > 0;
        }
    }

    /** Unpacks the tarball once (into a temp folder, then renamed, so a half-unpacked server is never used). */
    static Path unpack(Path runtimeDir) throws IOException, InterruptedException {
        Properties artifacts = new Properties();
        try (InputStream in = TrinoServer.class.getResourceAsStream("/runtime-artifacts.properties")) {
            artifacts.load(in);
        }
        String version = artifacts.getProperty("trino.server.version");
        Path tarball = Path.of(artifacts.getProperty("trino.server.tarball"));
        Path server = runtimeDir.resolve("trino-server-" + version);
        if (Files.isDirectory(server.resolve("plugins-in-use"))) {
            return server;
        }
        if (!Files.isRegularFile(tarball)) {
            throw new IllegalStateException("the Trino server tarball is missing at " + tarball + ": run 'mvn -DskipTests package' to fetch it");
        }
        Files.createDirectories(runtimeDir);
        Path staging = Files.createTempDirectory(runtimeDir, "unpacking-");
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", staging.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes());
        if (tar.waitFor() != 0) {
            throw new IllegalStateException("unpacking " + tarball + " failed: " + output);
        }
        Path unpacked = staging.resolve("trino-server-" + version);
        if (Files.exists(server)) {
            Directories.deleteRecursively(server);
        }
        Files.move(unpacked, server, StandardCopyOption.ATOMIC_MOVE);
        // Trino loads every folder of its plugin dir: give it one holding only the plugins we use.
        Path inUse = server.resolve("plugins-in-use");
        Files.createDirectories(inUse);
        for (String plugin : PLUGINS) {
            Files.createSymbolicLink(inUse.resolve(plugin), server.resolve("plugin").resolve(plugin).toAbsolutePath());
        }
        Directories.deleteRecursively(staging);
        return server;
    }

    private static void write(Path file, Map<String, String> properties) throws IOException {
        StringBuilder text = new StringBuilder("# written by the local stack on every start\n");
        properties.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(entry -> text.append(entry.getKey()).append('=').append(entry.getValue()).append('\n'));
        Files.writeString(file, text);
    }

    @Override
    public void close() {
        process.close();
    }
}
