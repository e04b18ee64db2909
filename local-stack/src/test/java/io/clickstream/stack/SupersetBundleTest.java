package io.clickstream.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

class SupersetBundleTest {
    private final Path home = Path.of(System.getProperty("clickstream.home"));

    @Test
    void theZipHasSupersetsExportLayoutAndPointsAtTheGivenTrino() throws Exception {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        int files = SupersetBundle.pack(home, "trino://analyst@trino.example:8443/delta", zip);
        Map<String, String> entries = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip.toByteArray()))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                entries.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        assertEquals(files, entries.size());
        assertTrue(entries.get("clickstream/metadata.yaml").contains("type: Dashboard"), entries.keySet().toString());
        assertTrue(entries.containsKey("clickstream/dashboards/Learning_engagement.yaml"));
        assertTrue(entries.containsKey("clickstream/dashboards/Live.yaml"));
        assertEquals(6, entries.keySet().stream().filter(name -> name.startsWith("clickstream/datasets/Clickstream_Trino/")).count());
        assertEquals(12, entries.keySet().stream().filter(name -> name.startsWith("clickstream/charts/")).count());
        String database = entries.get("clickstream/databases/Clickstream_Trino.yaml");
        assertTrue(database.contains("sqlalchemy_uri: trino://analyst@trino.example:8443/delta"), database);

        assertThrows(IllegalArgumentException.class, () -> SupersetBundle.pack(home, "postgresql://x/y", new ByteArrayOutputStream()));
    }
}
