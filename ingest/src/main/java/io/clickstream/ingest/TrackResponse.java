package io.clickstream.ingest;

import static java.util.Objects.requireNonNull;

/** The answer to a track request, independent of the transport: a status and a JSON body (UTF-8). */
public record TrackResponse(int status, byte[] body) {
    public TrackResponse {
        requireNonNull(body, "body is null");
    }
}
