package io.clickstream.ingest;

/** What the transport knows about the sender: its address and user agent header, either may be null. */
public record ClientInfo(String address, String userAgent) {}
