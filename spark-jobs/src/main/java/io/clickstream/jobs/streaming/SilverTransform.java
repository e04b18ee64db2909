package io.clickstream.jobs.streaming;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.try_to_timestamp;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.clickstream.jobs.enrich.Countries;
import io.clickstream.jobs.enrich.UserAgents;
import io.clickstream.jobs.lake.EventColumns;
import io.clickstream.schema.EventContract;
import io.clickstream.schema.EventField;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Pure transforms from Kafka records (the Kafka source's columns) to the lake's layers.
 * No I/O here: tests call these directly on small data sets.
 */
public final class SilverTransform {
    /** Column holding why a record cannot become a silver row; null for good rows. */
    static final String REASON = "quarantine_reason";
    private static final String PARSED = "parsed";
    /** The known metadata keys of a record, each as the text of its value: metadata is parsed once, not once per key. */
    private static final String METADATA = "parsed_metadata";

    private final EventContract contract;
    private final StructType publishedEvent;
    private final StructType silver;
    private final StructType metadataAsText;

    public SilverTransform(EventContract contract) {
        this.contract = contract;
        this.publishedEvent = EventColumns.publishedEvent(contract);
        this.silver = EventColumns.silver(contract);
        StructType metadata = new StructType();
        for (EventField field : contract.metadataFields()) {
            // As text, whatever the JSON type (a number's digits, an object's JSON): the typed value comes from try_cast.
            metadata = metadata.add(field.name(), DataTypes.StringType, true);
        }
        this.metadataAsText = metadata;
    }

    /**
     * Bronze rows from parsed records (every one, valid or not): the record as received plus its coordinates;
     * {@code bronze_folder} is YYYY/MM/DD of the broker time.
     */
    public Dataset<Row> bronze(Dataset<Row> parsedRecords) {
        return parsedRecords.select(
                col("raw_value").as("value"),
                col("kafka_key").as("key"),
                col("kafka_topic").as("topic"),
                col("kafka_partition"),
                col("kafka_offset"),
                date_format(col("kafka_timestamp"), "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").as("kafka_timestamp"),
                date_format(col("kafka_timestamp"), "yyyy/MM/dd").as("bronze_folder"));
    }

    /** The columns the per-student rules need, besides the record: what {@link #keys} adds. */
    static final List<String> KEY_FIELDS = List.of("event_id", "student_id", "event_name", "page_url", "session_id", EventColumns.EVENT_TIMESTAMP);

    /** Every record parsed and typed, with {@value #REASON} set where it cannot be an event: {@link #typed} of {@link #keys}. */
    public Dataset<Row> parse(Dataset<Row> kafkaRecords) {
        return typed(keys(kafkaRecords));
    }

    /**
     * Each Kafka record as received (raw_value, kafka_key, kafka_topic, kafka_partition, kafka_offset,
     * kafka_timestamp), the few fields the per-student rules need ({@link #KEY_FIELDS}) and {@value #REASON}. This
     * is what the stream shuffles to its state store, so it is kept narrow; Spark parses only these fields of the
     * JSON here.
     */
    public Dataset<Row> keys(Dataset<Row> kafkaRecords) {
        Dataset<Row> records = kafkaRecords.select(
                col("value").cast("string").as("raw_value"),
                col("key").cast("string").as("kafka_key"),
                col("topic").as("kafka_topic"),
                col("partition").as("kafka_partition"),
                col("offset").as("kafka_offset"),
                col("timestamp").as("kafka_timestamp"));
        Dataset<Row> withParsed = records.withColumn(PARSED, from_json(col("raw_value"), publishedEvent, Map.of("mode", "PERMISSIVE")));
        List<Column> columns = new ArrayList<>(java.util.Arrays.stream(records.columns()).map(name -> col(name)).toList());
        for (String key : KEY_FIELDS) {
            StructField field = silver.apply(key);
            columns.add(silverColumn(field).cast(field.dataType()).as(key));
        }
        return withParsed.select(columns.toArray(Column[]::new)).withColumn(REASON, reason(contract));
    }

    /**
     * The silver columns of each record (but the enrichment), parsed from raw_value, keeping every column of
     * {@code keyed} (the record, {@value #REASON}, and the flags of {@link StudentEventFlags} when present).
     */
    public Dataset<Row> typed(Dataset<Row> keyed) {
        Dataset<Row> withParsed = keyed.withColumn(PARSED, from_json(col("raw_value"), publishedEvent, Map.of("mode", "PERMISSIVE")))
                .withColumn(METADATA, from_json(col(PARSED + ".metadata"), metadataAsText, Map.of("mode", "PERMISSIVE")));
        List<String> present = List.of(keyed.columns());
        List<Column> columns = new ArrayList<>();
        for (StructField field : silver.fields()) {
            // Enrichment columns are derived after parsing (StudentEventFlags, silverRows); the keys and coordinates are there already.
            if (EventColumns.enrichment().getFieldIndex(field.name()).isEmpty() && !present.contains(field.name())) {
                columns.add(silverColumn(field).cast(field.dataType()).as(field.name()));
            }
        }
        for (String name : keyed.columns()) {
            columns.add(col(name));
        }
        return withParsed.select(columns.toArray(Column[]::new));
    }

    /**
     * Valid events that are not copies (see {@link StudentEventFlags}), in silver column order, enriched: device
     * class, operating system and browser from the user agent, country from the address, {@code is_late} (arrived
     * more than {@code lateAfter} after it happened) and {@code is_bot} with its reason.
     */
    public Dataset<Row> silverRows(Dataset<Row> flagged, Duration lateAfter) {
        return silverRows(enrich(flagged, lateAfter));
    }

    /** Valid events that are not copies, in silver column order, from records {@link #enrich} has enriched. */
    public Dataset<Row> silverRows(Dataset<Row> enriched) {
        Column[] silverColumns = java.util.Arrays.stream(silver.fieldNames()).map(name -> col(name)).toArray(Column[]::new);
        return enriched.where(FRESH).select(silverColumns);
    }

    /** Valid records that are not copies of an event written before: what becomes silver rows. */
    static final Column FRESH = col(REASON).isNull().and(not(col(StudentEventFlags.DUPLICATE)));

    /**
     * Every flagged record with the enrichment columns added ({@link #silverRows} says which); they are computed for
     * the records that become silver rows and null for the others, so a batch's counts can be taken in the same pass
     * as its other figures.
     */
    public Dataset<Row> enrich(Dataset<Row> flagged, Duration lateAfter) {
        Column late = col(EventContract.RECEIVED_AT).cast("double").minus(col(EventColumns.EVENT_TIMESTAMP).cast("double"))
                .gt(lateAfter.toMillis() / 1000.0);
        Column crawler = col(AGENT + ".crawler");
        // Two projections, not one per column: every withColumn analyses the whole plan again, on the driver, per batch.
        Map<String, Column> enrichment = new java.util.LinkedHashMap<>();
        enrichment.put(EventColumns.DEVICE_CLASS, col(AGENT + ".device_class"));
        enrichment.put(EventColumns.OS_NAME, col(AGENT + ".os_name"));
        enrichment.put(EventColumns.BROWSER_NAME, col(AGENT + ".browser_name"));
        enrichment.put(EventColumns.COUNTRY, when(FRESH, COUNTRY.apply(col("ip"))));
        enrichment.put(EventColumns.IS_LATE, coalesce(late, lit(false)));
        enrichment.put(EventColumns.IS_BOT, coalesce(crawler, lit(false)).or(col(StudentEventFlags.RATE_BOT)));
        enrichment.put(EventColumns.BOT_REASON, when(crawler, lit("user agent")).when(col(StudentEventFlags.RATE_BOT), lit("event rate")));
        return flagged.withColumn(AGENT, when(FRESH, USER_AGENT.apply(col("user_agent")))).withColumns(enrichment).drop(AGENT);
    }

    private static final String AGENT = "parsed_user_agent";
    private static final StructType AGENT_FIELDS = new StructType()
            .add("device_class", DataTypes.StringType)
            .add("os_name", DataTypes.StringType)
            .add("browser_name", DataTypes.StringType)
            .add("crawler", DataTypes.BooleanType, false);
    private static final UserDefinedFunction USER_AGENT = udf((UDF1<String, Row>) userAgent -> {
        UserAgents.Parsed parsed = UserAgents.parse(userAgent);
        return RowFactory.create(parsed.deviceClass(), parsed.osName(), parsed.browserName(), parsed.crawler());
    }, AGENT_FIELDS).asNonNullable();
    private static final UserDefinedFunction COUNTRY = udf((UDF1<String, String>) Countries::of, DataTypes.StringType);

    /** Rows that failed, with the reason and where they came from. */
    public Dataset<Row> quarantineRows(Dataset<Row> parsed) {
        return parsed.where(col(REASON).isNotNull()).select(
                col("raw_value"),
                col(REASON).as("reason"),
                col("kafka_topic"),
                col("kafka_partition"),
                col("kafka_offset"),
                col("kafka_timestamp"),
                current_timestamp().as("quarantined_at"),
                to_date(current_timestamp()).as("quarantine_date"));
    }

    private Column silverColumn(StructField field) {
        String name = field.name();

        if (name.equals(EventColumns.EVENT_TIMESTAMP)) {
            return try_to_timestamp(col(PARSED + ".timestamp"));
        }
        if (name.equals(EventColumns.EVENT_DATE)) {
            return to_date(try_to_timestamp(col(PARSED + ".timestamp")));
        }
        if (name.equals(EventContract.RECEIVED_AT)) {
            return try_to_timestamp(col(PARSED + "." + EventContract.RECEIVED_AT));
        }
        if (name.equals("kafka_partition") || name.equals("kafka_offset")) {
            return col(name);
        }
        if (contract.metadataFields().stream().map(EventField::name).anyMatch(name::equals)) {
            return col(METADATA + "." + name).try_cast(field.dataType());
        }
        return col(PARSED + "." + name);
    }

    /** The first problem that keeps a record out of silver, or null. Order: most basic first. */
    private static Column reason(EventContract contract) {
        return when(col("raw_value").isNull(), lit("empty record value"))
                .when(col("event_id").isNull(), lit("not a JSON event object, or event_id missing"))
                .when(col("student_id").isNull(), lit("student_id missing"))
                .when(col("event_name").isNull(), lit("event_name missing"))
                .when(not(col("event_name").isin(contract.eventNames().toArray())),
                        concat(lit("event_name '"), col("event_name"), lit("' is not in the event contract")))
                .when(col("page_url").isNull(), lit("page_url missing"))
                .when(col("session_id").isNull(), lit("session_id missing"))
                .when(col(EventColumns.EVENT_TIMESTAMP).isNull(), lit("timestamp missing or not a date-time"))
                .otherwise(lit(null).cast("string"));
    }
}
