package io.clickstream.ingest.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class IpTruncatorTest {
    private final IpTruncator truncator = new IpTruncator(24, 48);

    @Test
    void keepsTheNetworkOfBothFamilies() {
        assertEquals("203.0.113.0", truncator.truncate("203.0.113.77"));
        assertEquals("203.0.113.0", truncator.truncate(" 203.0.113.77 "));
        assertEquals("2001:db8:1:0:0:0:0:0", truncator.truncate("2001:db8:1:2:3:4:5:6"));
        assertEquals("192.0.2.0", truncator.truncate("::ffff:192.0.2.33"), "IPv4-mapped IPv6 is IPv4");
        assertEquals("0.0.0.0", new IpTruncator(0, 0).truncate("198.51.100.1"));
    }

    @Test
    void readsTheBracketedIpv6OfTheConnectionsPeer() {
        // Jetty names an IPv6 peer in brackets; it was dropped (no ip, so no country) before the brackets were read.
        assertEquals("2001:db8:1:0:0:0:0:0", truncator.truncate("[2001:db8:1:2::9]"));
        assertEquals("0:0:0:0:0:0:0:0", truncator.truncate("[::1]"));
    }

    @Test
    void takesOnlyStrictLiteralsAndNeverResolvesANameFromClientInput() {
        // getByName would look these up in DNS (hex letters and dots) or read them as legacy IPv4 forms.
        for (String notAnAddress : new String[] {"cafe.be", "dead.beef.cafe", "face.bad", "1.2.3", "010.1.1.1", "1.2.3.256", "1.2.3.4.5",
                "localhost", "example.org", "fe80::1%eth0", "::g", "[1.2.3.4", "", "  ", "1.2.3.4:80", "1..2.3", ".1.2.3", "1.2.3.", "1234.1.1.1",
                "1.2.3.4x", "+1.2.3.4", "[]"}) {
            assertNull(truncator.truncate(notAnAddress), notAnAddress);
        }
        assertNull(truncator.truncate(null));
    }

    @Test
    void parsesEveryOctet() {
        assertArrayEquals(new byte[] {(byte) 255, (byte) 249, 10, 0}, IpLiteral.parse("255.249.10.0"));
        assertArrayEquals(new byte[] {(byte) 199, 100, 0, 9}, IpLiteral.parse("199.100.0.9"));
        assertArrayEquals(new byte[] {(byte) 255, (byte) 255, (byte) 255, (byte) 255}, IpLiteral.parse("255.255.255.255"));
        assertArrayEquals(new byte[] {0, 0, 0, 0}, IpLiteral.parse("0.0.0.0"));
        assertNull(IpLiteral.parse("199.100.00.9"));
    }
}
