package io.clickstream.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.stack.ChildProcess;
import io.clickstream.stack.LocalStack;
import io.clickstream.stack.Modules;
import io.clickstream.testing.Await;
import io.clickstream.testing.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on this machine, run as a cluster's nodes run it: a master and a worker, each its own
 * process, from the jars of a Spark distribution (a {@code SPARK_HOME} whose {@code jars/} holds what a Spark 4.1
 * distribution ships), and executors that the worker starts in JVMs of their own. Applications reach it through
 * {@code spark-submit} ({@link #submit}), with the cluster jar as the application: nothing of the project is on the
 * cluster's classpath. The nodes run in the time zone given, as servers outside UTC do.
 */
final class SparkStandalone implements AutoCloseable {
    /** Jars of spark-jobs/target/lib that the cluster jar carries (or a cluster's image adds, S3A): not part of a Spark distribution. */
    private static final List<String> NOT_IN_A_DISTRIBUTION = List.of("delta-", "spark-sql-kafka", "spark-token-provider", "kafka-clients",
            "commons-pool2", "config-", "micrometer-", "prometheus-metrics", "HdrHistogram", "LatencyUtils", "yauaa", "prefixmap", "caffeine",
            "maxmind-db", "event-schema", "hadoop-aws", "analyticsaccelerator", "wildfly-openssl");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final LocalStack stack;
    private final Path home;
    private final Map<String, String> environment;
    private final String url;
    private final ChildProcess master;
    private final ChildProcess worker;

    private SparkStandalone(LocalStack stack, Path home, Map<String, String> environment, String url, ChildProcess master, ChildProcess worker) {
        this.stack = stack;
        this.home = home;
        this.environment = environment;
        this.url = url;
        this.master = master;
        this.worker = worker;
    }

    /** Starts a master and a worker with {@code cores} cores and {@code memory} for executors; returns once the worker has registered. */
    static SparkStandalone start(LocalStack stack, String timeZone, int cores, String memory) throws Exception {
        Path work = stack.workDir().resolve("spark-standalone");
        Path home = work.resolve("spark-home");
        Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        Path lib = stack.settings().home().resolve("spark-jobs").resolve("target").resolve("lib");
        try (Stream<Path> libs = Files.list(lib)) {
            for (Path jar : libs.filter(SparkStandalone::inADistribution).toList()) {
                Files.deleteIfExists(jars.resolve(jar.getFileName()));
                Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar);
            }
        }
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("SPARK_HOME", home.toString());
        environment.put("SPARK_SCALA_VERSION", "2.13");
        environment.put("SPARK_LOCAL_IP", "127.0.0.1");
        environment.put("SPARK_LOCAL_DIRS", work.resolve("local").toString());
        environment.put("TZ", timeZone);

        int port = FreePorts.next();
        int masterUi = FreePorts.next();
        String url = "spark://127.0.0.1:" + port;
        ChildProcess master = stack.startJob("spark-master", java(home, "256m", List.of("-Dspark.master.rest.enabled=false"),
                "org.apache.spark.deploy.master.Master", List.of("--host", "127.0.0.1", "--port", String.valueOf(port),
                        "--webui-port", String.valueOf(masterUi))), environment);
        ChildProcess worker = stack.startJob("spark-worker", java(home, "256m", List.of(), "org.apache.spark.deploy.worker.Worker",
                List.of("--host", "127.0.0.1", "--webui-port", String.valueOf(FreePorts.next()), "--cores", String.valueOf(cores),
                        "--memory", memory, "--work-dir", work.resolve("work").toString(), url)), environment);
        SparkStandalone cluster = new SparkStandalone(stack, home, environment, url, master, worker);
        ObjectMapper mapper = new ObjectMapper();
        Await.until("the Spark worker registered with the master", Duration.ofMinutes(2), () -> {
            if (!master.isAlive() || !worker.isAlive()) {
                throw new AssertionError("the Spark master or worker stopped\n" + master.tail() + "\n" + worker.tail());
            }
            try {
                String state = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                return mapper.readTree(state).path("aliveworkers").asInt() == 1;
            }
            catch (IOException notYet) {
                return false;
            }
        }, true);
        return cluster;
    }

    private static boolean inADistribution(Path jar) {
        String name = jar.getFileName().toString();
        // The AWS SDK's jars (S3A's), versioned 2.29.x.
        return NOT_IN_A_DISTRIBUTION.stream().noneMatch(name::startsWith) && !name.matches("[a-z-]+-2\\.29\\.\\d+\\.jar");
    }

    private static List<String> java(Path home, String heap, List<String> options, String mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap));
        command.addAll(Modules.SPARK_JVM_OPTIONS);
        command.addAll(options);
        command.addAll(List.of("-cp", home.resolve("jars") + "/*", mainClass));
        command.addAll(arguments);
        return command;
    }

    /**
     * Starts {@code spark-submit --master <this cluster> --deploy-mode MODE --class mainClass application arguments} (the
     * launcher's class, as the script runs it) with the stack's job environment plus {@code environment}, in the nodes' time
     * zone; its output goes to {@code logs/NAME.log}. In client mode the driver is that process; in cluster mode a worker
     * starts the driver and the launcher waits for it to end (its output is then the worker's, see {@link #driverLogs}).
     */
    ChildProcess submit(String name, String deployMode, String mainClass, Path application, List<String> arguments,
            Map<String, String> environment) throws Exception {
        List<String> launcher = new ArrayList<>(List.of("--master", url, "--deploy-mode", deployMode, "--conf", "spark.executor.memory=1g"));
        if (deployMode.equals("cluster")) {
            launcher.addAll(List.of("--conf", "spark.driver.memory=1g", "--conf", "spark.standalone.submit.waitAppCompletion=true"));
        }
        launcher.addAll(List.of("--class", mainClass, application.toString()));
        launcher.addAll(arguments);
        Map<String, String> merged = new LinkedHashMap<>(this.environment);
        merged.putAll(environment);
        return stack.startJob(name, java(home, "1g", List.of(), "org.apache.spark.deploy.SparkSubmit", launcher), merged);
    }

    /** What the drivers the worker started (cluster mode) wrote, whole. */
    String driverLogs() {
        return logs("driver-");
    }

    /** What the executors of the cluster's applications wrote to their standard error (their logs), whole. */
    String executorLogs() {
        return logs("app-");
    }

    private String logs(String folderPrefix) {
        StringBuilder logs = new StringBuilder();
        try (Stream<Path> files = Files.walk(home.getParent().resolve("work"))) {
            for (Path log : files.filter(file -> file.getParent().getFileName().toString().startsWith(folderPrefix)
                    || file.getParent().getParent().getFileName().toString().startsWith(folderPrefix))
                    .filter(file -> file.getFileName().toString().matches("stdout|stderr")).sorted().toList()) {
                logs.append("--- ").append(log).append(" ---\n").append(Files.readString(log));
            }
        }
        catch (IOException e) {
            logs.append("(logs unreadable: ").append(e.getMessage()).append(')');
        }
        return logs.toString();
    }

    @Override
    public void close() {
        worker.close();
        master.close();
    }
}
