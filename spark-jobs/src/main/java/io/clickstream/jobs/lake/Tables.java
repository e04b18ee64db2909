package io.clickstream.jobs.lake;

import io.delta.tables.DeltaTable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Explicit, idempotent Delta DDL: every table is created with declared columns and partitions
 * before the first write, never inferred from the first batch.
 */
public final class Tables {
    private Tables() {}

    public static void createIfNotExists(SparkSession spark, String location, StructType columns, String comment, String... partitionColumns) {
        DeltaTable.createIfNotExists(spark)
                .location(location)
                .addColumns(columns)
                .partitionedBy(partitionColumns)
                .comment(comment)
                .execute();
    }
}
