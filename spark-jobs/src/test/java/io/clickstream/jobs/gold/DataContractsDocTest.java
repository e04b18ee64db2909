package io.clickstream.jobs.gold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.schema.EventContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * docs/data-contracts.md is generated from the tables' declared columns and comments (the same
 * ones Delta stores and Trino shows), so it cannot drift from the code. To refresh it after a
 * change: {@code mvn -pl spark-jobs test -Dtest=DataContractsDocTest -Dclickstream.docs.write=true}.
 */
class DataContractsDocTest {
    static final Map<String, StructType> TABLES = new LinkedHashMap<>();

    static {
        TABLES.put("silver.clickstream_processed (partitioned by event_date, event_name)", EventColumns.silver(EventContract.current()));
        TABLES.put("silver.clickstream_quarantine (partitioned by quarantine_date)", EventColumns.quarantine());
        TABLES.put("gold.sessions (partitioned by session_date)", Sessions.TABLE);
        TABLES.put("gold.sessions_quarantine (partitioned by session_date)", Sessions.QUARANTINE_TABLE);
        TABLES.put("gold.daily_metrics (partitioned by metric_date)", DailyMetrics.METRICS_TABLE);
        TABLES.put("gold.daily_top_pages (partitioned by metric_date)", DailyMetrics.TOP_PAGES_TABLE);
        TABLES.put("gold.daily_search_terms (partitioned by metric_date)", DailyMetrics.SEARCH_TERMS_TABLE);
        TABLES.put("gold.hourly_metrics (partitioned by metric_date)", HourlyMetrics.TABLE);
        TABLES.put("gold.chapter_engagement (partitioned by metric_date)", ChapterEngagement.TABLE);
        TABLES.put("gold.funnels (partitioned by metric_date)", Funnels.TABLE);
        TABLES.put("gold.student_features (partitioned by feature_date)", StudentFeatures.TABLE);
        TABLES.put("gold.anomalies (partitioned by metric_date)", Anomalies.TABLE);
        TABLES.put("gold.data_quality (partitioned by check_date)", DataQuality.TABLE);
    }

    @Test
    void theDocumentMatchesTheDeclaredColumns() throws Exception {
        // clickstream.home is the checkout when Maven runs from it, the module when it runs from spark-jobs.
        Path home = Path.of(System.getProperty("clickstream.home", ".")).toAbsolutePath();
        Path doc = (Files.isDirectory(home.resolve("docs")) ? home : home.getParent()).resolve("docs").resolve("data-contracts.md");
        String expected = render();
        if (Boolean.getBoolean("clickstream.docs.write")) {
            Files.writeString(doc, expected);
        }
        assertEquals(expected, Files.exists(doc) ? Files.readString(doc) : "",
                "docs/data-contracts.md is out of date; regenerate it (see this test's comment)");
    }

    static String render() {
        StringBuilder out = new StringBuilder("""
                # Data contracts

                Every table of the lake, column by column, as the jobs declare it (Delta keeps these comments
                and Trino shows them with `SHOW COLUMNS` or `DESCRIBE`). Generated from the code by
                `DataContractsDocTest`; edit the table's declaration, not this file. Events themselves are
                described by the JSON Schema `event-schema/src/main/resources/schemas/lms-event/v1.json`;
                bronze keeps each Kafka record as received (value, key, topic, partition, offset, timestamp).
                The views analysts query on top of these tables are in [analytics-views.md](analytics-views.md).

                All times are UTC. `student_id` is always the pseudonym (HMAC-SHA256 of the LMS id with the
                deployment's key), never the LMS id.
                """);
        for (Map.Entry<String, StructType> table : TABLES.entrySet()) {
            out.append("\n## ").append(table.getKey()).append("\n\n| column | type | null | meaning |\n|---|---|---|---|\n");
            for (StructField field : table.getValue().fields()) {
                out.append("| `").append(field.name()).append("` | ").append(field.dataType().simpleString()).append(" | ")
                        .append(field.nullable() ? "yes" : "no").append(" | ")
                        .append(field.getComment().isDefined() ? field.getComment().get().replace("|", "\\|") : "").append(" |\n");
            }
        }
        return out.toString();
    }
}
