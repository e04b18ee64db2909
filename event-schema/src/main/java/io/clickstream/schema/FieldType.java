package io.clickstream.schema;

/** The column types the event contract knows; each consumer maps them to its own type system. */
public enum FieldType {
    STRING,
    /** An RFC 3339 date-time string; stored as a UTC timestamp. */
    TIMESTAMP,
    INTEGER,
    NUMBER,
    /** A nested JSON object kept as its JSON text. */
    JSON_OBJECT
}
