package io.clickstream.ingest.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AllowedOriginsTest {
    @Test
    void configuredOriginsAreComparedInTheFormBrowsersSend() {
        AllowedOrigins origins = AllowedOrigins.parse(List.of("HTTPS://LMS.Example.edu:443/", "http://localhost:3000", "http://[::1]:80"));
        assertTrue(origins.allows("https://lms.example.edu"));
        assertTrue(origins.allows("https://LMS.example.edu:443"), "a request's origin is read the same way");
        assertTrue(origins.allows("http://localhost:3000"));
        assertTrue(origins.allows("http://[::1]"));
        assertFalse(origins.allows("http://lms.example.edu"), "another scheme is another origin");
        assertFalse(origins.allows("https://lms.example.edu:8443"), "another port is another origin");
        assertFalse(origins.allows("http://localhost:3001"));
        assertFalse(origins.allows("https://lms.example.edu.evil.example"));
        assertFalse(origins.allows("null"), "sandboxed pages and files are not an allowed origin");
        assertFalse(origins.allows(null));
        assertFalse(origins.allowsAny());
    }

    @Test
    void aWildcardAllowsSubdomainsOnTheSameSchemeAndPort() {
        AllowedOrigins origins = AllowedOrigins.parse(List.of("https://*.example.edu", "http://*.test.local:8080"));
        assertTrue(origins.allows("https://lms.example.edu"));
        assertTrue(origins.allows("https://a.b.example.edu"));
        assertFalse(origins.allows("https://example.edu"), "the domain itself is not a subdomain");
        assertFalse(origins.allows("https://badexample.edu"));
        assertFalse(origins.allows("http://lms.example.edu"));
        assertFalse(origins.allows("https://lms.example.edu:8443"));
        assertFalse(origins.allows("https://lms.example.edu.evil.example"));
        assertTrue(origins.allows("http://app.test.local:8080"));
        assertFalse(origins.allows("http://app.test.local"));
        assertFalse(origins.allows("http://app.test.local:80800"));
    }

    @Test
    void aStarAllowsAnyOriginAndNothingConfiguredAllowsNone() {
        AllowedOrigins any = AllowedOrigins.parse(List.of("*"));
        assertTrue(any.allowsAny());
        assertTrue(any.allows("https://anywhere.example"));
        AllowedOrigins none = AllowedOrigins.parse(List.of());
        assertTrue(none.isEmpty());
        assertFalse(none.allows("https://lms.example.edu"));
    }

    @Test
    void whatIsNotAnOriginIsRefusedWithTheFormsAccepted() {
        for (String bad : List.of("lms.example.edu", "https://lms.example.edu/path", "https://lms.example.edu?x=1", "https://user@lms.example.edu",
                "https://lms.example.edu:0", "https://lms.example.edu:99999", "https://lms.example.edu:port", "https://lms.*.edu", "https://*.*.edu",
                "https://*", "1https://lms.example.edu", "https://")) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> AllowedOrigins.parse(List.of(bad)), bad);
            assertTrue(error.getMessage().contains("'" + bad + "'") && error.getMessage().contains("scheme://host[:port]"), error.getMessage());
        }
    }

    @Test
    void canonicalFormDropsDefaultPortsAndTrailingSlashes() {
        assertEquals("https://lms.example.edu", AllowedOrigins.canonical("https://LMS.EXAMPLE.EDU:443/", false));
        assertEquals("http://lms.example.edu:8080", AllowedOrigins.canonical("http://lms.example.edu:08080", false));
        assertEquals("https://lms.example.edu:80", AllowedOrigins.canonical("https://lms.example.edu:80", false));
        assertNull(AllowedOrigins.canonical("https://*.example.edu", false), "a request's origin has no wildcard");
        assertEquals("https://*.example.edu", AllowedOrigins.canonical("https://*.Example.edu", true));
    }
}
