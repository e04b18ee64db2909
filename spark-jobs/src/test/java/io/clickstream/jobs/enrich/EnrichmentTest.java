package io.clickstream.jobs.enrich;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The real YAUAA analyzer and the real DB-IP database the build fetched. */
class EnrichmentTest {
    private static final String IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            + " Version/17.4 Mobile/15E148 Safari/604.1";
    private static final String WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
    private static final String GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    @Test
    void userAgentsBecomeDeviceOsAndBrowserAndCrawlersAreKnown() {
        UserAgents.Parsed phone = UserAgents.parse(IPHONE);
        assertEquals("Phone", phone.deviceClass());
        assertEquals("iOS", phone.osName());
        assertEquals("Safari", phone.browserName());
        assertFalse(phone.crawler());

        UserAgents.Parsed desktop = UserAgents.parse(WINDOWS_FIREFOX);
        assertEquals("Desktop", desktop.deviceClass());
        assertEquals("Firefox", desktop.browserName());
        assertFalse(desktop.crawler());

        assertTrue(UserAgents.parse(GOOGLEBOT).crawler());
        assertNull(UserAgents.parse(null).deviceClass());
        assertEquals(phone, UserAgents.parse(IPHONE), "the cached answer is the same");
    }

    @Test
    void truncatedAddressesStillNameTheirCountry() {
        assertEquals("US", Countries.of("8.8.8.0"));              // a public resolver's /24
        assertEquals("DE", Countries.of("2a01:4f8::"));           // a German hosting block (IPv6, truncated)
        assertNull(Countries.of("10.1.2.0"), "private");
        assertNull(Countries.of("127.0.0.0"), "loopback");
        assertNull(Countries.of("not-an-address.example"), "never a name lookup");
        assertNull(Countries.of(null));
    }
}
