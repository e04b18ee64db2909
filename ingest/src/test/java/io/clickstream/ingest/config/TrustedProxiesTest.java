package io.clickstream.ingest.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    private final TrustedProxies behindTheLoadBalancers = TrustedProxies.parse(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"),
            TrustedProxies.DEFAULT_HEADER);

    @Test
    void withNoProxyConfiguredTheHeaderIsIgnored() {
        TrustedProxies none = TrustedProxies.parse(List.of(), "X-Forwarded-For");
        assertTrue(none.isEmpty());
        assertEquals("10.1.2.3", none.clientAddress("10.1.2.3", List.of("203.0.113.9")));
    }

    @Test
    void aRequestFromATrustedProxyStandsForTheClientItNames() {
        assertEquals("203.0.113.9", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("203.0.113.9")));
        // Through two proxies, each appending the address it got the request from.
        assertEquals("203.0.113.9", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("203.0.113.9, 192.168.1.7")));
        // Several header lines are one list, in order.
        assertEquals("203.0.113.9", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("203.0.113.9", "10.9.9.9")));
        assertEquals("2001:db8::5", behindTheLoadBalancers.clientAddress("[fd00::1]", List.of("2001:db8::5")));
    }

    @Test
    void whatAClientWroteIntoTheHeaderItselfIsNeverTaken() {
        // The client sent "X-Forwarded-For: 198.51.100.1"; its load balancer appended the address it saw.
        assertEquals("203.0.113.9", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("198.51.100.1, 203.0.113.9")));
        // A request straight from a client (not a trusted proxy): its header is not read at all.
        assertEquals("203.0.113.9", behindTheLoadBalancers.clientAddress("203.0.113.9", List.of("10.0.0.1")));
    }

    @Test
    void aHopThatIsNotAnAddressEndsTheWalk() {
        assertEquals("10.2.2.2", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("203.0.113.9, unknown, 10.2.2.2")));
        assertEquals("10.1.2.3", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("")));
        assertEquals("10.1.2.3", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of()));
        // Only proxies: the leftmost address.
        assertEquals("10.0.0.1", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("10.0.0.1, 10.0.0.2")));
        // Ports are not part of the address.
        assertEquals("203.0.113.9", behindTheLoadBalancers.clientAddress("10.1.2.3", List.of("203.0.113.9:51234")));
    }

    @Test
    void readsTheForParametersOfRfc7239() {
        TrustedProxies forwarded = TrustedProxies.parse(List.of("10.0.0.0/8"), "Forwarded");
        assertEquals("2001:db8:cafe::17", forwarded.clientAddress("10.1.2.3",
                List.of("for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.5.5.5;by=10.0.0.1")).replaceAll("[\\[\\]]", ""));
        assertEquals("192.0.2.60", forwarded.clientAddress("10.1.2.3", List.of("proto=http;for=192.0.2.60;by=203.0.113.43")));
        // An obfuscated identifier is not an address: the last address read stands.
        assertEquals("10.5.5.5", forwarded.clientAddress("10.1.2.3", List.of("for=_hidden, for=10.5.5.5")));
    }

    @Test
    void aConfiguredEntryThatIsNotAnAddressOrRangeStopsTheStart() {
        for (String bad : new String[] {"10.0.0.0/33", "fd00::/129", "lb.example.org", "10.0.0/8", "10.0.0.0/", "10.0.0.0/x"}) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> TrustedProxies.parse(List.of(bad), TrustedProxies.DEFAULT_HEADER), bad);
            assertTrue(error.getMessage().contains("INGEST_TRUSTED_PROXIES") && error.getMessage().contains(bad), error.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(List.of("10.0.0.0/8"), "X Forwarded: For"));
    }
}
