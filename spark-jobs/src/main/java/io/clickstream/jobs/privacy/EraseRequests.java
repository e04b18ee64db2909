package io.clickstream.jobs.privacy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The folder through which the erase job hands silver's part of an erasure to the streaming job, silver's writer
 * ({@code <lake>/_erase_requests}): {@code <pseudonym>.request} holds a request id, {@code <pseudonym>.done} the rows
 * removed per table and the id of the request they answer; {@code .streaming-job} is touched by the streaming job each
 * time it looks; {@code <pseudonym>.<epoch ms>.erased} stays after the erasure, named with the time until which the
 * student's records were erased (see {@link #erased}). File names hold the pseudonym (what silver stores), never a raw id.
 */
final class EraseRequests {
    private static final String REQUEST = ".request";
    private static final String DONE = ".done";
    private static final String ERASED = ".erased";
    private static final String ERASED_UNTIL = "erased_until";
    /** Touched by the streaming job each time it looks for requests: how the erase job knows it runs. */
    private static final String HEARTBEAT = ".streaming-job";
    private static final String ID = "request_id";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path folder;
    private final Configuration hadoop;

    EraseRequests(String folder, Configuration hadoop) {
        this.folder = new Path(folder);
        this.hadoop = hadoop;
    }

    /** A pending request of the student, with its id. */
    record Request(String pseudonym, String id) {}

    /** Leaves a request for the student and returns its id (a new request replaces an unanswered one). */
    String submit(String pseudonym) {
        String id = java.util.UUID.randomUUID().toString();
        write(new Path(folder, pseudonym + REQUEST), Map.of(ID, id));
        return id;
    }

    /** The requests not answered yet, by pseudonym. */
    List<Request> pending() {
        List<Request> requests = new ArrayList<>();
        bySuffix(REQUEST).forEach((pseudonym, request) -> requests.add(new Request(pseudonym, String.valueOf(request.get(ID)))));
        return requests;
    }

    /** Answers a request with the rows removed per table, then removes the request. */
    void answer(Request request, Map<String, Long> removed) {
        Map<String, Object> done = new LinkedHashMap<>();
        done.put(ID, request.id());
        done.putAll(removed);
        write(new Path(folder, request.pseudonym() + DONE), done);
        delete(new Path(folder, request.pseudonym() + REQUEST));
    }

    /** The rows removed per table in answer to request {@code id}, or null while it is unanswered. */
    Map<String, Long> answer(String pseudonym, String id) {
        Map<String, Object> done = read(new Path(folder, pseudonym + DONE));
        if (done == null || !id.equals(done.get(ID))) {
            return null;
        }
        Map<String, Long> removed = new LinkedHashMap<>();
        done.forEach((table, rows) -> {
            if (!table.equals(ID)) {
                removed.put(table, ((Number) rows).longValue());
            }
        });
        return removed;
    }

    /**
     * Notes, before the student's rows are deleted, that the student's records written to the topic until
     * {@code untilMillis} are erased; kept for good. The time is in the note's name, so the streaming job's look at the
     * notes every few seconds is one listing however many students were ever erased (no note is read); a newer erasure
     * of the student replaces the older note once its own is written.
     */
    void recordErased(String pseudonym, long untilMillis) {
        String note = pseudonym + "." + untilMillis + ERASED;
        write(new Path(folder, note), Map.of(ERASED_UNTIL, untilMillis));
        for (FileStatus file : list()) {
            String name = file.getPath().getName();
            // Only notes of earlier times: an erase job of the same student running at once may have noted a later one.
            if (name.startsWith(pseudonym + ".") && name.endsWith(ERASED) && !name.equals(note)) {
                Long until = noteTime(file);
                if (until != null && until < untilMillis) {
                    delete(file.getPath());
                }
            }
        }
    }

    /**
     * Every erased student's pseudonym, with the time (epoch ms) until which its records were erased: silver's writer
     * leaves out any record of the student stamped by Kafka until then that reaches it again (a batch run again after
     * a crash, the topic read again from an earlier offset, a replay). Notes written before the time was in their
     * names ({@code <pseudonym>.erased}) are read. Fails on a note it cannot understand rather than leave a student out.
     */
    Map<String, Long> erased() {
        Map<String, Long> erased = new java.util.TreeMap<>();
        for (FileStatus file : list()) {
            String name = file.getPath().getName();
            // Files being written are hidden (a leading dot) until renamed.
            if (name.startsWith(".") || !name.endsWith(ERASED)) {
                continue;
            }
            Long until = noteTime(file);
            if (until != null) {
                erased.merge(name.substring(0, name.indexOf('.')), until, Math::max);
            }
        }
        return erased;
    }

    /**
     * The time a note names ({@code <pseudonym>.<epoch ms>.erased}), or holds when written before the time was in the
     * name ({@code <pseudonym>.erased}); null when that note is gone.
     */
    private Long noteTime(FileStatus file) {
        String name = file.getPath().getName();
        String stem = name.substring(0, name.length() - ERASED.length());
        int dot = stem.indexOf('.');
        if (dot < 0) {
            Map<String, Object> content = read(file.getPath());
            return content == null ? null : ((Number) content.get(ERASED_UNTIL)).longValue();
        }
        try {
            return Long.parseLong(stem.substring(dot + 1));
        }
        catch (NumberFormatException e) {
            throw new IllegalStateException("the erasure note " + file.getPath() + " does not name a time: expected <pseudonym>.<epoch ms>" + ERASED, e);
        }
    }

    /** The content of each file named {@code <pseudonym><suffix>}, by pseudonym (in order); empty when there is no folder yet. */
    private Map<String, Map<String, Object>> bySuffix(String suffix) {
        Map<String, Map<String, Object>> contents = new java.util.TreeMap<>();
        for (FileStatus file : list()) {
            String name = file.getPath().getName();
            // Files being written are hidden (a leading dot) until renamed.
            if (name.endsWith(suffix) && !name.startsWith(".")) {
                Map<String, Object> content = read(file.getPath());
                if (content != null) {
                    contents.put(name.substring(0, name.length() - suffix.length()), content);
                }
            }
        }
        return contents;
    }

    /** The folder's files; none when there is no folder yet. */
    private FileStatus[] list() {
        try {
            return folder.getFileSystem(hadoop).listStatus(folder);
        }
        catch (FileNotFoundException none) {
            return new FileStatus[0];
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
    }

    /** Notes that silver's writer is looking at the requests now. */
    void heartbeat() {
        try {
            Path file = new Path(folder, HEARTBEAT);
            file.getFileSystem(hadoop).create(file, true).close();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write " + folder + "/" + HEARTBEAT, e);
        }
    }

    /** Milliseconds since silver's writer last looked at the requests; {@code Long.MAX_VALUE} when it never did. */
    long heartbeatAgeMillis() {
        try {
            Path file = new Path(folder, HEARTBEAT);
            return System.currentTimeMillis() - file.getFileSystem(hadoop).getFileStatus(file).getModificationTime();
        }
        catch (FileNotFoundException never) {
            return Long.MAX_VALUE;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + folder + "/" + HEARTBEAT, e);
        }
    }

    /** Removes the student's request and answer. */
    void clear(String pseudonym) {
        delete(new Path(folder, pseudonym + REQUEST));
        delete(new Path(folder, pseudonym + DONE));
    }

    private void write(Path file, Map<String, ?> content) {
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            // Written beside, then renamed: a reader never sees half a file.
            Path partial = new Path(folder, "." + file.getName() + ".partial");
            try (OutputStream out = fs.create(partial, true)) {
                MAPPER.writeValue(out, content);
            }
            fs.delete(file, false);
            if (!fs.rename(partial, file)) {
                throw new IOException("could not move " + partial + " to " + file);
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private Map<String, Object> read(Path file) {
        try (InputStream in = file.getFileSystem(hadoop).open(file)) {
            return MAPPER.readValue(in, new TypeReference<Map<String, Object>>() {});
        }
        catch (FileNotFoundException gone) {
            return null;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void delete(Path file) {
        try {
            file.getFileSystem(hadoop).delete(file, false);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
