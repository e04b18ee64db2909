package io.clickstream.ingest.privacy;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP address literals from client input (an event's {@code ip}, a proxy's forwarding header, the connection's peer),
 * parsed strictly: an IPv4 dotted quad or an IPv6 literal, optionally in brackets. Never a DNS lookup (Java's
 * {@code InetAddress.getByName} resolves anything it does not take for a literal, such as {@code cafe.be}), and never
 * a legacy IPv4 form ({@code 1.2.3}, octal {@code 010.1.1.1}) that readers would take for another address.
 */
public final class IpLiteral {
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
        if (literal.indexOf(':') < 0) {
            return ipv4(literal);
        }
        if (!ipv6Characters(literal)) {
            return null;
        }
        try {
            // A text with a colon is an IPv6 literal to getByName: checked, never resolved.
            return InetAddress.getByName(literal).getAddress();
        }
        catch (UnknownHostException notAnAddress) {
            return null;
        }
    }

    /** Four decimal octets of 0-255 separated by dots, without leading zeros; null otherwise. */
    private static byte[] ipv4(String text) {
        byte[] bytes = new byte[4];
        int octet = 0;
        int i = 0;
        int length = text.length();
        while (octet < 4) {
            int start = i;
            int value = 0;
            while (i < length && i - start < 3 && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                value = value * 10 + text.charAt(i) - '0';
                i++;
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && text.charAt(start) == '0')) {
                return null;
            }
            bytes[octet++] = (byte) value;
            if (octet < 4) {
                if (i >= length || text.charAt(i) != '.') {
                    return null;
                }
                i++;
            }
        }
        return i == length ? bytes : null;
    }

    /** Hex digits, colons and dots (an embedded IPv4 tail such as {@code ::ffff:192.0.2.1}) only: no zone, no host name. */
    private static boolean ipv6Characters(String text) {
        if (text.length() < 2 || text.length() > 45) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
                return false;
            }
        }
        return true;
    }
}
