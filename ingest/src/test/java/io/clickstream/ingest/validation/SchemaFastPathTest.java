package io.clickstream.ingest.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.clickstream.schema.EventContract;
import io.clickstream.testing.LmsEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fast path may only say "valid" where the full validator agrees: checked on valid events and
 * on hundreds of mutations of them at every field and limit of the contract.
 */
class SchemaFastPathTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final EventContract contract = EventContract.current();
    private final Schema full = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(contract.schemaText(), InputFormat.JSON);
    private final SchemaFastPath fast;

    SchemaFastPathTest() throws Exception {
        fast = new SchemaFastPath(MAPPER.readTree(contract.schemaText()));
    }

    @Test
    void typicalValidEventsTakeTheFastPath() throws Exception {
        for (JsonNode event : validEvents()) {
            assertTrue(full.validate(event).isEmpty(), "fixture must be valid: " + event);
            assertTrue(fast.certainlyValid(event), "a plain valid event must pass the fast path: " + event);
        }
    }

    @Test
    void neverSaysValidWhereTheFullValidatorFindsAnError() throws Exception {
        int invalid = 0;
        int mutations = 0;
        for (JsonNode base : validEvents()) {
            for (ObjectNode mutated : mutations((ObjectNode) base)) {
                mutations++;
                boolean fullValid = full.validate(mutated).isEmpty();
                if (!fullValid) {
                    invalid++;
                    assertFalse(fast.certainlyValid(mutated), "fast path accepted an event the schema rejects: " + mutated);
                }
            }
        }
        assertTrue(invalid > mutations / 3, "the mutations must exercise the rules: " + invalid + " of " + mutations + " invalid");
    }

    @Test
    void theStreamingCheckDecidesLikeTheTreeCheckAndCopiesEveryOtherField() throws Exception {
        int streamedValid = 0;
        List<JsonNode> events = new ArrayList<>(validEvents());
        for (JsonNode base : validEvents()) {
            events.addAll(mutations((ObjectNode) base));
        }
        for (JsonNode event : events) {
            SchemaFastPath.Capture capture = new SchemaFastPath.Capture("student_id", "timestamp", "ip");
            String copied = streamed(fast, event.toString(), capture);
            assertEquals(fast.certainlyValid(event), copied != null, "the streaming check must decide like the tree check: " + event);
            if (copied == null) {
                continue;
            }
            streamedValid++;
            ObjectNode expected = ((ObjectNode) event).deepCopy();
            for (String captured : List.of("student_id", "timestamp", "ip")) {
                int slot = capture.slot(captured);
                assertEquals(event.has(captured), capture.has(slot), captured);
                assertEquals(event.path(captured).textValue(), capture.value(slot), captured);
                expected.remove(captured);
            }
            assertEquals(expected, MAPPER.readTree(copied), "every other field is copied as it was");
        }
        assertTrue(streamedValid > 50, "valid mutations must be streamed too: " + streamedValid);
    }

    @Test
    void theStreamingCheckLeavesRepeatedKeysAndOddValuesToTheFullPath() throws Exception {
        String valid = LmsEvent.of("search", "s-3", "/search").metadata("query", "fractions").json();
        assertTrue(streamed(fast, valid, new SchemaFastPath.Capture("student_id")) != null);
        // A tree keeps the last of repeated keys; the stream cannot know which one a tree would keep.
        assertEquals(null, streamed(fast, valid.replace("{\"event_id\"", "{\"page_url\":\"/a\",\"event_id\""), new SchemaFastPath.Capture()));
        assertEquals(null, streamed(fast, valid.replace("\"query\"", "\"q\":1,\"q\":2,\"query\""), new SchemaFastPath.Capture()));
        assertEquals(null, streamed(fast, valid.replace("\"query\"", "\"deep\":{\"a\":[{\"b\":1,\"b\":2}]},\"query\""),
                new SchemaFastPath.Capture()));
        // Free metadata is copied whole, as the client wrote it (white space, number and escape spellings).
        String nested = valid.replace("\"query\"", "\"deep\" : { \"a\":[1, 2.50,1e2,true,null,\"x\\u00e9\\\"}\"]},\"query\"");
        String copied = streamed(fast, nested, new SchemaFastPath.Capture());
        assertEquals(MAPPER.readTree(nested), MAPPER.readTree(copied));
        assertTrue(copied.contains("\"deep\" : { \"a\":[1, 2.50,1e2,true,null,\"x\\u00e9\\\"}\"]}"), copied);
        // A number beyond a double is left to the full validator, as is a float where the contract wants a bounded number.
        assertEquals(null, streamed(fast, valid.replace("\"query\"", "\"big\":1e400,\"query\""), new SchemaFastPath.Capture()));
        // A captured field must be text or null: anything else is for the full validator to word.
        assertEquals(null, streamed(fast, valid.replace("\"student_id\":\"s-3\"", "\"student_id\":7"), new SchemaFastPath.Capture("student_id")));
    }

    /** The streaming check's copy of {@code json} with braces around it; null when it is not sure. */
    private static String streamed(SchemaFastPath fast, String json, SchemaFastPath.Capture capture) throws Exception {
        // Leading text before the object, as in a batch: the copy starts at the object's brace.
        byte[] input = (" [ \n" + json + " ]").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (com.fasterxml.jackson.core.JsonParser parser = MAPPER.getFactory().createParser(input);
                com.fasterxml.jackson.core.util.ByteArrayBuilder out = new com.fasterxml.jackson.core.util.ByteArrayBuilder()) {
            parser.nextToken();
            parser.nextToken();
            capture.reset();
            out.append('{');
            if (!fast.copyFieldsIfCertainlyValid(parser, input, 0, out, capture)) {
                return null;
            }
            assertEquals(']', (char) input[input.length - 1]);
            assertEquals(" ]", new String(input, capture.end(), input.length - capture.end(), java.nio.charset.StandardCharsets.UTF_8),
                    "the capture's end is just past the object");
            for (int slot = 0; slot < 31; slot++) {
                if (capture.has(slot)) {
                    assertEquals(capture.value(slot) == null ? "null" : MAPPER.writeValueAsString(capture.value(slot)),
                            MAPPER.readTree(new String(input, capture.rawStart(slot), capture.rawEnd(slot) - capture.rawStart(slot),
                                    java.nio.charset.StandardCharsets.UTF_8)).toString(), "where the captured value stands");
                }
            }
            out.append('}');
            return new String(out.toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void refusesKeywordsItCannotCheck() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new SchemaFastPath(MAPPER.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"oneOf\":[{\"type\":\"string\"}]}}}")));
        assertTrue(error.getMessage().contains("oneOf"), error.getMessage());
    }

    @Test
    void aSchemaWithTheSameKeywordsDecidesLikeTheFullValidator() throws Exception {
        SchemaFastPath closed = new SchemaFastPath(MAPPER.readTree("{\"type\":\"object\",\"additionalProperties\":false,"
                + "\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":1}}}"));
        assertTrue(closed.certainlyValid(MAPPER.readTree("{\"n\":1}")));
        assertFalse(closed.certainlyValid(MAPPER.readTree("{\"n\":0}")));
        assertFalse(closed.certainlyValid(MAPPER.readTree("{\"n\":1.5}")));
        assertFalse(closed.certainlyValid(MAPPER.readTree("{\"m\":1}")));
        assertFalse(closed.certainlyValid(MAPPER.readTree("[]")));
    }

    @Test
    void simpleCharacterClassPatternsAgreeWithTheRegularExpression() {
        boolean[] table = SchemaFastPath.characterClassTable("^[A-Za-z0-9._:-]+$");
        assertTrue(table != null);
        java.util.regex.Pattern regex = java.util.regex.Pattern.compile("^[A-Za-z0-9._:-]+$");
        for (char c = 0; c < 128; c++) {
            assertEquals(regex.matcher(String.valueOf(c)).matches(), table[c], "character " + (int) c);
        }
        for (String unsupported : List.of("^[a-z]*$", "[a-z]+", "^[^a-z]+$", "^[a-z\\d]+$", "^[z-a]+$", "^[a-Z]+$", "^[-a]+$")) {
            assertEquals(null, SchemaFastPath.characterClassTable(unsupported), unsupported);
        }
    }

    private static List<JsonNode> validEvents() throws Exception {
        List<JsonNode> events = new ArrayList<>();
        events.add(MAPPER.readTree(LmsEvent.pageView("student-1", "/courses/algebra").json()));
        events.add(MAPPER.readTree(LmsEvent.of("scroll", "s-2", "/c/1").chapter("ch-1").metadata("scroll_depth", 75).json()));
        events.add(MAPPER.readTree(LmsEvent.of("search", "s-3", "/search").metadata("query", "fractions").metadata("duration", 12.5)
                .set("device_type", "mobile").set("browser", "Firefox").set("referrer", "https://lms.example/").json()));
        events.add(MAPPER.readTree(LmsEvent.of("heartbeat", "s-4", "/c/2").at("2026-11-20T10:30:00.123456+01:00").json()));
        return events;
    }

    /** Every field set to values at and around each rule of the contract. */
    private List<ObjectNode> mutations(ObjectNode base) {
        List<JsonNode> values = List.of(NODES.textNode(""), NODES.textNode("x"), NODES.textNode("x".repeat(64)),
                NODES.textNode("x".repeat(65)), NODES.textNode("x".repeat(128)), NODES.textNode("x".repeat(129)),
                NODES.textNode("x".repeat(2048)), NODES.textNode("x".repeat(2049)), NODES.textNode("😀".repeat(64)),
                NODES.textNode("😀".repeat(65)), NODES.textNode("abc\n"), NODES.textNode("a b"), NODES.textNode("é"),
                NODES.textNode("page_view"), NODES.textNode("PAGE_VIEW"), NODES.textNode("mobile"), NODES.textNode("phone"),
                NODES.textNode("2026-11-20T10:30:00Z"), NODES.textNode("not a time"), NODES.numberNode(1), NODES.numberNode(1.5),
                NODES.booleanNode(true), NODES.nullNode(), NODES.objectNode(), NODES.arrayNode(), NODES.objectNode().put("duration", 1));
        List<ObjectNode> mutated = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        contract.fields().forEach(field -> fields.add(field.name()));
        fields.add("unknown_field");
        for (String field : fields) {
            for (JsonNode value : values) {
                mutated.add(base.deepCopy().set(field, value));
            }
            mutated.add(base.deepCopy().without(field));
        }
        List<JsonNode> numbers = List.of(NODES.numberNode(-1), NODES.numberNode(-0.001), NODES.numberNode(0), NODES.numberNode(100),
                NODES.numberNode(100.0001), NODES.numberNode(86400), NODES.numberNode(86401), NODES.numberNode(Long.MAX_VALUE),
                NODES.textNode("50"), NODES.textNode("x".repeat(513)), NODES.textNode("x".repeat(512)), NODES.nullNode());
        for (String key : List.of("scroll_depth", "duration", "query", "other")) {
            for (JsonNode value : numbers) {
                ObjectNode event = base.deepCopy();
                event.putObject("metadata").set(key, value);
                mutated.add(event);
            }
        }
        for (int keys : new int[] {64, 65}) {
            ObjectNode event = base.deepCopy();
            ObjectNode metadata = event.putObject("metadata");
            for (int i = 0; i < keys; i++) {
                metadata.put("k" + i, i);
            }
            mutated.add(event);
        }
        assertEquals(fields.size() * (values.size() + 1) + 4 * numbers.size() + 2, mutated.size());
        return mutated;
    }
}
