package io.clickstream.ddl;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies the versioned Trino DDL under {@code ddl/} in order. Every step is idempotent:
 * {@code CREATE ... IF NOT EXISTS}, and {@code @register} directives register a Delta table
 * only when Trino does not know it yet. Running it twice changes nothing.
 *
 * <p>How to run: {@code bin/clickstream ddl apply} (local stack), or
 * {@code java -cp 'lakehouse-ddl/target/lakehouse-ddl-0.1.0-SNAPSHOT.jar:lakehouse-ddl/target/lib/*'
 * io.clickstream.ddl.DdlRunner --trino jdbc:trino://HOST:8081 --lake s3://bucket/lake}.
 * Prints one line per step, such as {@code registered delta.silver.clickstream_processed}.
 */
public final class DdlRunner {
    private static final String REGISTER = "-- @register ";

    private final Connection connection;
    private final String lake;

    public DdlRunner(Connection connection, String lake) {
        this.connection = requireNonNull(connection, "connection is null");
        requireNonNull(lake, "lake is null");
        this.lake = lake.endsWith("/") ? lake.substring(0, lake.length() - 1) : lake;
    }

    /** One line per step: what was done, or why a table is not registered yet. */
    public List<String> apply() throws SQLException {
        List<String> report = new ArrayList<>();
        for (String script : resource("ddl/index.txt").lines().map(String::strip).filter(line -> !line.isEmpty()).toList()) {
            String sql = resource("ddl/" + script).replace("${lake}", lake);
            StringBuilder statement = new StringBuilder();
            for (String line : sql.lines().toList()) {
                if (line.startsWith(REGISTER)) {
                    String[] parts = line.substring(REGISTER.length()).trim().split("\\s+");
                    report.add(register(parts[0], parts[1]));
                }
                else if (!line.stripLeading().startsWith("--")) {
                    statement.append(line).append('\n');
                    if (line.stripTrailing().endsWith(";")) {
                        report.add(execute(script, statement.toString()));
                        statement.setLength(0);
                    }
                }
            }
        }
        return report;
    }

    private String execute(String script, String statement) throws SQLException {
        String sql = statement.strip();
        sql = sql.substring(0, sql.length() - 1);
        try (Statement jdbc = connection.createStatement()) {
            jdbc.execute(sql);
        }
        catch (SQLException e) {
            throw new SQLException(script + ": " + e.getMessage() + "\n" + sql, e);
        }
        return "applied " + script + ": " + sql.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
    }

    private String register(String qualifiedName, String location) throws SQLException {
        String[] name = qualifiedName.split("\\.");
        if (name.length != 3) {
            throw new IllegalArgumentException("@register needs catalog.schema.table, got " + qualifiedName);
        }
        if (exists(name[0], name[1], name[2])) {
            return "already registered " + qualifiedName;
        }
        // CALL takes no JDBC parameters: literals, quoted.
        String call = "CALL " + name[0] + ".system.register_table(schema_name => " + literal(name[1]) + ", table_name => "
                + literal(name[2]) + ", table_location => " + literal(location) + ")";
        try (Statement statement = connection.createStatement()) {
            statement.execute(call);
            return "registered " + qualifiedName;
        }
        catch (SQLException e) {
            // A table appears when its job first runs; until then there is no Delta log to register.
            return "not registered yet " + qualifiedName + ": " + e.getMessage();
        }
    }

    private boolean exists(String catalog, String schema, String table) throws SQLException {
        String sql = "SELECT count(*) FROM " + catalog + ".information_schema.tables WHERE table_schema = ? AND table_name = ?";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, schema);
            statement.setString(2, table);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1) > 0;
            }
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static String resource(String path) {
        try (InputStream in = DdlRunner.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing DDL resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] args) throws SQLException {
        String url = null;
        String lake = null;
        String user = System.getenv().getOrDefault("TRINO_USER", "clickstream");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--trino" -> url = args[i + 1];
                case "--lake" -> lake = args[i + 1];
                case "--user" -> user = args[i + 1];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (url == null || lake == null) {
            System.err.println("usage: DdlRunner --trino jdbc:trino://HOST:PORT --lake LAKE_URI [--user USER]");
            System.exit(2);
        }
        try (Connection connection = DriverManager.getConnection(url, user, null)) {
            new DdlRunner(connection, lake).apply().forEach(System.out::println);
        }
    }
}
