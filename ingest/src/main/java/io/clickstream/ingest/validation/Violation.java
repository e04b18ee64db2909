package io.clickstream.ingest.validation;

import static java.util.Objects.requireNonNull;

/** One reason an event was refused: which field, and what is wrong with it. */
public record Violation(String field, String problem) {
    public Violation {
        requireNonNull(field, "field is null");
        requireNonNull(problem, "problem is null");
    }

    @Override
    public String toString() {
        return field + ": " + problem;
    }
}
