package io.clickstream.jobs.lake;

import io.clickstream.schema.EventContract;
import io.clickstream.schema.EventField;
import io.clickstream.schema.FieldType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Spark types derived from the event contract, the one place the event's shape is declared.
 * A new field in the JSON Schema becomes a new silver column without touching this class.
 */
public final class EventColumns {
    /** The contract's {@code timestamp} is stored under this clearer name. */
    public static final String EVENT_TIMESTAMP = "event_timestamp";
    public static final String EVENT_DATE = "event_date";
    public static final String SESSION_KEY = "session_key";
    public static final String IS_LATE = "is_late";
    public static final String IS_BOT = "is_bot";
    public static final String BOT_REASON = "bot_reason";
    public static final String DEVICE_CLASS = "device_class";
    public static final String OS_NAME = "os_name";
    public static final String BROWSER_NAME = "browser_name";
    public static final String COUNTRY = "country";

    private EventColumns() {}

    /** The JSON shape ingest publishes (contract fields plus collector fields), for {@code from_json}. */
    public static StructType publishedEvent(EventContract contract) {
        StructType schema = new StructType();
        for (EventField field : contract.fields()) {
            // Read as text first: typed parsing happens with try_* so one bad value cannot fail a batch.
            DataType type = switch (field.type()) {
                case STRING, TIMESTAMP, JSON_OBJECT -> DataTypes.StringType;
                case INTEGER -> DataTypes.LongType;
                case NUMBER -> DataTypes.DoubleType;
            };
            schema = schema.add(field.name(), type, !field.required(), field.description());
        }
        return schema
                .add(EventContract.RECEIVED_AT, DataTypes.StringType, true, "When ingest received the event.")
                .add(EventContract.SCHEMA_VERSION, DataTypes.IntegerType, true, "Contract version the event was validated against.");
    }

    /** The silver table: contract fields typed, known metadata keys as columns, Kafka coordinates, partitions last. */
    public static StructType silver(EventContract contract) {
        StructType schema = new StructType();
        for (EventField field : contract.fields()) {
            if (field.name().equals("timestamp")) {
                schema = schema.add(EVENT_TIMESTAMP, DataTypes.TimestampType, false, field.description());
            }
            else {
                schema = schema.add(field.name(), sparkType(field.type()), !field.required(), field.description());
            }
        }
        for (EventField field : contract.metadataFields()) {
            schema = schema.add(field.name(), sparkType(field.type()), true, "metadata." + field.name() + ": " + field.description());
        }
        schema = schema
                .add(EventContract.RECEIVED_AT, DataTypes.TimestampType, true, "When ingest received the event (UTC).")
                .add(EventContract.SCHEMA_VERSION, DataTypes.IntegerType, true, "Contract version the event was validated against.")
                .add("kafka_partition", DataTypes.IntegerType, false, "Kafka partition the event was read from.")
                .add("kafka_offset", DataTypes.LongType, false, "Kafka offset the event was read from.")
                .add(EVENT_DATE, DataTypes.DateType, false, "UTC date of event_timestamp; partition column.");
        for (StructField field : enrichment().fields()) {
            schema = schema.add(field);
        }
        return schema;
    }

    /** Columns the streaming job adds to each event; nullable, so that tables written before they existed gain them empty. */
    public static StructType enrichment() {
        return new StructType()
                .add(SESSION_KEY, DataTypes.StringType, true, "The reconstructed session: a new key after clickstream.streaming.session-inactivity-gap"
                        + " (30 min) without events or when the client's session_id changes, so a session id reused after a gap or on"
                        + " another day is split. Gold's sessions table recomputes sessions from all events.")
                .add(IS_LATE, DataTypes.BooleanType, true, "True when the event reached ingest more than clickstream.streaming.late-after"
                        + " (10 min) after event_timestamp; late events are kept in their own day's partition, never dropped.")
                .add(IS_BOT, DataTypes.BooleanType, true, "True when the user agent is a crawler's or the student sent more than"
                        + " clickstream.streaming.bot-events-per-minute events within a minute.")
                .add(BOT_REASON, DataTypes.StringType, true, "Why is_bot is true: 'user agent' or 'event rate'; null for people.")
                .add(DEVICE_CLASS, DataTypes.StringType, true, "Device class from the user agent (YAUAA): Desktop, Phone, Tablet, Robot, ...;"
                        + " null when it cannot tell. device_type is what the client said.")
                .add(OS_NAME, DataTypes.StringType, true, "Operating system from the user agent (YAUAA), such as Windows NT, Android, iOS.")
                .add(BROWSER_NAME, DataTypes.StringType, true, "Browser or app from the user agent (YAUAA), such as Chrome, Firefox, Safari."
                        + " browser is what the client said.")
                .add(COUNTRY, DataTypes.StringType, true, "ISO 3166 country code of the (truncated) client address, from DB-IP's country"
                        + " database (CC BY 4.0); null for private or unknown addresses.");
    }

    /** Records the stream could not turn into events, kept with the reason and their Kafka coordinates. */
    public static StructType quarantine() {
        return new StructType()
                .add("raw_value", DataTypes.StringType, true, "The Kafka record value as received.")
                .add("reason", DataTypes.StringType, false, "Why the record is not in silver.")
                .add("kafka_topic", DataTypes.StringType, false, "Topic of the record.")
                .add("kafka_partition", DataTypes.IntegerType, false, "Partition of the record.")
                .add("kafka_offset", DataTypes.LongType, false, "Offset of the record.")
                .add("kafka_timestamp", DataTypes.TimestampType, true, "Broker timestamp of the record.")
                .add("quarantined_at", DataTypes.TimestampType, false, "When the stream set it aside.")
                .add("quarantine_date", DataTypes.DateType, false, "UTC date of quarantined_at; partition column.");
    }

    private static DataType sparkType(FieldType type) {
        return switch (type) {
            case STRING, JSON_OBJECT -> DataTypes.StringType;
            case TIMESTAMP -> DataTypes.TimestampType;
            case INTEGER -> DataTypes.LongType;
            case NUMBER -> DataTypes.DoubleType;
        };
    }
}
