package io.clickstream.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml cannot run here (no Docker engine), so Debian's docker-compose validates it
 * offline, and its resolved form is checked for what the deployment promises: the services, the
 * Kafka replication settings, health checks, start order, and that every file it names exists.
 */
class ComposeFileIT {
    private static final Path HOME = Path.of(System.getProperty("clickstream.home"));
    private static final Map<String, String> SECRETS = Map.of(
            "S3_ACCESS_KEY", "compose-test-access", "S3_SECRET_KEY", "compose-test-secret", "METASTORE_DB_PASSWORD", "compose-test-db",
            "INGEST_WRITE_KEYS", "web:compose-test-key:1000", "CLICKSTREAM_PSEUDONYMISATION_KEY", "compose-test-hmac",
            "AIRFLOW_SECRET_KEY", "compose-test-airflow", "SUPERSET_SECRET_KEY", "compose-test-superset", "SUPERSET_ADMIN_PASSWORD", "compose-test-admin");
    private static final Set<String> SERVICES = Set.of("kafka-1", "kafka-2", "kafka-3", "kafka-topics", "kafka-ui", "minio", "minio-bucket",
            "metastore-db", "hive-metastore", "trino", "ddl", "ingest", "streaming", "airflow", "superset-init", "superset");
    /** Services that run once and exit; the others run on and must say when they are healthy. */
    private static final Set<String> ONE_SHOT = Set.of("kafka-topics", "minio-bucket", "ddl", "superset-init");

    @Test
    void theComposeFileValidatesAndDeclaresTheWholeStack() throws Exception {
        Result quiet = compose(SECRETS, "config", "-q");
        assertEquals(0, quiet.exit(), quiet.output());

        JsonNode config = new ObjectMapper(new YAMLFactory()).readTree(compose(SECRETS, "config").output());
        JsonNode services = config.get("services");
        Set<String> names = new TreeSet<>();
        services.fieldNames().forEachRemaining(names::add);
        assertEquals(new TreeSet<>(SERVICES), names);

        for (String broker : List.of("kafka-1", "kafka-2", "kafka-3")) {
            JsonNode environment = services.get(broker).get("environment");
            assertEquals("3", environment.get("KAFKA_DEFAULT_REPLICATION_FACTOR").asText(), broker);
            assertEquals("2", environment.get("KAFKA_MIN_INSYNC_REPLICAS").asText(), broker);
            assertEquals("broker,controller", environment.get("KAFKA_PROCESS_ROLES").asText(), broker);
            assertEquals("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093", environment.get("KAFKA_CONTROLLER_QUORUM_VOTERS").asText(), broker);
            assertEquals("false", environment.get("KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE").asText(), broker);
        }
        String topics = services.get("kafka-topics").get("command").toString();
        assertTrue(topics.contains("--replication-factor 3") && topics.contains("min.insync.replicas=2"), topics);
        assertTrue(topics.contains("lms_clickstream lms_clickstream_dlq"), topics);

        for (String name : names) {
            JsonNode service = services.get(name);
            if (!ONE_SHOT.contains(name)) {
                assertTrue(service.has("healthcheck") && service.get("healthcheck").has("test"), name + " has no health check");
            }
            for (Map.Entry<String, JsonNode> dependency : iterable(service.path("depends_on"))) {
                String condition = dependency.getValue().path("condition").asText();
                String expected = ONE_SHOT.contains(dependency.getKey()) ? "service_completed_successfully" : "service_healthy";
                assertEquals(expected, condition, name + " must wait for " + dependency.getKey() + " to be " + expected);
            }
            if (service.has("build")) {
                String dockerfile = Files.readString(HOME.resolve(service.get("build").get("dockerfile").asText()));
                String target = service.get("build").get("target").asText();
                assertTrue(dockerfile.contains(" AS " + target + "\n"), "deploy/Dockerfile has no stage " + target);
            }
            for (JsonNode volume : service.path("volumes")) {
                // Resolved to "source:target:mode"; a bind mount's source is an absolute path.
                if (volume.asText().startsWith("/")) {
                    Path source = Path.of(volume.asText().substring(0, volume.asText().indexOf(':')));
                    assertTrue(Files.exists(source), name + " mounts " + source + ", which is not in the checkout");
                }
            }
        }
        JsonNode ingest = services.get("ingest").get("environment");
        assertEquals("web:compose-test-key:1000", ingest.get("INGEST_WRITE_KEYS").asText(), "secrets come from the environment");
        assertEquals("kafka-1:9092,kafka-2:9092,kafka-3:9092", ingest.get("KAFKA_BOOTSTRAP_SERVERS").asText());

        // Every variable the production Trino catalogs read is set for the Trino container.
        Set<String> trinoEnvironment = new TreeSet<>();
        services.get("trino").get("environment").fieldNames().forEachRemaining(trinoEnvironment::add);
        assertTrue(trinoEnvironment.containsAll(catalogVariables()), "Trino needs " + catalogVariables() + ", has " + trinoEnvironment);

        // Without its secrets, the file refuses to start rather than run with a default.
        Map<String, String> missing = new HashMap<>(SECRETS);
        missing.remove("CLICKSTREAM_PSEUDONYMISATION_KEY");
        Result refused = compose(missing, "config", "-q");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.output().contains("set CLICKSTREAM_PSEUDONYMISATION_KEY in .env"), refused.output());

        // The example environment file names every secret the compose file requires.
        String example = Files.readString(HOME.resolve("deploy/compose.env.example"));
        for (String secret : SECRETS.keySet()) {
            assertTrue(example.contains("\n" + secret + "="), "deploy/compose.env.example lacks " + secret);
        }
    }

    /** ${ENV:NAME} references of deploy/trino/production/catalog/*.properties. */
    static Set<String> catalogVariables() throws Exception {
        Set<String> variables = new TreeSet<>();
        try (var files = Files.list(HOME.resolve("deploy/trino/production/catalog"))) {
            for (Path file : files.toList()) {
                Matcher matcher = Pattern.compile("\\$\\{ENV:([A-Z0-9_]+)}").matcher(Files.readString(file));
                while (matcher.find()) {
                    variables.add(matcher.group(1));
                }
            }
        }
        return variables;
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        node.fields().forEachRemaining(entries::add);
        return entries;
    }

    private record Result(int exit, String output) {}

    /** Runs docker-compose on the checkout's file with exactly these variables (no .env of the developer). */
    private static Result compose(Map<String, String> variables, String... arguments) throws Exception {
        Path noEnvFile = Files.createTempFile("compose-test", ".env");
        List<String> command = new ArrayList<>(List.of("docker-compose", "--project-directory", HOME.toString(),
                "-f", HOME.resolve("docker-compose.yml").toString(), "--env-file", noEnvFile.toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> inherited = Map.of("PATH", System.getenv("PATH"), "HOME", System.getProperty("user.home"));
        builder.environment().clear();
        builder.environment().putAll(inherited);
        builder.environment().putAll(variables);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "docker-compose did not finish");
        return new Result(process.exitValue(), output);
    }
}
