package io.clickstream.jobs.lake;

import io.delta.storage.HDFSLogStore;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Delta's log store for {@code file:} paths ({@code spark.delta.logStore.file.impl}, set by {@link Sparks#session}):
 * Delta's own {@link HDFSLogStore}, with two changes that keep a table committed to every second usable for weeks.
 *
 * <p>The streaming job commits to silver once a micro-batch, about 86 000 times a day, and Delta keeps a table's log for
 * its {@code delta.logRetentionDuration}. Before every transaction Delta lists the log from its last checkpoint, and
 * Hadoop's listing of a local folder reads every file's status before Delta keeps the few newer than the checkpoint:
 * with a day of commits in the log, 10 s per listing on this machine ({@code bench/delta-log}). Here the folder's names
 * are read once in a while, the commits since are found by name, and only the files at or after the name asked for
 * are looked at. And commits are written without Hadoop's {@code .crc} sidecar files (Delta writes its own checksum
 * files, and a commit is rewritten by nobody): three files a commit in the folder instead of four. Commits written
 * with a sidecar before are still read and verified as they were.
 *
 * <p>Object stores have their own log stores: S3A lists with {@code startAfter} ({@code delta.enableFastS3AListFrom},
 * also set by {@link Sparks#session}).
 */
public final class LocalDeltaLogStore extends HDFSLogStore {
    public LocalDeltaLogStore(Configuration conf) {
        super(conf);
    }

    /** A log folder's names are read again at least this often, whatever else changed in it. */
    static final long RELIST_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
    private static final String LAST_CHECKPOINT = "_last_checkpoint";
    private static final java.util.regex.Pattern VERSIONED = java.util.regex.Pattern.compile("^(\\d{20})(\\..*)?$");
    private static final java.util.regex.Pattern CHECKPOINT_VERSION = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*(\\d+)");
    private static final java.util.regex.Pattern COMMIT = java.util.regex.Pattern.compile("^(\\d{20})\\.json$");

    /**
     * A folder's names (sorted, without sidecars), the newest version among them with a commit file (-1: none), when
     * they were read, what {@code _last_checkpoint} said then, and the folder's identity (a table removed and created
     * again at the same place is another folder).
     */
    private record Names(String[] sorted, long newestCommit, long readAt, String lastCheckpoint, Object folder) {}

    private final Map<String, Names> names = new ConcurrentHashMap<>();

    /**
     * Every entry of {@code path}'s folder whose name is at or after {@code path}'s, sorted by name, as Delta's own
     * listing. The folder's names are read once and kept; later listings add the commits written since by looking up
     * each next version's files by name ({@code N.json}, {@code N.crc}, {@code N.checkpoint.parquet}) until a version
     * has no commit. The names are read again when {@code _last_checkpoint} announces a checkpoint of another kind
     * (in parts, or version 2, whose file names cannot be guessed), when the name asked for is not a version's, when
     * the newest commit they hold is gone or the folder is another one (the table was replaced), and every
     * {@link #RELIST_NANOS} in any case. Each file is looked at only when the caller reaches it; a kept name whose file
     * was removed since (the log's clean-up) is left out.
     */
    @Override
    public Iterator<FileStatus> listFrom(Path path, Configuration hadoopConf) throws IOException {
        FileSystem fs = path.getFileSystem(hadoopConf);
        Path folder = fs.makeQualified(path.getParent());
        File directory = new File(folder.toUri());
        String from = path.getName();
        java.util.regex.Matcher versioned = VERSIONED.matcher(from);
        Object identity;
        try {
            identity = java.nio.file.Files.readAttributes(directory.toPath(), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        }
        catch (java.nio.file.NoSuchFileException missing) {
            names.remove(directory.getPath());
            throw new FileNotFoundException("No such file or directory: " + folder);
        }
        String lastCheckpoint = lastCheckpoint(directory);
        Names known = names.get(directory.getPath());
        if (!versioned.matches() || known == null || !Objects.equals(known.folder(), identity) || System.nanoTime() - known.readAt() > RELIST_NANOS
                || !Objects.equals(known.lastCheckpoint(), lastCheckpoint) && !singleFileCheckpoint(lastCheckpoint)) {
            known = read(directory, lastCheckpoint, identity);
        }
        else if (known.newestCommit() >= 0 && !new File(directory, String.format("%020d.json", known.newestCommit())).exists()) {
            known = read(directory, lastCheckpoint, identity);    // the newest commit known is gone: the log was replaced
        }
        // Names found since the names were read; merged, in order, with the names read from the first at or after `from`.
        TreeSet<String> kept = new TreeSet<>();
        int first = Arrays.binarySearch(known.sorted(), from);
        if (versioned.matches()) {
            long fromVersion = Long.parseLong(versioned.group(1));
            // From the newest commit the names hold (its checksum and checkpoint files follow the commit): each next version.
            for (long version = Math.max(fromVersion, known.newestCommit()); ; version++) {
                String base = String.format("%020d", version);
                if (!new File(directory, base + ".json").exists()) {
                    break;
                }
                kept.add(base + ".json");
                addIfExists(kept, directory, base + ".crc");
                addIfExists(kept, directory, base + ".checkpoint.parquet");
            }
            if (lastCheckpoint != null) {
                kept.add(LAST_CHECKPOINT);                     // maybe written since the names were read
            }
            // The checkpoint _last_checkpoint names may have been written for an older version after the names were read.
            java.util.regex.Matcher checkpoint = lastCheckpoint == null ? null : CHECKPOINT_VERSION.matcher(lastCheckpoint);
            if (checkpoint != null && checkpoint.find() && Long.parseLong(checkpoint.group(1)) >= fromVersion) {
                addIfExists(kept, directory, String.format("%020d", Long.parseLong(checkpoint.group(1))) + ".checkpoint.parquet");
            }
        }
        return new Statuses(fs, folder, merged(known.sorted(), first >= 0 ? first : -first - 1, kept.iterator()));
    }

    /** {@code sorted} from index {@code first} on and {@code more} (sorted too), in order, each name once. */
    private static Iterator<String> merged(String[] sorted, int first, Iterator<String> more) {
        return new Iterator<>() {
            private int index = first;
            private String extra = more.hasNext() ? more.next() : null;

            @Override
            public boolean hasNext() {
                return index < sorted.length || extra != null;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                int order = index >= sorted.length ? 1 : extra == null ? -1 : sorted[index].compareTo(extra);
                String name = order <= 0 ? sorted[index++] : extra;
                if (order >= 0) {
                    extra = more.hasNext() ? more.next() : null;
                }
                return name;
            }
        };
    }

    /**
     * The files of {@code names}, each looked at when it is reached: Delta's clean-up lists the log from version 0 and
     * stops at the first file younger than its cut-off, so it looks at the expired files only (none but once a day),
     * not at every file the log keeps. A name whose file was removed since it was read (the clean-up) is left out.
     */
    private static final class Statuses implements Iterator<FileStatus> {
        private final FileSystem fs;
        private final Path folder;
        private final Iterator<String> names;
        private FileStatus next;

        Statuses(FileSystem fs, Path folder, Iterator<String> names) {
            this.fs = fs;
            this.folder = folder;
            this.names = names;
        }

        @Override
        public boolean hasNext() {
            while (next == null && names.hasNext()) {
                try {
                    next = fs.getFileStatus(new Path(folder, names.next()));
                }
                catch (FileNotFoundException removedSince) {
                    // as a listing taken now
                }
                catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return next != null;
        }

        @Override
        public FileStatus next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            FileStatus current = next;
            next = null;
            return current;
        }
    }

    private Names read(File directory, String lastCheckpoint, Object identity) throws IOException {
        long readAt = System.nanoTime();
        String[] all = directory.list();
        if (all == null) {
            names.remove(directory.getPath());
            throw new FileNotFoundException("No such file or directory: " + directory);
        }
        // Hadoop's checksum sidecars (".<name>.crc") are hidden from its listings; Delta never sees them.
        String[] sorted = Arrays.stream(all).filter(name -> !(name.startsWith(".") && name.endsWith(".crc"))).sorted().toArray(String[]::new);
        if (names.size() > 10_000) {
            names.clear();                                     // many short-lived tables (tests): keep the memory bounded
        }
        Names read = new Names(sorted, newestCommit(sorted), readAt, lastCheckpoint, identity);
        names.put(directory.getPath(), read);
        return read;
    }

    private static void addIfExists(TreeSet<String> kept, File directory, String name) {
        if (new File(directory, name).exists()) {
            kept.add(name);
        }
    }

    /** The newest version with a commit file among {@code sorted} names, or -1. */
    private static long newestCommit(String[] sorted) {
        for (int i = sorted.length - 1; i >= 0; i--) {
            java.util.regex.Matcher commit = COMMIT.matcher(sorted[i]);
            if (commit.matches()) {
                return Long.parseLong(commit.group(1));
            }
        }
        return -1;
    }

    /** The content of the folder's {@code _last_checkpoint}, or null when it has none. */
    private static String lastCheckpoint(File directory) throws IOException {
        try {
            return java.nio.file.Files.readString(new File(directory, LAST_CHECKPOINT).toPath());
        }
        catch (java.nio.file.NoSuchFileException none) {
            return null;
        }
    }

    /** Whether {@code _last_checkpoint} names a checkpoint of one classic file ({@code N.checkpoint.parquet}), found by name. */
    private static boolean singleFileCheckpoint(String lastCheckpoint) {
        return lastCheckpoint != null && !lastCheckpoint.contains("\"parts\"") && !lastCheckpoint.contains("\"v2Checkpoint\"");
    }

    /** As Delta's own write (a temporary file renamed without overwriting), through the local file system without sidecars. */
    @Override
    public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration hadoopConf) throws IOException {
        Configuration raw = new Configuration(hadoopConf);
        raw.setClass("fs.AbstractFileSystem.file.impl", LocalFileSystems.RawFs.class, org.apache.hadoop.fs.AbstractFileSystem.class);
        super.write(path, actions, overwrite, raw);
    }
}
