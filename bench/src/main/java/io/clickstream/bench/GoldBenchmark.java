package io.clickstream.bench;

import io.clickstream.jobs.JobsConfig;
import io.clickstream.jobs.gold.GoldCli;
import io.clickstream.jobs.gold.GoldContext;
import io.clickstream.jobs.lake.LakePaths;
import io.clickstream.jobs.lake.Sparks;
import io.clickstream.jobs.simulate.HistoricDay;
import io.clickstream.stack.Directories;
import io.clickstream.stack.Modules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The full daily gold build over a generated day of silver.
 *
 * <p>Generates {@code --events} (10 million by default) realistic events for one UTC day straight
 * into a silver Delta table on local disk (the simulator's historic-day mode, {@link HistoricDay}),
 * then times every gold job of {@code bin/clickstream job gold} for that day and prints each
 * job's seconds, the total, and the driver's peak heap.
 *
 * <p>How to run: {@code bench/gold [--events N] [--reuse]} (runs the Spark work in its own JVM with
 * {@code -Xmx6g}, plus any options in {@code CLICKSTREAM_SPARK_JVM_OPTIONS}, a profiler or Spark's
 * event log, say). {@code --reuse} keeps the silver day a previous run generated when it holds
 * the same number of events, so trying a change to a gold job does not wait for the generator.
 */
public final class GoldBenchmark {
    static final LocalDate DAY = LocalDate.parse("2026-11-20");

    public static void main(String[] args) throws Exception {
        long events = 10_000_000;
        boolean reuse = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--events")) {
                events = Long.parseLong(args[++i]);
            }
            else if (args[i].equals("--reuse")) {
                reuse = true;
            }
            else if (!args[i].equals("--run")) {
                throw new IllegalArgumentException("usage: bench/gold [--events N] [--reuse]");
            }
        }
        Path home = Path.of(System.getProperty("clickstream.home", ".")).toAbsolutePath().normalize();
        if (List.of(args).contains("--run")) {
            run(home, events, reuse);
            return;
        }
        List<String> jvm = new ArrayList<>(List.of("-Dclickstream.home=" + home));
        // The benchmark's heap, whatever CLICKSTREAM_SPARK_HEAP says; the extra options still count.
        jvm.addAll(Modules.sparkJvmOptions().stream().map(option -> option.startsWith("-Xmx") ? "-Xmx6g" : option).toList());
        List<String> arguments = new ArrayList<>(List.of("--run", "--events", String.valueOf(events)));
        if (reuse) {
            arguments.add("--reuse");
        }
        Process child = new ProcessBuilder(new Modules(home).javaCommand("bench", jvm, GoldBenchmark.class.getName(), arguments))
                .inheritIO().start();
        System.exit(child.waitFor());
    }

    private static void run(Path home, long events, boolean reuse) throws Exception {
        Path work = home.resolve("work").resolve("bench-gold");
        Path generated = work.resolve("generated-events");
        boolean reusable = reuse && Files.exists(generated) && Files.readString(generated).trim().equals(String.valueOf(events));
        if (!reusable) {
            Directories.deleteRecursively(work);
        }
        else {
            // Only silver is kept: every gold table starts empty, as in a run that generated the day.
            Directories.deleteRecursively(work.resolve("lake").resolve("gold"));
        }
        Files.createDirectories(work);
        JobsConfig defaults = JobsConfig.load(null);
        JobsConfig config = new JobsConfig(work.resolve("lake").toString(),
                new JobsConfig.Spark("local[2]", 4, work.resolve("spark-tmp").toString()), defaults.kafka(), defaults.streaming(), defaults.gold(),
                defaults.live());
        SparkSession spark = Sparks.session("clickstream-bench-gold", config.spark());
        long inSilver;
        if (reusable) {
            inSilver = spark.read().format("delta").load(new LakePaths(config.lakeRoot()).silverEvents()).count();
            System.out.printf("  reusing the %d events generated for %s by an earlier run%n", inSilver, DAY);
        }
        else {
            long started = System.nanoTime();
            inSilver = HistoricDay.write(spark, config, DAY, events);
            Files.writeString(generated, events + "\n");
            System.out.printf("  generated %d events for %s into silver in %.0f s%n", inSilver, DAY, (System.nanoTime() - started) / 1e9);
        }

        Map<String, Double> seconds = new java.util.LinkedHashMap<>();
        long total = System.nanoTime();
        for (var job : GoldCli.jobs(new GoldContext(spark, config))) {
            long jobStarted = System.nanoTime();
            String summary = job.run(DAY);
            seconds.put(job.name(), (System.nanoTime() - jobStarted) / 1e9);
            System.out.printf("  %-20s %6.1f s  %s%n", job.name(), seconds.get(job.name()), summary);
        }
        double totalSeconds = (System.nanoTime() - total) / 1e9;
        Runtime runtime = Runtime.getRuntime();
        System.out.println();
        System.out.printf("machine: %d cores, %s; Spark local[2], driver -Xmx%d MB%n", runtime.availableProcessors(),
                System.getProperty("os.name"), runtime.maxMemory() / 1024 / 1024);
        System.out.println("| events in the day | gold jobs | total s | events/s | target |");
        System.out.println("|---:|---:|---:|---:|---|");
        System.out.printf("| %d | %d | %.0f | %.0f | <= 180 s |%n", inSilver, seconds.size(), totalSeconds, inSilver / totalSeconds);
        spark.stop();
    }
}
