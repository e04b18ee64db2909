package io.clickstream.ingest.validation;

import static java.util.Objects.requireNonNull;

/**
 * One reason an event was refused: which field, what is wrong with it, and the kind of rule it
 * broke (a JSON Schema keyword such as {@code required} or {@code enum}, or {@code timestamp});
 * the kind is a small fixed set, fit for a metric label.
 */
public record Violation(String field, String problem, String kind) {
    public Violation {
        requireNonNull(field, "field is null");
        requireNonNull(problem, "problem is null");
        requireNonNull(kind, "kind is null");
    }

    @Override
    public String toString() {
        return field + ": " + problem;
    }
}
