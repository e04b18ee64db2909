package io.clickstream.bench;

import io.clickstream.jobs.lake.LocalDeltaLogStore;
import io.clickstream.jobs.lake.LocalFileSystems;
import io.clickstream.stack.Directories;
import io.delta.storage.HDFSLogStore;
import io.delta.storage.LogStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

/**
 * What Delta pays before every commit to silver: the listing of the table's log from its last checkpoint, once the
 * log holds the given days of commits at one a second (the stream's trigger), with Delta's own store for local paths
 * (HDFSLogStore: four files a commit with Hadoop's sidecars, every file's status read) and with ours
 * (LocalDeltaLogStore: three files a commit, names read, the status of the newest files only).
 *
 * <p>Usage: {@code bench/delta-log [--days N] [--listings N]} (1 day and 20 listings by default). The log folders are
 * built from empty files under {@code work/bench-delta-log} (a listing reads names and statuses, never contents).
 */
public final class DeltaLogBenchmark {
    private static final int COMMITS_PER_DAY = 86_400;
    private static final int CHECKPOINT_INTERVAL = 100;

    private DeltaLogBenchmark() {}

    public static void main(String[] args) throws Exception {
        double days = 1;
        int listings = 20;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--days" -> days = Double.parseDouble(args[++i]);
                case "--listings" -> listings = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: bench/delta-log [--days N] [--listings N]");
            }
        }
        int commits = (int) Math.round(days * COMMITS_PER_DAY);
        Path work = Path.of(System.getProperty("clickstream.home", ".")).resolve("work/bench-delta-log").toAbsolutePath();
        Directories.deleteRecursively(work);
        Configuration conf = new Configuration();
        conf.set("fs.file.impl", LocalFileSystems.Checksummed.class.getName());
        conf.set("fs.AbstractFileSystem.file.impl", LocalFileSystems.Fs.class.getName());

        System.out.printf("a log of %d commits (%.1f days at one a second), checkpointed every %d, listed %d times from the last checkpoint%n",
                commits, days, CHECKPOINT_INTERVAL, listings);
        Path deltas = log(work.resolve("delta-default/_delta_log"), commits, true);
        Path ours = log(work.resolve("ours/_delta_log"), commits, false);
        LogStore deltasStore = new HDFSLogStore(conf);
        LogStore ourStore = new LocalDeltaLogStore(conf);
        Result before = measure(deltasStore, deltas, commits, listings, conf);
        Result after = measure(ourStore, ours, commits, listings, conf);
        double cleanUpBefore = cleanUpCheck(deltasStore, deltas, conf);
        double cleanUpAfter = cleanUpCheck(ourStore, ours, conf);

        System.out.println();
        System.out.printf("machine: %d cores, %s; local disk%n", Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"));
        System.out.println("| log store | files in the log | files listed | first listing ms | p50 ms | p95 ms | max ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        before.print("Delta's own (HDFSLogStore, Hadoop sidecars)");
        after.print("ours (LocalDeltaLogStore)");
        System.out.printf("%nours / Delta's own, p50: %.1f %%%n", 100 * after.percentile(50) / before.percentile(50));
        System.out.printf("the clean-up's look at the log after a checkpoint (from version 0 to the first file not expired): Delta's own %.1f ms,"
                + " ours %.1f ms%n", cleanUpBefore, cleanUpAfter);
        Directories.deleteRecursively(work);
    }

    /** A log folder as a stream leaves it after {@code commits} commits: commit and checksum files, checkpoints, their sidecars. */
    private static Path log(Path folder, int commits, boolean commitSidecars) throws IOException {
        Files.createDirectories(folder);
        for (int version = 0; version < commits; version++) {
            String name = String.format("%020d", version);
            touch(folder.resolve(name + ".json"));
            touch(folder.resolve(name + ".crc"));
            touch(folder.resolve("." + name + ".crc.crc"));
            if (commitSidecars) {
                touch(folder.resolve("." + name + ".json.crc"));
            }
            if (version > 0 && version % CHECKPOINT_INTERVAL == 0) {
                touch(folder.resolve(name + ".checkpoint.parquet"));
                touch(folder.resolve("." + name + ".checkpoint.parquet.crc"));
            }
        }
        touch(folder.resolve("_last_checkpoint"));
        return folder;
    }

    private static void touch(Path file) throws IOException {
        Files.newOutputStream(file).close();
    }

    /** {@code first}: the first listing of the folder (ours reads its names then); {@code millis}: the listings after two more. */
    private record Result(long files, int listed, double first, double[] millis) {
        double percentile(double p) {
            double[] sorted = millis.clone();
            Arrays.sort(sorted);
            return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
        }

        void print(String store) {
            System.out.printf("| %s | %d | %d | %.1f | %.1f | %.1f | %.1f |%n", store, files, listed, first, percentile(50), percentile(95),
                    percentile(100));
        }
    }

    private static Result measure(LogStore store, Path folder, int commits, int listings, Configuration conf) throws IOException {
        long lastCheckpoint = (commits - 1) / CHECKPOINT_INTERVAL * CHECKPOINT_INTERVAL;
        org.apache.hadoop.fs.Path from = new org.apache.hadoop.fs.Path(folder.resolve(String.format("%020d", lastCheckpoint)).toUri());
        long files;
        try (Stream<Path> all = Files.list(folder)) {
            files = all.count();
        }
        double[] millis = new double[listings];
        double first = 0;
        int listed = 0;
        for (int i = -3; i < listings; i++) {                 // the first listing, then two to warm up, not counted
            long started = System.nanoTime();
            Iterator<FileStatus> statuses = store.listFrom(from, conf);
            int count = 0;
            while (statuses.hasNext()) {
                statuses.next();
                count++;
            }
            if (i == -3) {
                first = (System.nanoTime() - started) / 1e6;
            }
            if (i >= 0) {
                millis[i] = (System.nanoTime() - started) / 1e6;
                listed = count;
            }
        }
        return new Result(files, listed, first, millis);
    }

    /**
     * Delta's log clean-up, after every checkpoint: it lists the log from version 0 and stops at the first file younger
     * than its cut-off (a whole day before the retention), which, but for once a day, is the first file.
     */
    private static double cleanUpCheck(LogStore store, Path folder, Configuration conf) throws IOException {
        long started = System.nanoTime();
        Iterator<FileStatus> statuses = store.listFrom(new org.apache.hadoop.fs.Path(folder.resolve(String.format("%020d.", 0)).toUri()), conf);
        if (statuses.hasNext()) {
            statuses.next();
        }
        return (System.nanoTime() - started) / 1e6;
    }
}
