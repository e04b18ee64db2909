package io.clickstream.jobs.lake;

import io.delta.storage.HDFSLogStore;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
 * Hadoop's listing of a local folder reads every file's status (two {@code stat} calls each) before Delta keeps the few
 * newer than the checkpoint: a day of commits took a second per listing on this machine, a month half a minute. Here the
 * listing reads the folder's names, which takes a fraction of that, and the status of the files at or after the name
 * asked for only. And commits are written without Hadoop's {@code .crc} sidecar files (Delta writes its own checksum
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

    /** Every entry of {@code path}'s folder whose name is at or after {@code path}'s, sorted by name, as Delta's own listing. */
    @Override
    public Iterator<FileStatus> listFrom(Path path, Configuration hadoopConf) throws IOException {
        FileSystem fs = path.getFileSystem(hadoopConf);
        Path folder = fs.makeQualified(path.getParent());
        String[] names = new File(folder.toUri()).list();
        if (names == null) {
            throw new FileNotFoundException("No such file or directory: " + folder);
        }
        String from = path.getName();
        List<String> kept = new ArrayList<>();
        for (String name : names) {
            // Hadoop's checksum sidecars (".<name>.crc") are hidden from its listings; Delta never sees them.
            if (name.compareTo(from) >= 0 && !(name.startsWith(".") && name.endsWith(".crc"))) {
                kept.add(name);
            }
        }
        kept.sort(null);
        List<FileStatus> statuses = new ArrayList<>(kept.size());
        for (String name : kept) {
            try {
                statuses.add(fs.getFileStatus(new Path(folder, name)));
            }
            catch (FileNotFoundException removedSince) {
                // Removed since the names were read (the log's clean-up): as a listing taken a moment later.
            }
        }
        return statuses.iterator();
    }

    /** As Delta's own write (a temporary file renamed without overwriting), through the local file system without sidecars. */
    @Override
    public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration hadoopConf) throws IOException {
        Configuration raw = new Configuration(hadoopConf);
        raw.setClass("fs.AbstractFileSystem.file.impl", LocalFileSystems.RawFs.class, org.apache.hadoop.fs.AbstractFileSystem.class);
        super.write(path, actions, overwrite, raw);
    }
}
