package io.clickstream.jobs.gold;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.lake.Sparks;
import java.io.File;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/**
 * One command for every gold job, for a day or a range (a backfill), with a progress line per job
 * and day: {@code sessions 2026-11-20: 57 sessions, 2 implausible (quarantined)}.
 *
 * <p>How to run: {@code bin/clickstream job sessions --date 2026-11-20 [--to 2026-11-22] [--config FILE]};
 * {@code job gold ...} runs every gold job in dependency order for each day.
 */
public final class GoldCli {
    /** Every gold job, in dependency order. */
    static final Map<String, Function<GoldContext, DailyJob>> JOBS = new LinkedHashMap<>();

    static {
        JOBS.put("sessions", SessionsJob::new);
        JOBS.put("daily-metrics", DailyMetricsJob::new);
        JOBS.put("hourly-metrics", HourlyMetricsJob::new);
        JOBS.put("chapter-engagement", ChapterEngagementJob::new);
        JOBS.put("funnels", FunnelsJob::new);
        JOBS.put("student-features", StudentFeaturesJob::new);
        JOBS.put("anomalies", AnomaliesJob::new);
        JOBS.put("data-quality", DataQualityJob::new);
    }

    /** Jobs that are not part of the gold build ({@code job gold}) but run per day the same way. */
    static final Map<String, Function<GoldContext, DailyJob>> UPKEEP = Map.of("maintenance", MaintenanceJob::new,
            "compact-silver", SilverCompactionJob::new);

    private GoldCli() {}

    /** Every gold job, in dependency order, ready to run; they share the context's cached day. */
    public static List<DailyJob> jobs(GoldContext context) {
        return JOBS.values().stream().map(job -> job.apply(context)).toList();
    }

    public static void main(String[] args) {
        String usage = "usage: " + String.join(" | ", JOBS.keySet()) + " | gold | maintenance | compact-silver  --date YYYY-MM-DD [--to YYYY-MM-DD] [--config FILE]";
        List<String> names = new ArrayList<>();
        LocalDate from = null;
        LocalDate to = null;
        File configFile = null;
        try {
            if (args.length == 0) {
                throw new IllegalArgumentException("name a job");
            }
            if (args[0].equals("gold")) {
                names.addAll(JOBS.keySet());
            }
            else if (JOBS.containsKey(args[0]) || UPKEEP.containsKey(args[0])) {
                names.add(args[0]);
            }
            else {
                throw new IllegalArgumentException("unknown job " + args[0]);
            }
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--date", "--from" -> from = LocalDate.parse(args[++i]);
                    case "--to" -> to = LocalDate.parse(args[++i]);
                    case "--config" -> configFile = new File(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (from == null) {
                throw new IllegalArgumentException("--date YYYY-MM-DD is required");
            }
            if (to != null && to.isBefore(from)) {
                throw new IllegalArgumentException("--to " + to + " is before --date " + from);
            }
        }
        catch (IllegalArgumentException | ArrayIndexOutOfBoundsException | DateTimeParseException e) {
            System.err.println("gold: " + e.getMessage());
            System.err.println(usage);
            System.exit(2);
            return;
        }
        to = to == null ? from : to;
        JobsConfig config = JobsConfig.load(configFile);
        SparkSession spark = Sparks.session("clickstream-" + args[0], config.spark());
        GoldContext context = new GoldContext(spark, config);
        List<DailyJob> jobs = names.stream().map(name -> JOBS.getOrDefault(name, UPKEEP.get(name)).apply(context)).toList();
        int exit = 0;
        try {
            for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
                for (DailyJob job : jobs) {
                    System.out.println(job.name() + " " + day + ": " + job.run(day));
                }
                context.release();
            }
        }
        catch (RuntimeException e) {
            // A failed job stops the run: later jobs and days depend on it. The exit status tells the scheduler.
            System.err.println("gold: FAILED: " + e.getMessage());
            e.printStackTrace();
            exit = 1;
        }
        finally {
            spark.stop();
        }
        System.exit(exit);
    }
}
