package io.clickstream.ingest.privacy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IP address literals from client input (an event's {@code ip}, a proxy's forwarding header, the connection's peer),
 * parsed strictly: an IPv4 dotted quad or an IPv6 literal, optionally in brackets. Never a DNS lookup (Java's
 * {@code InetAddress.getByName} resolves anything it does not take for a literal, such as {@code cafe.be}), and never
 * a legacy IPv4 form ({@code 1.2.3}, octal {@code 010.1.1.1}) that readers would take for another address.
 */
public final class IpLiteral {
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "\\." + OCTET + "\\." + OCTET + "\\." + OCTET);
    /** Hex digits and colons, possibly ending in a dotted quad ({@code ::ffff:192.0.2.1}); no zone, no host name. */
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:]{2,39}|[0-9a-fA-F:]{2,29}:" + IPV4.pattern());

    private IpLiteral() {}

    /**
     * The address's bytes (4 for IPv4, IPv4-mapped IPv6 included; 16 for IPv6), or null when {@code text} is not such
     * a literal.
     */
    public static byte[] parse(String text) {
        if (text == null) {
            return null;
        }
        String literal = text.trim();
        if (literal.length() > 2 && literal.charAt(0) == '[' && literal.charAt(literal.length() - 1) == ']') {
            literal = literal.substring(1, literal.length() - 1);
        }
        if (IPV4.matcher(literal).matches()) {
            String[] octets = literal.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                bytes[i] = (byte) Integer.parseInt(octets[i]);
            }
            return bytes;
        }
        if (literal.indexOf(':') >= 0 && IPV6.matcher(literal).matches()) {
            try {
                // A text with a colon is an IPv6 literal to getByName: checked, never resolved.
                return InetAddress.getByName(literal).getAddress();
            }
            catch (UnknownHostException notAnAddress) {
                return null;
            }
        }
        return null;
    }
}
