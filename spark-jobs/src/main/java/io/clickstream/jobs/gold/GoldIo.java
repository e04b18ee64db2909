package io.clickstream.jobs.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.clickstream.jobs.lake.LakePaths;
import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/** What every gold job does with the lake: read a date range of silver, replace one day of a gold table, read it back. */
final class GoldIo {
    private GoldIo() {}

    /** Silver events with {@code event_date} from {@code from} to {@code to}, both included. */
    static Dataset<Row> silver(SparkSession spark, LakePaths paths, LocalDate from, LocalDate to) {
        requireSilver(spark, paths);
        return spark.read().format("delta").load(paths.silverEvents())
                .where(col("event_date").between(lit(java.sql.Date.valueOf(from)), lit(java.sql.Date.valueOf(to))));
    }

    /** Fails with what to do when the lake has no silver table yet. */
    static void requireSilver(SparkSession spark, LakePaths paths) {
        if (!DeltaTable.isDeltaTable(spark, paths.silverEvents())) {
            throw new IllegalStateException("no silver table at " + paths.silverEvents() + ": start the streaming job first");
        }
    }

    /**
     * Replaces the rows of {@code day} in the table at {@code path} ({@code replaceWhere} on its
     * date partition column) with {@code rows}, which must all be of that day. New columns of an
     * evolved job are added to an existing table ({@code mergeSchema}).
     */
    static void replaceDay(Dataset<Row> rows, String path, String dateColumn, LocalDate day) {
        rows.write().format("delta").mode(SaveMode.Overwrite)
                .option("replaceWhere", dateColumn + " = DATE'" + day + "'")
                .option("mergeSchema", "true")
                .save(path);
    }

    /** The rows of {@code day} in the table at {@code path}. */
    static Dataset<Row> day(SparkSession spark, String path, String dateColumn, LocalDate day) {
        return spark.read().format("delta").load(path).where(col(dateColumn).equalTo(lit(java.sql.Date.valueOf(day))));
    }
}
