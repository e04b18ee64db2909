package io.clickstream.ingest;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The answer to a track request, independent of the transport. */
public record TrackResponse(int status, ObjectNode body) {
    public TrackResponse {
        requireNonNull(body, "body is null");
    }
}
