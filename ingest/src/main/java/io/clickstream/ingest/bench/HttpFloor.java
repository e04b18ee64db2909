package io.clickstream.ingest.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.typesafe.config.ConfigFactory;
import io.clickstream.ingest.config.IngestConfig;
import io.clickstream.ingest.sink.KafkaEventSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The least a collector that answers after the broker's acknowledgement does, as a second reference for
 * {@code bench/ingest}: ingest's HTTP server (Jetty, on the core request API ingest's event routes use) reads a POSTed
 * JSON array, splits it into its events (Jackson's streaming parser; each event's bytes as posted), sends each keyed
 * by its {@code student_id} with ingest's producer settings, and answers 200 once the broker acknowledged them all.
 * Nothing else: no write key, validation, pseudonym, collector fields, per-event answer, spool or metrics; so its
 * records are the events as the clients post them, what the raw producer's first baseline sends.
 *
 * <p>How to run: {@code java -cp <ingest's classpath> io.clickstream.ingest.bench.HttpFloor PORT}; the broker, topic and
 * producer settings are ingest's own ({@code ingest.kafka}: {@code KAFKA_BOOTSTRAP_SERVERS}, {@code INGEST_KAFKA_BATCH_BYTES},
 * ...). Prints {@code listening} when it takes requests. Not a collector: it keeps nothing when the broker fails, and
 * answers 503.
 */
public final class HttpFloor {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int MAX_BODY_BYTES = 1 << 20;

    private HttpFloor() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: HttpFloor PORT");
        }
        int port = Integer.parseInt(args[0]);
        IngestConfig.Kafka kafka = IngestConfig.kafka(ConfigFactory.load());
        String topic = kafka.topic();
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaEventSink.producerSettings(kafka, "clickstream-http-floor"),
                new StringSerializer(), new ByteArraySerializer());
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Source.asByteArrayAsync(request, MAX_BODY_BYTES).whenComplete((body, failure) -> {
                    if (failure != null) {
                        answer(response, callback, 400, "{\"error\":\"unreadable body\"}");
                        return;
                    }
                    List<ProducerRecord<String, byte[]>> records;
                    try {
                        records = split(topic, body);
                    }
                    catch (IOException | RuntimeException e) {
                        answer(response, callback, 400, "{\"error\":\"not a JSON array of events\"}");
                        return;
                    }
                    if (records.isEmpty()) {
                        answer(response, callback, 200, "{\"accepted\":0}");
                        return;
                    }
                    AtomicInteger pending = new AtomicInteger(records.size());
                    AtomicBoolean failed = new AtomicBoolean();
                    for (ProducerRecord<String, byte[]> record : records) {
                        producer.send(record, (metadata, error) -> {
                            if (error != null) {
                                failed.set(true);
                            }
                            if (pending.decrementAndGet() == 0) {
                                answer(response, callback, failed.get() ? 503 : 200,
                                        failed.get() ? "{\"error\":\"not acknowledged\"}" : "{\"accepted\":" + records.size() + "}");
                            }
                        });
                    }
                });
                return true;
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            }
            catch (Exception ignored) {
                // Stopping anyway.
            }
            producer.close();
        }));
        server.start();
        System.out.println("listening on 127.0.0.1:" + port);
        server.join();
    }

    /** Each element of the JSON array, as its bytes in the body, keyed by its top-level {@code student_id}. */
    static List<ProducerRecord<String, byte[]>> split(String topic, byte[] body) throws IOException {
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IOException("not an array");
            }
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                int start = (int) parser.currentTokenLocation().getByteOffset();
                String key = null;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    boolean isKey = parser.currentName().equals("student_id");
                    JsonToken value = parser.nextToken();
                    if (isKey && value == JsonToken.VALUE_STRING) {
                        key = parser.getText();
                    }
                    else {
                        parser.skipChildren();
                    }
                }
                int end = (int) parser.currentLocation().getByteOffset();
                records.add(new ProducerRecord<>(topic, key, Arrays.copyOfRange(body, start, end)));
            }
        }
        return records;
    }

    private static void answer(Response response, Callback callback, int status, String json) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
