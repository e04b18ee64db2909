package io.clickstream.stack;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Java command lines for the project's runnable modules, from their build output (jar + target/lib). */
public final class Modules {
    /** Spark 4 on Java 17 needs these opens; spark-submit adds them itself, a plain java launch must. */
    public static final List<String> SPARK_JVM_OPTIONS = List.of(
            "-XX:+IgnoreUnrecognizedVMOptions",
            // Spark jobs are throughput work: the parallel collector spends less of the few cores than G1.
            "-XX:+UseParallelGC",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "-Djdk.reflect.useDirectMethodHandle=false",
            "-Dio.netty.tryReflectionSetAccessible=true");

    private final Path home;

    public Modules(Path home) {
        this.home = home;
    }

    /**
     * JVM options of a Spark job the project starts as a plain java process: the heap
     * ({@code CLICKSTREAM_SPARK_HEAP}, default 2g; a day of millions of events wants more, see
     * docs/benchmarks.md), {@link #SPARK_JVM_OPTIONS}, and any extra options in {@code CLICKSTREAM_SPARK_JVM_OPTIONS}
     * (space separated; a profiler, or Spark settings as {@code -Dspark.eventLog.enabled=true}).
     */
    public static List<String> sparkJvmOptions() {
        String heap = System.getenv().getOrDefault("CLICKSTREAM_SPARK_HEAP", "2g");
        if (!heap.matches("\\d+[kKmMgG]?")) {
            throw new IllegalArgumentException("CLICKSTREAM_SPARK_HEAP must be a JVM heap size such as 2g or 6144m, not '" + heap + "'");
        }
        List<String> options = new ArrayList<>(List.of("-Xmx" + heap));
        options.addAll(SPARK_JVM_OPTIONS);
        String extra = System.getenv().getOrDefault("CLICKSTREAM_SPARK_JVM_OPTIONS", "").trim();
        if (!extra.isEmpty()) {
            options.addAll(List.of(extra.split("\\s+")));
        }
        return options;
    }

    /** {@code java <jvmOptions> -cp <module jar>:<module>/target/lib/* <mainClass> <arguments>} with the running JVM's java. */
    public List<String> javaCommand(String module, List<String> jvmOptions, String mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Duser.timezone=UTC");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath(module));
        command.add(mainClass);
        command.addAll(arguments);
        return command;
    }

    public String classpath(String module) {
        Path target = home.resolve(module).resolve("target");
        Path lib = target.resolve("lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("module " + module + " is not built (no " + lib + "): run 'mvn -DskipTests package' or bin/clickstream");
        }
        try (var jars = Files.list(target)) {
            Path jar = jars.filter(p -> p.getFileName().toString().startsWith(module) && p.toString().endsWith(".jar")
                    && !p.toString().endsWith("-tests.jar") && !p.toString().endsWith("-cluster.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + module + " jar in " + target));
            return jar + File.pathSeparator + lib + File.separator + "*";
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
