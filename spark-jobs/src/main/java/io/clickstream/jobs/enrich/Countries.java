package io.clickstream.jobs.enrich;

import com.maxmind.db.Reader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * IP address → ISO 3166 country code, from DB-IP's country database (CC BY 4.0, see the README)
 * on the classpath at {@value #RESOURCE}. Ingest truncates addresses before they are stored
 * (203.0.113.77 becomes 203.0.113.0); a country needs no more than that.
 */
public final class Countries {
    static final String RESOURCE = "/geo/dbip-country.mmdb";
    private static volatile Reader reader;

    private Countries() {}

    /** The country code of {@code address}, or null for private, reserved, unknown or malformed addresses. */
    public static String of(String address) {
        if (address == null || address.isBlank() || !looksLikeAnAddress(address)) {
            return null;
        }
        try {
            // A literal never causes a name lookup: looksLikeAnAddress allows only digits, hex, dots and colons.
            InetAddress ip = InetAddress.getByName(address);
            @SuppressWarnings("unchecked")
            Map<String, Object> record = reader().get(ip, Map.class);
            if (record == null) {
                return null;
            }
            Object code = record.get("country_code");
            return code instanceof String text && !text.isBlank() ? text : null;
        }
        catch (UnknownHostException e) {
            return null;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read the IP-to-country database", e);
        }
    }

    private static boolean looksLikeAnAddress(String address) {
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (!(Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
                return false;
            }
        }
        return address.indexOf('.') > 0 || address.indexOf(':') >= 0;
    }

    private static Reader reader() throws IOException {
        Reader current = reader;
        if (current == null) {
            synchronized (Countries.class) {
                current = reader;
                if (current == null) {
                    try (InputStream database = Countries.class.getResourceAsStream(RESOURCE)) {
                        if (database == null) {
                            throw new IllegalStateException("the IP-to-country database " + RESOURCE + " is not on the classpath; build spark-jobs"
                                    + " with npm available, or set CLICKSTREAM_GEO_DB to a .mmdb file when building");
                        }
                        current = new Reader(database);
                    }
                    reader = current;
                }
            }
        }
        return current;
    }
}
