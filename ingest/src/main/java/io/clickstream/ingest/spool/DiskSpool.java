package io.clickstream.ingest.spool;

import io.clickstream.ingest.sink.SinkRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the broker could not take, on local disk until it can: append-only segment files, each
 * record with a CRC32C checksum, forced to disk before {@link #append} returns.
 *
 * <p>Record layout: {@code int magic, int topic length, topic, int key length (-1: null), key,
 * int value length, value, int crc} (the checksum covers everything before it). A crash in the
 * middle of an append leaves an incomplete last record; it was never acknowledged to a client,
 * so reading stops there. A segment with a damaged record before its end is moved to
 * {@code corrupt/} and reported, never deleted.
 *
 * <p>A segment holding records whose delivery had no clear outcome (a send that timed out, a replay
 * cut short) has a marker file beside it, {@code <segment>.doubt}, with the earliest time such a
 * record was sent: before replaying it, the replayer reads back what the broker got since then.
 */
public final class DiskSpool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiskSpool.class);
    private static final int MAGIC = 0x5C11C0DE;
    private static final String SUFFIX = ".spool";
    private static final String DOUBT_SUFFIX = ".doubt";

    /**
     * A closed segment, oldest first: what the replayer sends next. {@code inDoubtSince}, when
     * present, is the earliest time (epoch millis) a record of it was sent without a clear outcome.
     */
    public record Segment(Path file, List<SinkRecord> records, OptionalLong inDoubtSince) {}

    /** Thrown when an append would grow the spool beyond its bound. */
    public static final class SpoolFullException extends IOException {
        SpoolFullException(long maxBytes) {
            super("the local spool is full (" + maxBytes + " bytes)");
        }
    }

    private final Path directory;
    private final long maxBytes;
    private final long segmentBytes;
    private final TreeMap<Long, Path> closedSegments = new TreeMap<>();
    private long nextSequence;
    private FileChannel current;
    private Path currentFile;
    private long currentRecords;
    private long totalBytes;
    private long totalRecords;

    public DiskSpool(Path directory, long maxBytes, long segmentBytes) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path marker : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX + DOUBT_SUFFIX)).toList()) {
                if (Files.notExists(segmentOf(marker))) {
                    Files.delete(marker);
                }
            }
        }
        try (Stream<Path> files = Files.list(directory)) {
            for (Path unfinished : files.filter(f -> f.getFileName().toString().endsWith(DOUBT_SUFFIX + ".tmp")).toList()) {
                Files.delete(unfinished);      // a crash while a marker was written; the segment's records were not yet appended
            }
        }
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                long sequence = Long.parseLong(file.getFileName().toString().replace(SUFFIX, ""));
                List<SinkRecord> records = read(file);
                if (records.isEmpty()) {
                    Files.delete(file);
                    Files.deleteIfExists(markerOf(file));
                    continue;
                }
                closedSegments.put(sequence, file);
                totalBytes += Files.size(file);
                totalRecords += records.size();
                nextSequence = Math.max(nextSequence, sequence + 1);
            }
        }
        if (totalRecords > 0) {
            LOG.info("spool holds {} records from an earlier run; they are sent once the broker answers", totalRecords);
        }
    }

    /** Appends in order and forces the bytes to disk; only then is the caller allowed to answer success. */
    public synchronized void append(List<SinkRecord> records) throws IOException {
        append(records, OptionalLong.empty());
    }

    /**
     * Appends records that were sent at {@code sentAt} (epoch millis) without a clear outcome: the
     * broker may hold them already. Their segment is marked before the records are written.
     */
    public synchronized void appendInDoubt(List<SinkRecord> records, long sentAt) throws IOException {
        append(records, OptionalLong.of(sentAt));
    }

    /** Marks a segment about to be sent (again) at {@code sentAt}, keeping an earlier mark. */
    public synchronized Segment markInDoubt(Segment segment, long sentAt) throws IOException {
        long since = Math.min(sentAt, segment.inDoubtSince().orElse(Long.MAX_VALUE));
        if (since != segment.inDoubtSince().orElse(Long.MAX_VALUE)) {
            writeMarker(segment.file(), since);
        }
        return new Segment(segment.file(), segment.records(), OptionalLong.of(since));
    }

    private void append(List<SinkRecord> records, OptionalLong sentAt) throws IOException {
        ByteBuffer buffer = encode(records);
        if (totalBytes + buffer.remaining() > maxBytes) {
            throw new SpoolFullException(maxBytes);
        }
        if (current == null || current.size() >= segmentBytes) {
            roll();
        }
        if (sentAt.isPresent()) {
            OptionalLong marked = readMarker(currentFile);
            if (marked.isEmpty() || marked.getAsLong() > sentAt.getAsLong()) {
                writeMarker(currentFile, sentAt.getAsLong());
            }
        }
        int length = buffer.remaining();
        while (buffer.hasRemaining()) {
            current.write(buffer);
        }
        current.force(false);
        totalBytes += length;
        totalRecords += records.size();
        currentRecords += records.size();
    }

    /** The oldest segment; the segment being written is closed first when it is the only one. */
    public synchronized Optional<Segment> oldest() throws IOException {
        if (closedSegments.isEmpty() && currentRecords > 0) {
            closeCurrent();
        }
        if (closedSegments.isEmpty()) {
            return Optional.empty();
        }
        Path file = closedSegments.firstEntry().getValue();
        return Optional.of(new Segment(file, read(file), readMarker(file)));
    }

    /** Forgets a segment once every record of it was acknowledged by the broker. */
    public synchronized void delete(Segment segment) throws IOException {
        long size = Files.size(segment.file());
        Files.delete(segment.file());
        Files.deleteIfExists(markerOf(segment.file()));
        closedSegments.values().remove(segment.file());
        totalBytes -= size;
        totalRecords -= segment.records().size();
    }

    public synchronized long records() {
        return totalRecords;
    }

    public synchronized long bytes() {
        return totalBytes;
    }

    public synchronized boolean hasRoom() {
        return totalBytes < maxBytes;
    }

    public synchronized boolean isEmpty() {
        return totalRecords == 0;
    }

    @Override
    public synchronized void close() throws IOException {
        closeCurrent();
    }

    private static Path markerOf(Path segment) {
        return segment.resolveSibling(segment.getFileName() + DOUBT_SUFFIX);
    }

    private static Path segmentOf(Path marker) {
        String name = marker.getFileName().toString();
        return marker.resolveSibling(name.substring(0, name.length() - DOUBT_SUFFIX.length()));
    }

    private static OptionalLong readMarker(Path segment) throws IOException {
        Path marker = markerOf(segment);
        if (Files.notExists(marker)) {
            return OptionalLong.empty();
        }
        String text = Files.readString(marker, StandardCharsets.UTF_8).trim();
        try {
            return OptionalLong.of(Long.parseLong(text));
        }
        catch (NumberFormatException e) {
            // A crash while the marker was written: the whole segment is in doubt since any time.
            LOG.warn("doubt marker {} is unreadable ({}); the segment is checked against everything the broker holds", marker, text);
            return OptionalLong.of(0);
        }
    }

    /** Writes the marker through a temporary file, forced to disk, then moved into place. */
    private void writeMarker(Path segment, long since) throws IOException {
        Path marker = markerOf(segment);
        Path temporary = marker.resolveSibling(marker.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(Long.toString(since).getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        Files.move(temporary, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory();
    }

    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
        catch (IOException e) {
            LOG.debug("directory fsync not supported here: {}", e.getMessage());
        }
    }

    private void roll() throws IOException {
        closeCurrent();
        currentFile = directory.resolve(String.format("%020d%s", nextSequence++, SUFFIX));
        current = FileChannel.open(currentFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        currentRecords = 0;
        // The new file's directory entry must survive a crash too.
        forceDirectory();
    }

    private void closeCurrent() throws IOException {
        if (current == null) {
            return;
        }
        current.close();
        long sequence = Long.parseLong(currentFile.getFileName().toString().replace(SUFFIX, ""));
        if (currentRecords > 0) {
            closedSegments.put(sequence, currentFile);
        }
        else {
            Files.deleteIfExists(currentFile);
            Files.deleteIfExists(markerOf(currentFile));
        }
        current = null;
        currentFile = null;
        currentRecords = 0;
    }

    static ByteBuffer encode(List<SinkRecord> records) {
        int size = 0;
        List<byte[][]> parts = new ArrayList<>(records.size());
        for (SinkRecord record : records) {
            byte[] topic = record.topic().getBytes(StandardCharsets.UTF_8);
            byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
            parts.add(new byte[][] {topic, key, record.value()});
            size += 4 * 5 + topic.length + (key == null ? 0 : key.length) + record.value().length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        for (byte[][] part : parts) {
            int start = buffer.position();
            buffer.putInt(MAGIC).putInt(part[0].length).put(part[0]);
            buffer.putInt(part[1] == null ? -1 : part[1].length);
            if (part[1] != null) {
                buffer.put(part[1]);
            }
            buffer.putInt(part[2].length).put(part[2]);
            CRC32C crc = new CRC32C();
            crc.update(buffer.array(), start, buffer.position() - start);
            buffer.putInt((int) crc.getValue());
        }
        return buffer.flip();
    }

    /** The valid records of a segment, in order. */
    List<SinkRecord> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        List<SinkRecord> records = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.remaining() > 0) {
            int start = buffer.position();
            try {
                if (buffer.getInt() != MAGIC) {
                    throw new IOException("bad record marker");
                }
                String topic = new String(take(buffer, buffer.getInt()), StandardCharsets.UTF_8);
                int keyLength = buffer.getInt();
                String key = keyLength < 0 ? null : new String(take(buffer, keyLength), StandardCharsets.UTF_8);
                byte[] value = take(buffer, buffer.getInt());
                CRC32C crc = new CRC32C();
                crc.update(bytes, start, buffer.position() - start);
                if (buffer.getInt() != (int) crc.getValue()) {
                    throw new IOException("checksum mismatch");
                }
                records.add(new SinkRecord(topic, key, value));
            }
            catch (java.nio.BufferUnderflowException | NegativeArraySizeException | IllegalArgumentException | IOException e) {
                if (isTail(bytes, start)) {
                    LOG.warn("spool segment {} ends with an incomplete record (a crash while appending, never acknowledged); "
                            + "{} bytes ignored", file.getFileName(), bytes.length - start);
                }
                else {
                    Path corrupt = Files.createDirectories(directory.resolve("corrupt")).resolve(file.getFileName());
                    Files.copy(file, corrupt, StandardCopyOption.REPLACE_EXISTING);
                    LOG.error("spool segment {} is damaged at byte {} ({}); a copy is kept at {}; {} records before it are replayed",
                            file.getFileName(), start, e.getMessage(), corrupt, records.size());
                }
                break;
            }
        }
        return records;
    }

    /** True when no complete record marker follows {@code start}: the damage is an unfinished last append. */
    private static boolean isTail(byte[] bytes, int start) {
        ByteBuffer search = ByteBuffer.wrap(bytes);
        for (int i = start + 1; i + 4 <= bytes.length; i++) {
            if (search.getInt(i) == MAGIC) {
                return false;
            }
        }
        return true;
    }

    private static byte[] take(ByteBuffer buffer, int length) {
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return bytes;
    }
}
