package io.clickstream.jobs.lake;

import io.clickstream.schema.EventContract;
import io.delta.tables.DeltaTable;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Explicit, idempotent Delta DDL: every table is created with declared columns and partitions
 * before the first write, never inferred from the first batch; a table written by an earlier
 * version gains the nullable columns declared since (its old rows read them as null).
 */
public final class Tables {
    private Tables() {}

    /**
     * Silver's own Delta settings. The streaming job commits to silver in every micro-batch, and Delta writes a
     * checkpoint of the table's whole state every {@code delta.checkpointInterval} commits (10 by default) with a Spark
     * job that takes seconds on a small machine: the slowest batches, and the tail of freshness. Every 100th commit
     * instead; readers replay at most 99 small commit files after the checkpoint.
     */
    static final Map<String, String> SILVER_PROPERTIES = Map.of("delta.checkpointInterval", "100");

    /** Silver's events and quarantine tables, with the columns the event contract declares. */
    public static void createSilver(SparkSession spark, LakePaths paths, EventContract contract) {
        createIfNotExists(spark, paths.silverEvents(), EventColumns.silver(contract), SILVER_PROPERTIES,
                "Silver: every accepted LMS event once, typed and pseudonymised.", EventColumns.EVENT_DATE, "event_name");
        createIfNotExists(spark, paths.silverQuarantine(), EventColumns.quarantine(),
                "Records the stream could not parse, with the reason.", "quarantine_date");
    }

    public static void createIfNotExists(SparkSession spark, String location, StructType columns, String comment, String... partitionColumns) {
        createIfNotExists(spark, location, columns, Map.of(), comment, partitionColumns);
    }

    /** As {@link #createIfNotExists(SparkSession, String, StructType, String, String...)}, with table properties (set on an existing table too). */
    public static void createIfNotExists(SparkSession spark, String location, StructType columns, Map<String, String> properties, String comment,
            String... partitionColumns) {
        io.delta.tables.DeltaTableBuilder builder = DeltaTable.createIfNotExists(spark)
                .location(location)
                .addColumns(columns)
                .partitionedBy(partitionColumns)
                .comment(comment);
        properties.forEach(builder::property);
        builder.execute();
        addMissingColumns(spark, location, columns);
        setProperties(spark, location, properties);
    }

    /** Sets the table properties whose values differ from {@code properties} (one metadata commit, none when all are set). */
    private static void setProperties(SparkSession spark, String location, Map<String, String> properties) {
        if (properties.isEmpty()) {
            return;
        }
        Map<String, String> current = DeltaTable.forPath(spark, location).detail().select("properties").first().getJavaMap(0);
        String changed = properties.entrySet().stream().filter(property -> !property.getValue().equals(current.get(property.getKey())))
                .map(property -> "'" + property.getKey() + "' = '" + property.getValue() + "'").sorted().collect(Collectors.joining(", "));
        if (!changed.isEmpty()) {
            spark.sql("ALTER TABLE delta.`" + location + "` SET TBLPROPERTIES (" + changed + ")");
        }
    }

    private static void addMissingColumns(SparkSession spark, String location, StructType declared) {
        Set<String> existing = Set.of(DeltaTable.forPath(spark, location).toDF().schema().fieldNames());
        List<StructField> missing = Arrays.stream(declared.fields()).filter(field -> !existing.contains(field.name())).toList();
        if (missing.isEmpty()) {
            return;
        }
        missing.stream().filter(field -> !field.nullable()).findFirst().ifPresent(field -> {
            throw new IllegalStateException("the table at " + location + " lacks the required column " + field.name()
                    + "; it cannot be added to existing rows: migrate the table (see docs/runbook.md)");
        });
        // ADD COLUMNS is a metadata-only commit: existing files are not rewritten, their rows read the new columns as null.
        spark.sql("ALTER TABLE delta.`" + location + "` ADD COLUMNS (" + missing.stream()
                .map(field -> "`" + field.name() + "` " + field.dataType().sql() + (field.getComment().isDefined()
                        ? " COMMENT '" + field.getComment().get().replace("\\", "\\\\").replace("'", "\\'") + "'" : ""))
                .collect(Collectors.joining(", ")) + ")");
    }
}
