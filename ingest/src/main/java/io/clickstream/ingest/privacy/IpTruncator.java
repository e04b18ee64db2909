package io.clickstream.ingest.privacy;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Zeroes the host part of a client address (IPv4 /24 and IPv6 /48 by default), so a stored
 * address locates a network, never a person's device.
 */
public final class IpTruncator {
    private final int ipv4PrefixBits;
    private final int ipv6PrefixBits;

    public IpTruncator(int ipv4PrefixBits, int ipv6PrefixBits) {
        this.ipv4PrefixBits = ipv4PrefixBits;
        this.ipv6PrefixBits = ipv6PrefixBits;
    }

    /** The truncated address, or null when the text is not a literal IP address ({@link IpLiteral}: nothing is resolved). */
    public String truncate(String address) {
        byte[] bytes = IpLiteral.parse(address);
        if (bytes == null) {
            return null;
        }
        int keep = bytes.length == 4 ? ipv4PrefixBits : ipv6PrefixBits;
        for (int bit = keep; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(1 << (7 - bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress();
        }
        catch (UnknownHostException impossible) {
            throw new IllegalStateException("an address of " + bytes.length + " bytes", impossible);
        }
    }
}
