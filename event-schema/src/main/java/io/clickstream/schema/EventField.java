package io.clickstream.schema;

import static java.util.Objects.requireNonNull;

/** One top-level property of the event contract. */
public record EventField(String name, FieldType type, boolean required, String description) {
    public EventField {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        requireNonNull(description, "description is null");
    }
}
