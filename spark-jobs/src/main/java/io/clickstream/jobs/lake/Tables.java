package io.clickstream.jobs.lake;

import io.clickstream.schema.EventContract;
import io.delta.tables.DeltaTable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Explicit, idempotent Delta DDL: every table is created with declared columns and partitions
 * before the first write, never inferred from the first batch.
 */
public final class Tables {
    private Tables() {}

    /** Silver's events and quarantine tables, with the columns the event contract declares. */
    public static void createSilver(SparkSession spark, LakePaths paths, EventContract contract) {
        createIfNotExists(spark, paths.silverEvents(), EventColumns.silver(contract),
                "Silver: every accepted LMS event once, typed and pseudonymised.", EventColumns.EVENT_DATE, "event_name");
        createIfNotExists(spark, paths.silverQuarantine(), EventColumns.quarantine(),
                "Records the stream could not parse, with the reason.", "quarantine_date");
    }

    public static void createIfNotExists(SparkSession spark, String location, StructType columns, String comment, String... partitionColumns) {
        DeltaTable.createIfNotExists(spark)
                .location(location)
                .addColumns(columns)
                .partitionedBy(partitionColumns)
                .comment(comment)
                .execute();
    }
}
