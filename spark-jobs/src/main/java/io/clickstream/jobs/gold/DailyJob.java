package io.clickstream.jobs.gold;

import java.time.LocalDate;

/** A gold job that rebuilds exactly one UTC day of its tables; running it twice leaves the same tables. */
public interface DailyJob {
    /** The name on the command line, such as {@code sessions}. */
    String name();

    /** Rebuilds the day and returns a one-line summary of what it wrote. */
    String run(LocalDate day);
}
