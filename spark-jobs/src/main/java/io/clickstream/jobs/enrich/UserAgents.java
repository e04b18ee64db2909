package io.clickstream.jobs.enrich;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import nl.basjes.parse.useragent.UserAgent;
import nl.basjes.parse.useragent.UserAgentAnalyzer;

/**
 * User agent → device class, operating system, browser and whether it is a crawler, with YAUAA.
 * One analyzer per JVM (it takes seconds and a few hundred MB to build), shared by the tasks of
 * an executor; answers are cached, since a day's traffic has few distinct user agents.
 */
public final class UserAgents {
    /** What the enrichment keeps of a user agent; null fields where YAUAA cannot tell. */
    public record Parsed(String deviceClass, String osName, String browserName, boolean crawler) {}

    private static final Parsed NONE = new Parsed(null, null, null, false);
    private static final int CACHE_SIZE = 50_000;
    /** YAUAA's device and agent classes of software that is not a person's browser. */
    private static final Set<String> CRAWLER_CLASSES = Set.of("Robot", "Robot Mobile", "Robot Imitator", "Spy", "Hacker", "Cloud Application");
    private static final Map<String, Parsed> CACHE = new ConcurrentHashMap<>();
    private static volatile UserAgentAnalyzer analyzer;

    private UserAgents() {}

    public static Parsed parse(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return NONE;
        }
        Parsed cached = CACHE.get(userAgent);
        if (cached != null) {
            return cached;
        }
        Parsed parsed = analyze(userAgent);
        if (CACHE.size() >= CACHE_SIZE) {
            CACHE.clear();                       // crude, but bounded; a day rarely has this many distinct agents
        }
        CACHE.put(userAgent, parsed);
        return parsed;
    }

    private static Parsed analyze(String userAgent) {
        UserAgentAnalyzer shared = analyzer();
        UserAgent agent;
        // The analyzer is not thread-safe; tasks of one executor take turns (the cache above answers most calls).
        synchronized (shared) {
            agent = shared.parse(userAgent);
        }
        String deviceClass = known(agent.getValue(UserAgent.DEVICE_CLASS));
        String agentClass = known(agent.getValue(UserAgent.AGENT_CLASS));
        boolean crawler = CRAWLER_CLASSES.contains(deviceClass) || CRAWLER_CLASSES.contains(agentClass);
        return new Parsed(deviceClass, known(agent.getValue(UserAgent.OPERATING_SYSTEM_NAME)), known(agent.getValue(UserAgent.AGENT_NAME)),
                crawler);
    }

    private static UserAgentAnalyzer analyzer() {
        UserAgentAnalyzer current = analyzer;
        if (current == null) {
            synchronized (UserAgents.class) {
                current = analyzer;
                if (current == null) {
                    current = UserAgentAnalyzer.newBuilder()
                            .hideMatcherLoadStats()
                            .withoutCache()
                            .withField(UserAgent.DEVICE_CLASS)
                            .withField(UserAgent.AGENT_CLASS)
                            .withField(UserAgent.OPERATING_SYSTEM_NAME)
                            .withField(UserAgent.AGENT_NAME)
                            .immediateInitialization()
                            .build();
                    analyzer = current;
                }
            }
        }
        return current;
    }

    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("Unknown") || value.equals("??")
                ? null : value;
    }
}
