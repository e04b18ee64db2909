package io.clickstream.jobs.lake;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFs;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system, without a process per file. Without Hadoop's native library (which Maven's Hadoop
 * jars do not carry), {@link RawLocalFileSystem} runs {@code chmod} for every file and folder it creates with a
 * permission, and {@code readlink} for every rename through {@code FileContext}. Spark and Delta create dozens of
 * files in every micro-batch (data and checksum files, the Delta log, the stream's offsets and commits, the state
 * store), and on a machine of two cores each fork costs milliseconds of both. These classes do the same through
 * {@code java.nio}; everything else is Hadoop's own. {@link Sparks#session} installs them for {@code file:} paths;
 * object stores (S3A) are not touched.
 */
public final class LocalFileSystems {
    private LocalFileSystems() {}

    /** {@code fs.file.impl}: the checksummed local file system, as Hadoop's {@link LocalFileSystem}. */
    public static final class Checksummed extends LocalFileSystem {
        public Checksummed() {
            super(new Raw());
        }
    }

    /** The raw local file system with permissions set and links read through {@code java.nio}. */
    public static final class Raw extends RawLocalFileSystem {
        @Override
        public void setPermission(Path path, FsPermission permission) throws IOException {
            // rwx of user, group and others (a sticky bit, which the lake never asks for, is not kept).
            String symbols = permission.getUserAction().SYMBOL + permission.getGroupAction().SYMBOL + permission.getOtherAction().SYMBOL;
            Files.setPosixFilePermissions(pathToFile(path).toPath(), PosixFilePermissions.fromString(symbols));
        }

        @Override
        public FileStatus getFileLinkStatus(Path path) throws IOException {
            java.nio.file.Path file = pathToFile(path).toPath();
            if (!Files.isSymbolicLink(file)) {
                return getFileStatus(path);
            }
            FileStatus link = new FileStatus(0, false, 0, 0, Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis(),
                    makeQualified(path));
            link.setSymlink(getLinkTarget(path));
            return link;
        }

        @Override
        public Path getLinkTarget(Path path) throws IOException {
            return new Path(Files.readSymbolicLink(pathToFile(path).toPath()).toString());
        }
    }

    /** {@code fs.AbstractFileSystem.file.impl}: the local file system as {@code FileContext} sees it, checksummed as Hadoop's LocalFs. */
    public static final class Fs extends ChecksumFs {
        public Fs(URI uri, Configuration conf) throws IOException, URISyntaxException {
            super(new RawFs(uri, conf));
        }
    }

    /** The raw local file system as {@code FileContext} sees it, without checksum sidecars (see {@link LocalDeltaLogStore}). */
    public static final class RawFs extends DelegateToFileSystem {
        public RawFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
            super(uri, new Raw(), conf, "file", false);
        }

        @Override
        public boolean isValidName(String src) {
            return true;                                      // as Hadoop's RawLocalFs: any name the local system takes
        }
    }
}
