package io.clickstream.ddl;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Instant;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies the Trino DDL scripts (see {@link DdlScript}) in the order of their index and records each
 * one in {@code delta.meta.ddl_history} once all of it is done, so a second run changes nothing:
 * recorded versioned scripts are skipped (and refused if their text changed since), repeatable
 * ones run again only when their text changed.
 *
 * <p>Inside a script: statements end with {@code ;} at the end of a line; {@code ${lake}} is the
 * lake root as Trino sees it; {@code -- @register catalog.schema.table location} registers a Delta
 * table written by Spark once its log exists; {@code -- @requires catalog.schema.table ...} defers
 * the script (views) until those tables are registered; {@code -- @inherit-comments VIEW from TABLE}
 * gives each column of a view the comment of the table column of the same name. A script with a
 * table not there yet is left unrecorded and finished by a later run.
 *
 * <p>How to run: {@code bin/clickstream ddl apply} (local stack), or
 * {@code java -cp 'lakehouse-ddl/target/lakehouse-ddl-0.1.0-SNAPSHOT.jar:lakehouse-ddl/target/lib/*'
 * io.clickstream.ddl.DdlRunner --trino jdbc:trino://HOST:8081 --lake s3://bucket/lake}.
 * Prints one line per step, such as {@code registered delta.silver.clickstream_processed}.
 */
public final class DdlRunner {
    private static final String REGISTER = "-- @register ";
    private static final String REQUIRES = "-- @requires ";
    private static final String INHERIT_COMMENTS = "-- @inherit-comments ";
    static final String HISTORY = "delta.meta.ddl_history";
    private static final java.time.format.DateTimeFormatter TIMESTAMP =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'").withZone(java.time.ZoneOffset.UTC);

    private final Connection connection;
    private final String lake;
    private final List<DdlScript> scripts;

    public DdlRunner(Connection connection, String lake) {
        this(connection, lake, DdlScript.bundled());
    }

    public DdlRunner(Connection connection, String lake, List<DdlScript> scripts) {
        this.connection = requireNonNull(connection, "connection is null");
        requireNonNull(lake, "lake is null");
        this.lake = lake.endsWith("/") ? lake.substring(0, lake.length() - 1) : lake;
        this.scripts = List.copyOf(requireNonNull(scripts, "scripts is null"));
    }

    /**
     * One line per step: what was done, what was already done, or what waits for a table.
     *
     * @throws IllegalStateException when a versioned script changed after it was applied (nothing is applied then)
     */
    public List<String> apply() throws SQLException {
        List<String> report = new ArrayList<>();
        List<Applied> history = history();
        Map<String, String> applied = new HashMap<>();
        history.forEach(row -> applied.put(row.script(), row.checksum()));
        for (DdlScript script : scripts) {
            String recorded = applied.get(script.name());
            if (recorded != null && !script.repeatable() && !recorded.equals(script.checksum())) {
                throw new IllegalStateException(script.name() + " changed after it was applied (checksum " + recorded + ", now "
                        + script.checksum() + "); versioned scripts are never edited once applied: add a new V script instead");
            }
        }
        int recordedBefore = history.size();
        String user = currentUser();
        try {
            for (DdlScript script : scripts) {
                if (script.checksum().equals(applied.get(script.name()))) {
                    report.add("unchanged " + script.name());
                    continue;
                }
                int statements = run(script, report);
                if (statements >= 0) {
                    history.add(new Applied(script.name(), script.checksum(), Instant.now(), user, statements));
                    report.add("recorded " + script.name());
                }
            }
        }
        finally {
            // What was done is recorded even when a later script fails.
            if (history.size() > recordedBefore) {
                writeHistory(history);
            }
        }
        return report;
    }

    private String currentUser() throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SELECT current_user")) {
            rows.next();
            return rows.getString(1);
        }
    }

    /** Runs one script; the number of statements run, or -1 when a table it needs is not there yet. */
    private int run(DdlScript script, List<String> report) throws SQLException {
        String sql = script.text().replace("${lake}", lake);
        for (String line : sql.lines().toList()) {
            if (line.startsWith(REQUIRES)) {
                for (String table : line.substring(REQUIRES.length()).trim().split("\\s+")) {
                    if (!exists(table)) {
                        report.add("waiting for " + table + ": " + script.name());
                        return -1;
                    }
                }
            }
        }
        boolean complete = true;
        int statements = 0;
        StringBuilder statement = new StringBuilder();
        for (String line : sql.lines().toList()) {
            if (line.startsWith(REGISTER)) {
                String[] parts = line.substring(REGISTER.length()).trim().split("\\s+");
                String outcome = register(parts[0], parts[1]);
                complete &= !outcome.startsWith("not registered yet");
                report.add(outcome);
            }
            else if (line.startsWith(INHERIT_COMMENTS)) {
                String[] parts = line.substring(INHERIT_COMMENTS.length()).trim().split("\\s+");
                if (parts.length != 3 || !parts[1].equals("from")) {
                    throw new IllegalArgumentException(script.name() + ": write '-- @inherit-comments VIEW from TABLE', got " + line);
                }
                int inherited = inheritComments(parts[0], parts[2]);
                statements += inherited;
                report.add("commented " + inherited + " columns of " + parts[0] + " as in " + parts[2]);
            }
            else if (!line.stripLeading().startsWith("--")) {
                statement.append(line).append('\n');
                if (line.stripTrailing().endsWith(";")) {
                    report.add(execute(script.name(), statement.toString()));
                    statements++;
                    statement.setLength(0);
                }
            }
        }
        if (!statement.toString().isBlank()) {
            throw new IllegalArgumentException(script.name() + " ends with a statement without ';': " + statement.toString().strip());
        }
        return complete ? statements : -1;
    }

    /** Comments every column of {@code view} that {@code table} has a commented column of the same name for; returns how many. */
    private int inheritComments(String view, String table) throws SQLException {
        Map<String, String> comments = columnComments(table);
        int commented = 0;
        for (String column : columnComments(view).keySet()) {
            String comment = comments.get(column);
            if (comment != null && !comment.isBlank()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("COMMENT ON COLUMN " + view + "." + column + " IS " + literal(comment));
                }
                commented++;
            }
        }
        return commented;
    }

    /** Column name to comment (null when none), in column order. */
    Map<String, String> columnComments(String table) throws SQLException {
        Map<String, String> columns = new java.util.LinkedHashMap<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SHOW COLUMNS FROM " + table)) {
            while (rows.next()) {
                columns.put(rows.getString("Column"), rows.getString("Comment"));
            }
        }
        return columns;
    }

    /** One application of a script, as {@code delta.meta.ddl_history} lists it. */
    record Applied(String script, String checksum, Instant appliedAt, String appliedBy, int statements) {}

    /**
     * What was applied before, oldest first. The history is a view over literal rows, so it lives
     * in the metastore with the registrations it describes (Trino cannot write Delta tables on a
     * local disk, and a metastore that is lost takes both with it: everything is applied again).
     */
    private List<Applied> history() throws SQLException {
        List<Applied> history = new ArrayList<>();
        if (!exists(HISTORY)) {
            return history;
        }
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT script, checksum, applied_at, applied_by, statements FROM " + HISTORY
                        + " ORDER BY applied_at, script")) {
            while (rows.next()) {
                history.add(new Applied(rows.getString(1), rows.getString(2), rows.getTimestamp(3).toInstant(), rows.getString(4), rows.getInt(5)));
            }
        }
        return history;
    }

    /** Replaces the history view with {@code history}, with its comments. */
    private void writeHistory(List<Applied> history) throws SQLException {
        String rows = history.stream().map(row -> "(" + literal(row.script()) + ", " + literal(row.checksum()) + ", TIMESTAMP "
                + literal(TIMESTAMP.format(row.appliedAt())) + ", " + literal(row.appliedBy()) + ", " + row.statements() + ")")
                .collect(java.util.stream.Collectors.joining(",\n    "));
        List<String> statements = List.of(
                "CREATE SCHEMA IF NOT EXISTS delta.meta WITH (location = " + literal(lake + "/meta") + ")",
                "CREATE OR REPLACE VIEW " + HISTORY + " COMMENT 'Scripts bin/clickstream ddl apply applied, one row per application' "
                        + "SECURITY INVOKER AS SELECT CAST(script AS varchar) AS script, CAST(checksum AS varchar) AS checksum, "
                        + "CAST(applied_at AS timestamp(3) with time zone) AS applied_at, CAST(applied_by AS varchar) AS applied_by, "
                        + "CAST(statements AS integer) AS statements FROM (VALUES\n    " + rows + ") AS t(script, checksum, applied_at, applied_by, statements)",
                "COMMENT ON COLUMN " + HISTORY + ".script IS 'DDL script file name, such as V003__silver.sql'",
                "COMMENT ON COLUMN " + HISTORY + ".checksum IS 'SHA-256 of the script text as applied'",
                "COMMENT ON COLUMN " + HISTORY + ".applied_at IS 'When the script was applied'",
                "COMMENT ON COLUMN " + HISTORY + ".applied_by IS 'Trino user that applied it'",
                "COMMENT ON COLUMN " + HISTORY + ".statements IS 'SQL statements the script ran'");
        for (String sql : statements) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(sql);
            }
        }
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
        if (exists(qualifiedName)) {
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

    private boolean exists(String qualifiedName) throws SQLException {
        String[] name = qualifiedName.split("\\.");
        if (name.length != 3) {
            throw new IllegalArgumentException("tables are named catalog.schema.table, got " + qualifiedName);
        }
        String sql = "SELECT count(*) FROM " + name[0] + ".information_schema.tables WHERE table_schema = ? AND table_name = ?";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, name[1]);
            statement.setString(2, name[2]);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1) > 0;
            }
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    public static void main(String[] args) throws SQLException {
        String url = null;
        String lake = null;
        Path scripts = null;
        String user = System.getenv().getOrDefault("TRINO_USER", "clickstream");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--trino" -> url = args[i + 1];
                case "--lake" -> lake = args[i + 1];
                case "--user" -> user = args[i + 1];
                case "--scripts" -> scripts = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (url == null || lake == null) {
            System.err.println("usage: DdlRunner --trino jdbc:trino://HOST:PORT --lake LAKE_URI [--user USER] [--scripts DIR_WITH_INDEX_TXT]");
            System.exit(2);
        }
        try (Connection connection = DriverManager.getConnection(url, user, null)) {
            List<DdlScript> toApply = scripts == null ? DdlScript.bundled() : DdlScript.in(scripts);
            new DdlRunner(connection, lake, toApply).apply().forEach(System.out::println);
        }
    }
}
