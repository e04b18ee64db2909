package io.clickstream.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {
    @Test
    void theBrokersJvmOptionsComeFromKafkasVariablesOrTheLocalDefault() {
        assertEquals(List.of("-Xmx512m"), KafkaBroker.jvmOptions(Map.of()));
        assertEquals(List.of("-Xmx512m"), KafkaBroker.jvmOptions(Map.of("KAFKA_HEAP_OPTS", " ", "KAFKA_JVM_PERFORMANCE_OPTS", "")));
        assertEquals(List.of("-Xmx1G", "-Xms1G", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"), KafkaBroker.jvmOptions(
                Map.of("KAFKA_HEAP_OPTS", "-Xmx1G  -Xms1G", "KAFKA_JVM_PERFORMANCE_OPTS", " -XX:+UseG1GC -XX:MaxGCPauseMillis=20 ")));
        assertEquals(List.of("-Xmx512m", "-XX:+UseParallelGC"), KafkaBroker.jvmOptions(Map.of("KAFKA_JVM_PERFORMANCE_OPTS", "-XX:+UseParallelGC")));
    }
}
