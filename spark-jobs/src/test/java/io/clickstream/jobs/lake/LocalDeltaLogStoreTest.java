package io.clickstream.jobs.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.SharedSpark;
import io.delta.storage.HDFSLogStore;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delta's log on local disks: listed by name, written without sidecars, read and committed to as with Delta's own store. */
class LocalDeltaLogStoreTest {
    private final SparkSession spark = SharedSpark.session();
    private final Configuration conf = spark.sparkContext().hadoopConfiguration();

    @TempDir
    java.nio.file.Path dir;

    @Test
    void listsWhatDeltasOwnStoreListsFromTheNameAsked() throws Exception {
        java.nio.file.Path log = Files.createDirectories(dir.resolve("_delta_log"));
        for (String name : List.of("00000000000000000009.json", "00000000000000000010.checkpoint.parquet", "00000000000000000010.json",
                "00000000000000000010.crc", ".00000000000000000010.json.crc", "00000000000000000011.json", "_last_checkpoint")) {
            Files.writeString(log.resolve(name), name);
        }
        Files.createDirectories(log.resolve("_sidecars"));
        Path from = new Path(log.resolve("00000000000000000010").toUri());

        List<FileStatus> ours = list(new LocalDeltaLogStore(conf).listFrom(from, conf));
        List<FileStatus> deltas = list(new HDFSLogStore(conf).listFrom(from, conf));

        assertEquals(List.of("00000000000000000010.checkpoint.parquet", "00000000000000000010.crc", "00000000000000000010.json",
                "00000000000000000011.json", "_last_checkpoint", "_sidecars"), names(ours));
        assertEquals(names(deltas), names(ours));
        for (int i = 0; i < ours.size(); i++) {
            assertEquals(deltas.get(i).getPath(), ours.get(i).getPath());
            assertEquals(deltas.get(i).getLen(), ours.get(i).getLen());
            assertEquals(deltas.get(i).getModificationTime(), ours.get(i).getModificationTime());
            assertEquals(deltas.get(i).isDirectory(), ours.get(i).isDirectory());
        }
        assertThrows(java.io.FileNotFoundException.class,
                () -> new LocalDeltaLogStore(conf).listFrom(new Path(dir.resolve("missing/00000000000000000000").toUri()), conf));
    }

    @Test
    void listsWhatDeltasOwnStoreListsAsOtherWritersCommitCheckpointAndCleanUp() throws Exception {
        java.nio.file.Path log = Files.createDirectories(dir.resolve("_delta_log"));
        LocalDeltaLogStore store = new LocalDeltaLogStore(conf);
        touch(log, "00000000000000000000.json", "00000000000000000000.crc", "00000000000000000001.json", "00000000000000000002.json");
        assertSameListing(store, log, 0);

        // Commits of other writers after the names were read: found by name, with their checksum and checkpoint files.
        touch(log, "00000000000000000002.crc", "00000000000000000003.json", "00000000000000000003.crc", "00000000000000000004.json",
                "00000000000000000004.checkpoint.parquet");
        assertSameListing(store, log, 0);
        assertSameListing(store, log, 3);
        // A classic checkpoint of an older version written late, announced by _last_checkpoint.
        touch(log, "00000000000000000005.json", "00000000000000000006.json");
        assertSameListing(store, log, 4);
        touch(log, "00000000000000000005.checkpoint.parquet");
        Files.writeString(log.resolve("_last_checkpoint"), "{\"version\":5,\"size\":3,\"sizeInBytes\":100}");
        assertSameListing(store, log, 5);
        // A checkpoint in parts cannot be found by name: announced, the folder's names are read again.
        touch(log, "00000000000000000007.json", "00000000000000000007.checkpoint.0000000001.0000000002.parquet",
                "00000000000000000007.checkpoint.0000000002.0000000002.parquet");
        Files.writeString(log.resolve("_last_checkpoint"), "{\"version\":7,\"size\":3,\"parts\":2}");
        assertSameListing(store, log, 7);
        // The log's clean-up removes old files, a rare one removes a listed file: neither is listed afterwards.
        Files.delete(log.resolve("00000000000000000000.json"));
        Files.delete(log.resolve("00000000000000000006.json"));
        assertSameListing(store, log, 0);
        assertSameListing(store, log, 5);
        // A table removed and created again at the same place: another folder, whatever the names kept.
        try (Stream<java.nio.file.Path> files = Files.list(log)) {
            for (java.nio.file.Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(log);
        Files.createDirectories(log);
        touch(log, "00000000000000000000.json", "00000000000000000000.checkpoint.parquet", "00000000000000000001.json");
        assertSameListing(store, log, 0);
    }

    @Test
    void looksAtEachFileOnlyWhenTheListingReachesIt() throws Exception {
        java.nio.file.Path log = Files.createDirectories(dir.resolve("_delta_log"));
        touch(log, "00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json");
        Iterator<FileStatus> statuses = new LocalDeltaLogStore(conf).listFrom(new Path(log.resolve("00000000000000000000.").toUri()), conf);

        assertEquals("00000000000000000000.json", statuses.next().getPath().getName());
        // Delta's clean-up stops at the first file it keeps: the files after it are never looked at. One removed
        // meanwhile is left out, as a listing taken now would.
        Files.delete(log.resolve("00000000000000000001.json"));
        assertEquals(List.of("00000000000000000002.json"), names(list(statuses)));
    }

    private void assertSameListing(LocalDeltaLogStore store, java.nio.file.Path log, long version) throws Exception {
        Path from = new Path(log.resolve(String.format("%020d.", version)).toUri());
        assertEquals(names(list(new HDFSLogStore(conf).listFrom(from, conf))), names(list(store.listFrom(from, conf))), "from version " + version);
    }

    private static void touch(java.nio.file.Path folder, String... names) throws Exception {
        for (String name : names) {
            Files.writeString(folder.resolve(name), name);
        }
    }

    @Test
    void writesACommitOnceWithoutAChecksumSidecar() throws Exception {
        java.nio.file.Path log = Files.createDirectories(dir.resolve("_delta_log"));
        Path commit = new Path(log.resolve("00000000000000000000.json").toUri());
        LocalDeltaLogStore store = new LocalDeltaLogStore(conf);

        store.write(commit, List.of("{\"a\":1}", "{\"b\":2}").iterator(), false, conf);

        assertEquals("{\"a\":1}\n{\"b\":2}\n", Files.readString(log.resolve("00000000000000000000.json")));
        try (Stream<java.nio.file.Path> files = Files.list(log)) {
            assertEquals(List.of("00000000000000000000.json"), files.map(file -> file.getFileName().toString()).toList(), "no sidecar, no temp file");
        }
        // A commit is put if absent: a second writer of the same version fails, the first one's commit stays.
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> store.write(commit, List.of("{\"c\":3}").iterator(), false, conf));
        assertEquals("{\"a\":1}\n{\"b\":2}\n", Files.readString(log.resolve("00000000000000000000.json")));
    }

    @Test
    void sparkSessionsKeepDeltaTablesThroughIt() throws Exception {
        String table = dir.resolve("events").toString();
        for (int i = 0; i < 3; i++) {
            spark.range(i * 10, i * 10 + 10).toDF("n").write().format("delta").mode(SaveMode.Append).save(table);
        }

        assertEquals(30, spark.read().format("delta").load(table).count());
        assertEquals(3, DeltaTable.forPath(spark, table).history().count());
        try (Stream<java.nio.file.Path> files = Files.list(dir.resolve("events/_delta_log"))) {
            List<String> names = files.map(file -> file.getFileName().toString()).toList();
            // Delta's own checksum files (N.crc) are written by Spark's checkpoint file manager, which keeps its sidecar.
            assertFalse(names.stream().anyMatch(name -> name.startsWith(".") && name.endsWith(".json.crc")), "no sidecars of commits: " + names);
            assertTrue(names.contains("00000000000000000002.json"), names.toString());
        }
        // Silver's log is kept for VACUUM's retention, not Delta's 30 days.
        Tables.createIfNotExists(spark, table, spark.read().format("delta").load(table).schema(), current -> Tables.silverProperties(java.time.Duration.ofDays(8)),
                "a test table");
        Map<String, String> properties = DeltaTable.forPath(spark, table).detail().select("properties").first().getJavaMap(0);
        assertEquals("interval 192 hours", properties.get("delta.logRetentionDuration"));
        assertEquals(java.time.Duration.ofHours(192), Tables.duration(properties.get("delta.logRetentionDuration")));
        assertEquals(java.time.Duration.ofDays(7), Tables.duration("7 days"));
    }

    private static List<FileStatus> list(Iterator<FileStatus> statuses) {
        List<FileStatus> list = new ArrayList<>();
        statuses.forEachRemaining(list::add);
        return list;
    }

    private static List<String> names(List<FileStatus> statuses) {
        return statuses.stream().map(status -> status.getPath().getName()).toList();
    }
}
