package io.clickstream.ingest.config;

import io.clickstream.ingest.privacy.IpLiteral;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which client address a request stands for when ingest runs behind load balancers or reverse proxies
 * ({@code ingest.http.trusted-proxies} and {@code ingest.http.forwarded-header}). With no proxy configured, the
 * connection's peer is the client and forwarding headers are ignored: anybody can send one. With proxies configured
 * (addresses or CIDR ranges), a request from one of them is read the way nginx's {@code real_ip_recursive} reads it:
 * the forwarding header's addresses from the right (the hop nearest to ingest) to the left, skipping trusted proxies;
 * the first address that is not a trusted proxy is the client, so addresses a client wrote into the header itself
 * (left of what its first proxy appended) are never taken. An entry that is not an IP literal ({@code unknown}, an
 * obfuscated RFC 7239 identifier) ends the walk at the last address read.
 *
 * <p>The header is {@code X-Forwarded-For} by default (a comma-separated list, as AWS, Google Cloud and Azure load
 * balancers, nginx, HAProxy and Envoy send it; a single-address header such as {@code X-Real-IP} reads the same way)
 * or RFC 7239's {@code Forwarded}, whose {@code for=} parameters are read (quoted, bracketed IPv6 and ports allowed).
 * Whatever the source, the address is truncated before anything is stored ({@code IpTruncator}).
 */
public final class TrustedProxies {
    public static final String DEFAULT_HEADER = "X-Forwarded-For";
    private static final TrustedProxies NONE = new TrustedProxies(List.of(), DEFAULT_HEADER);

    private final List<Range> ranges;
    private final String header;
    private final boolean rfc7239;

    /** An address range: the network's bytes (4 or 16) and how many leading bits of an address must match them. */
    private record Range(byte[] network, int prefixBits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefixBits; bit++) {
                int mask = 1 << (7 - bit % 8);
                if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private TrustedProxies(List<Range> ranges, String header) {
        this.ranges = ranges;
        this.header = header;
        this.rfc7239 = header.equalsIgnoreCase("Forwarded");
    }

    /** No trusted proxy: the peer is the client. */
    public static TrustedProxies none() {
        return NONE;
    }

    /**
     * Reads the configured proxies ({@code 10.0.0.7}, {@code 10.0.0.0/8}, {@code fd00::/8}, {@code [::1]}) and the header
     * they forward the client's address in; an entry that is neither an address nor a range fails with the accepted forms.
     */
    public static TrustedProxies parse(List<String> configured, String header) {
        if (header == null || !header.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException("ingest.http.forwarded-header (INGEST_FORWARDED_HEADER): '" + header
                    + "' is not a header name; write X-Forwarded-For (the default), Forwarded (RFC 7239) or another header that names the client's address");
        }
        List<Range> ranges = new ArrayList<>();
        for (String entry : configured) {
            Range range = range(entry.trim());
            if (range == null) {
                throw new IllegalArgumentException("ingest.http.trusted-proxies (INGEST_TRUSTED_PROXIES): '" + entry + "' is not an IP address or"
                        + " range; write addresses such as 10.0.0.7 or 2001:db8::7, or CIDR ranges such as 10.0.0.0/8 or fd00::/8, separated by commas");
            }
            ranges.add(range);
        }
        return ranges.isEmpty() && header.equals(DEFAULT_HEADER) ? NONE : new TrustedProxies(List.copyOf(ranges), header);
    }

    private static Range range(String entry) {
        int slash = entry.indexOf('/');
        byte[] network = IpLiteral.parse(slash < 0 ? entry : entry.substring(0, slash));
        if (network == null) {
            return null;
        }
        if (slash < 0) {
            return new Range(network, network.length * 8);
        }
        String bits = entry.substring(slash + 1);
        if (!bits.matches("[0-9]{1,3}") || Integer.parseInt(bits) > network.length * 8) {
            return null;
        }
        return new Range(network, Integer.parseInt(bits));
    }

    /** The header the proxies name the client's address in. */
    public String header() {
        return header;
    }

    /** Whether no proxy is trusted (the peer is always the client). */
    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /**
     * The client's address for a request from {@code peer} that carried {@code headerValues} (every line of the
     * forwarding header, in order; empty when there is none): {@code peer} itself unless it is a trusted proxy.
     */
    public String clientAddress(String peer, List<String> headerValues) {
        if (ranges.isEmpty() || headerValues.isEmpty() || !trusted(IpLiteral.parse(peer))) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String value : headerValues) {
            for (String element : value.split(",")) {
                hops.add(rfc7239 ? forParameter(element) : element.trim());
            }
        }
        String client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            String hop = hops.get(i) == null ? null : withoutPort(hops.get(i));
            byte[] address = IpLiteral.parse(hop);
            if (address == null) {
                break;
            }
            client = hop;
            if (!trusted(address)) {
                break;
            }
        }
        return client;
    }

    private boolean trusted(byte[] address) {
        if (address == null) {
            return false;
        }
        for (Range range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** The {@code for=} value of one RFC 7239 forwarded-element ({@code for=192.0.2.60;proto=https}), unquoted; null without one. */
    private static String forParameter(String element) {
        for (String pair : element.split(";")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).trim().toLowerCase(Locale.ROOT).equals("for")) {
                String value = pair.substring(equals + 1).trim();
                return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
            }
        }
        return null;
    }

    /** {@code 192.0.2.60:4711} and {@code [2001:db8::17]:4711} without their ports; anything else as it is. */
    private static String withoutPort(String hop) {
        if (hop.startsWith("[")) {
            int end = hop.indexOf(']');
            return end > 0 ? hop.substring(0, end + 1) : hop;
        }
        int colon = hop.indexOf(':');
        return colon > 0 && hop.indexOf(':', colon + 1) < 0 ? hop.substring(0, colon) : hop;
    }

    @Override
    public String toString() {
        return "TrustedProxies[" + ranges.size() + " ranges, header " + header + "]";
    }
}
