package io.clickstream.ingest;

/** What the transport knows about the sender: its address and user agent (either may be null), and its write key's name. */
public record ClientInfo(String address, String userAgent, String writeKey) {}
