package io.clickstream.ingest.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The browser origins allowed to call the collector across origins ({@code ingest.http.cors-origins}): exact origins
 * such as {@code https://lms.example.edu}, every subdomain of a domain as {@code https://*.example.edu}, or {@code *}
 * for any origin. Origins are compared in their serialised form (RFC 6454): scheme and host in lower case, a default
 * port (80 for http, 443 for https) left out, no trailing slash; a configured origin is written in that form when it
 * is read, so {@code HTTPS://LMS.example.edu:443/} allows what a browser sends as {@code https://lms.example.edu}.
 */
public final class AllowedOrigins {
    private static final AllowedOrigins NONE = new AllowedOrigins(false, Set.of(), List.of());

    private final boolean any;
    private final Set<String> exact;
    private final List<Subdomains> subdomainsOf;

    /** {@code scheme://*.domain[:port]} as {@code scheme://}, {@code .domain} and {@code :port} (empty for the default). */
    private record Subdomains(String scheme, String domain, String port) {}

    private AllowedOrigins(boolean any, Set<String> exact, List<Subdomains> subdomainsOf) {
        this.any = any;
        this.exact = exact;
        this.subdomainsOf = subdomainsOf;
    }

    /** Reads the configured origins; one that is not an origin fails with the accepted forms. */
    public static AllowedOrigins parse(List<String> configured) {
        boolean any = false;
        Set<String> exact = new java.util.LinkedHashSet<>();
        List<Subdomains> subdomainsOf = new ArrayList<>();
        for (String origin : configured) {
            if (origin.equals("*")) {
                any = true;
                continue;
            }
            String canonical = canonical(origin, true);
            if (canonical == null) {
                throw new IllegalArgumentException("ingest.http.cors-origins (INGEST_CORS_ORIGINS): '" + origin + "' is not an origin; write "
                        + "scheme://host[:port] (such as https://lms.example.edu), scheme://*.domain for its subdomains, or * for any origin");
            }
            int wildcard = canonical.indexOf("://*.");
            if (wildcard < 0) {
                exact.add(canonical);
            }
            else {
                String hostAndPort = canonical.substring(wildcard + 4);
                int port = hostAndPort.lastIndexOf(':');
                subdomainsOf.add(new Subdomains(canonical.substring(0, wildcard + 3),
                        port > 0 ? hostAndPort.substring(0, port) : hostAndPort, port > 0 ? hostAndPort.substring(port) : ""));
            }
        }
        return any || !exact.isEmpty() || !subdomainsOf.isEmpty() ? new AllowedOrigins(any, Set.copyOf(exact), List.copyOf(subdomainsOf)) : NONE;
    }

    /** Whether no origin is allowed: the collector then answers no cross-origin request as allowed. */
    public boolean isEmpty() {
        return this == NONE;
    }

    /** Whether every origin is allowed ({@code *}). */
    public boolean allowsAny() {
        return any;
    }

    /** Whether a request's {@code Origin} header names an allowed origin. */
    public boolean allows(String origin) {
        if (any) {
            return true;
        }
        if (origin == null || isEmpty()) {
            return false;
        }
        if (exact.contains(origin)) {
            return true;
        }
        String canonical = canonical(origin, false);
        if (canonical == null) {
            return false;
        }
        if (exact.contains(canonical)) {
            return true;
        }
        for (Subdomains pattern : subdomainsOf) {
            String scheme = pattern.scheme();
            String domain = pattern.domain();
            String port = pattern.port();
            if (canonical.startsWith(scheme) && canonical.endsWith(domain + port)) {
                int hostLength = canonical.length() - scheme.length() - port.length();
                String host = canonical.substring(scheme.length(), scheme.length() + hostLength);
                // A subdomain: at least one label before the domain, and no port hidden in what looked like the host.
                if (host.length() > domain.length() && host.indexOf(':') < 0 && host.indexOf(']') < 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * An origin in its serialised form, or null when the text is not one. {@code wildcard}: a host may start with
     * {@code *.} (configured origins only).
     */
    static String canonical(String origin, boolean wildcard) {
        int delimiter = origin.indexOf("://");
        if (delimiter <= 0) {
            return null;
        }
        String scheme = origin.substring(0, delimiter).toLowerCase(Locale.ROOT);
        if (!Character.isLetter(scheme.charAt(0)) || !scheme.chars().allMatch(c -> c < 128
                && (Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.'))) {
            return null;
        }
        String authority = origin.substring(delimiter + 3);
        if (authority.endsWith("/")) {
            authority = authority.substring(0, authority.length() - 1);
        }
        if (authority.isEmpty() || authority.chars().anyMatch(c -> c == '/' || c == '?' || c == '#' || c == '@' || c <= ' ')) {
            return null;
        }
        String host;
        String port = null;
        if (authority.startsWith("[")) {
            int end = authority.indexOf(']');
            if (end < 0) {
                return null;
            }
            host = authority.substring(0, end + 1);
            String rest = authority.substring(end + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return null;
                }
                port = rest.substring(1);
            }
        }
        else {
            int colon = authority.indexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            port = colon < 0 ? null : authority.substring(colon + 1);
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.isEmpty() || host.equals("*.")) {
            return null;
        }
        int stars = (int) host.chars().filter(c -> c == '*').count();
        if (stars > 0 && !(wildcard && stars == 1 && host.startsWith("*.") && host.length() > 2 && host.charAt(2) != '.')) {
            return null;
        }
        if (port != null) {
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int number = Integer.parseInt(port);
            if (number < 1 || number > 65535) {
                return null;
            }
            port = String.valueOf(number);
            if (scheme.equals("http") && number == 80 || scheme.equals("https") && number == 443) {
                port = null;
            }
        }
        return scheme + "://" + host + (port == null ? "" : ":" + port);
    }

    @Override
    public String toString() {
        List<String> all = new ArrayList<>();
        if (any) {
            all.add("*");
        }
        all.addAll(exact);
        subdomainsOf.forEach(pattern -> all.add(pattern.scheme() + "*" + pattern.domain() + pattern.port()));
        return all.toString();
    }
}
