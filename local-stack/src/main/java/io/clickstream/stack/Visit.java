package io.clickstream.stack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * One student's visit to a course, the simulated traffic's unit: the funnel course page, chapter
 * (scrolls, a time-spent heartbeat), its video, its quiz, a search now and then, and on to the
 * next chapter, dropping off at each step with some probability. The steps are planned when the
 * visit begins; each event is stamped with the time it is taken at ({@link #next}).
 *
 * <p>Both traffic sources send visits: {@link TrafficGenerator} (the demo's and the benchmarks'
 * events, spread over the last hours) and {@link LiveSimulator} (a crowd acting now).
 */
final class Visit {
    private static final List<String> COURSES = List.of("algebra", "biology", "world-history", "physics", "literature", "chemistry");
    private static final List<String> SEARCHES = List.of("polynomial", "photosynthesis", "newton laws", "french revolution", "sonnet",
            "covalent bond", "quadratic formula", "cell division");
    private static final List<String> DEVICES = List.of("desktop", "desktop", "desktop", "mobile", "mobile", "tablet");
    private static final List<String> BROWSERS = List.of("Chrome", "Chrome", "Firefox", "Safari", "Edge");

    private record Step(String eventName, String page, ObjectNode metadata) {}

    private final ObjectMapper mapper;
    private final Random random;
    private final String studentId;
    private final String session = UUID.randomUUID().toString();
    private final String device;
    private final String browser;
    private final String course;
    private final Deque<Step> steps = new ArrayDeque<>();
    private String previousPage;

    Visit(ObjectMapper mapper, Random random, String studentId) {
        this.mapper = mapper;
        this.random = random;
        this.studentId = studentId;
        this.device = DEVICES.get(random.nextInt(DEVICES.size()));
        this.browser = BROWSERS.get(random.nextInt(BROWSERS.size()));
        this.course = COURSES.get(random.nextInt(COURSES.size()));
        plan();
    }

    /** The page of the visit's course. */
    String coursePage() {
        return "/courses/" + course;
    }

    /** True when every planned step was taken. */
    boolean done() {
        return steps.isEmpty();
    }

    /** The next step's event, stamped {@code at}; null when the visit is done. */
    ObjectNode next(Instant at) {
        Step step = steps.poll();
        return step == null ? null : event(step.eventName(), step.page(), step.metadata(), at);
    }

    /** An event of this visit's student and session outside the plan (a bot's click, say). */
    ObjectNode event(String eventName, String page, ObjectNode metadata, Instant at) {
        ObjectNode event = mapper.createObjectNode()
                .put("event_id", UUID.randomUUID().toString())
                .put("student_id", studentId)
                .put("event_name", eventName)
                .put("page_url", page)
                .put("session_id", session)
                .put("device_type", device)
                .put("browser", browser)
                .put("timestamp", at.truncatedTo(ChronoUnit.MILLIS).toString());
        int chapterAt = page.indexOf("/chapter-");
        if (chapterAt > 0) {
            int end = page.indexOf('/', chapterAt + 1);
            event.put("chapter_id", course + "-ch" + page.substring(chapterAt + "/chapter-".length(), end < 0 ? page.length() : end));
        }
        if (eventName.equals("page_view")) {
            if (previousPage != null) {
                event.put("referrer", previousPage);
            }
            previousPage = page;
        }
        if (metadata != null) {
            event.set("metadata", metadata);
        }
        return event;
    }

    /** The funnel, with drop-offs: course page, then chapters until the student leaves. */
    private void plan() {
        step("page_view", "/courses/" + course, null);
        int chapter = 1 + random.nextInt(8);
        while (random.nextInt(100) >= 20) {                 // else left on the course (or the last chapter's) page
            String page = "/courses/" + course + "/chapter-" + chapter;
            step("page_view", page, null);
            for (int depth : new int[] {25, 50, 75, 100}) {
                if (random.nextInt(100) >= 85) {
                    break;
                }
                step("scroll", page, metadata("scroll_depth", depth));
            }
            step("heartbeat", page, metadata("duration", 30));
            if (random.nextInt(100) < 60) {
                step("video_play", page, metadata("duration", 0));
                if (random.nextInt(100) < 35) {
                    step("video_pause", page, metadata("duration", 40 + random.nextInt(200)));
                }
                if (random.nextInt(100) < 70) {
                    step("video_complete", page, metadata("duration", 300 + random.nextInt(300)));
                }
            }
            if (random.nextInt(100) < 45) {
                step("quiz_start", page + "/quiz", null);
                for (int question = 1; question <= 3; question++) {
                    step("quiz_answer", page + "/quiz", metadata("question", question));
                }
                if (random.nextInt(100) < 80) {
                    step("quiz_submit", page + "/quiz", metadata("score", random.nextInt(101)));
                }
            }
            if (random.nextInt(100) < 15) {
                step("search", "/search", mapper.createObjectNode().put("query", SEARCHES.get(random.nextInt(SEARCHES.size()))));
            }
            if (random.nextInt(100) >= 40) {
                return;
            }
            step("click", page, mapper.createObjectNode().put("element", "next-chapter"));
            chapter++;
        }
    }

    private ObjectNode metadata(String key, int value) {
        return mapper.createObjectNode().put(key, value);
    }

    private void step(String eventName, String page, ObjectNode metadata) {
        steps.add(new Step(eventName, page, metadata));
    }
}
