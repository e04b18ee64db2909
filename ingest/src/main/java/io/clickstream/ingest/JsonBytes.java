package io.clickstream.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;

/**
 * A JSON tree to UTF-8 bytes straight through a generator. Same output as
 * {@code ObjectMapper.writeValueAsBytes(tree)} for trees of plain JSON values, without building a
 * serializer provider for every call (which costs as much as writing a small event).
 */
public final class JsonBytes {
    private JsonBytes() {}

    public static byte[] of(JsonFactory factory, JsonNode tree) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(512)) {
            try (JsonGenerator generator = factory.createGenerator(out)) {
                write(generator, tree);
            }
            return out.toByteArray();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write a JSON tree", e);
        }
    }

    /** Writes one value of a tree (with everything below it) to {@code generator}. */
    private static void write(JsonGenerator generator, JsonNode node) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT -> {
                generator.writeStartObject();
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    generator.writeFieldName(field.getKey());
                    write(generator, field.getValue());
                }
                generator.writeEndObject();
            }
            case ARRAY -> {
                generator.writeStartArray();
                for (JsonNode element : node) {
                    write(generator, element);
                }
                generator.writeEndArray();
            }
            case STRING -> generator.writeString(node.textValue());
            case BOOLEAN -> generator.writeBoolean(node.booleanValue());
            case NULL -> generator.writeNull();
            case NUMBER -> {
                switch (node.numberType()) {
                    case INT -> generator.writeNumber(node.intValue());
                    case LONG -> generator.writeNumber(node.longValue());
                    case BIG_INTEGER -> generator.writeNumber(node.bigIntegerValue());
                    case FLOAT -> generator.writeNumber(node.floatValue());
                    case DOUBLE -> generator.writeNumber(node.doubleValue());
                    default -> generator.writeNumber(node.decimalValue());
                }
            }
            // Binary, POJO and missing nodes never come out of parsing a request; let Jackson write them.
            default -> generator.writeTree(node);
        }
    }
}
