package io.clickstream.jobs.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clickstream.jobs.SharedSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local file system Spark sessions use: Hadoop's behaviour, permissions and links through java.nio. */
class LocalFileSystemsTest {
    private final Configuration conf = SharedSpark.session().sparkContext().hadoopConfiguration();

    @TempDir
    java.nio.file.Path dir;

    @Test
    void sparkSessionsWriteLocalFilesThroughItWithThePermissionsAsked() throws Exception {
        FileSystem fs = new Path(dir.toUri()).getFileSystem(conf);
        assertInstanceOf(LocalFileSystems.Checksummed.class, fs);
        Path file = new Path(dir.resolve("a/b/data.txt").toUri());
        try (FSDataOutputStream out = fs.create(file, new FsPermission((short) 0640), true, 4096, (short) 1, 1 << 20, null)) {
            out.write("hello".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b/data.txt"))));
        assertTrue(Files.exists(dir.resolve("a/b/.data.txt.crc")), "checksummed as Hadoop's LocalFileSystem");
        assertEquals(5, fs.getFileStatus(file).getLen());
    }

    @Test
    void fileContextCreatesRenamesAndReadsLinksAsHadoopDoes() throws Exception {
        FileContext context = FileContext.getFileContext(dir.toUri(), conf);
        Path temp = new Path(dir.resolve("offsets/.1.tmp").toUri());
        try (FSDataOutputStream out = context.create(temp, java.util.EnumSet.of(org.apache.hadoop.fs.CreateFlag.CREATE),
                Options.CreateOpts.createParent())) {
            out.write("v1".getBytes(StandardCharsets.UTF_8));
        }
        context.rename(temp, new Path(dir.resolve("offsets/1").toUri()), Options.Rename.OVERWRITE);
        assertEquals("v1", Files.readString(dir.resolve("offsets/1")));

        Files.createSymbolicLink(dir.resolve("latest"), dir.resolve("offsets/1"));
        FileStatus link = context.getFileLinkStatus(new Path(dir.resolve("latest").toUri()));
        assertTrue(link.isSymlink());
        assertEquals(dir.resolve("offsets/1").toString(), link.getSymlink().toUri().getPath());
        assertEquals(2, context.getFileStatus(new Path(dir.resolve("latest").toUri())).getLen(), "a link's status follows it");
    }
}
