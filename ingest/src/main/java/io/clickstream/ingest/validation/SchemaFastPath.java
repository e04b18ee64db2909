package io.clickstream.ingest.validation;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A quick yes for valid events, compiled from the same JSON Schema the full validator reads.
 *
 * <p>Most events are valid, and the general-purpose validator spends most of the request's time
 * on them. This check answers "certainly valid" or "not sure": it is allowed to say "not sure" for
 * a valid event (the full validator then decides and words the errors), never "valid" for an
 * invalid one. So it supports only the keywords the contract uses, refuses to compile a schema
 * with any other keyword, and is conservative at the edges: a string with a line terminator
 * never passes a pattern here, and a {@code date-time} passes only in the plain RFC 3339 form.
 */
public final class SchemaFastPath {
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "title", "description", "$comment", "examples", "default");

    private final Node root;

    public SchemaFastPath(JsonNode schema) {
        this.root = compile(requireNonNull(schema, "schema is null"), "#");
    }

    /** True only when the instance is valid against the schema; false when it may not be. */
    public boolean certainlyValid(JsonNode instance) {
        return root.accepts(instance);
    }

    /** The keywords of one schema object, checked in one monomorphic method (the hot path calls it for every field). */
    private static final class Node {
        private static final int STRING = 1;
        private static final int NULL = 2;
        private static final int OBJECT = 4;
        private static final int NUMBER = 8;
        private static final int INTEGER = 16;
        private static final int BOOLEAN = 32;
        private static final int ARRAY = 64;

        int types = -1;
        Set<JsonNode> allowed;
        int minLength = -1;
        int maxLength = -1;
        boolean[] patternTable;
        Pattern pattern;
        boolean dateTime;
        BigDecimal minimum;
        BigDecimal maximum;
        int maxProperties = -1;
        String[] required;
        Map<String, Node> properties;
        boolean closed;

        boolean accepts(JsonNode value) {
            if (types != -1 && !hasType(value)) {
                return false;
            }
            if (allowed != null && !allowed.contains(value)) {
                return false;
            }
            if (value.isTextual()) {
                return acceptsText(value.textValue());
            }
            if (value.isNumber()) {
                return (minimum == null || decimal(value).compareTo(minimum) >= 0) && (maximum == null || decimal(value).compareTo(maximum) <= 0);
            }
            if (value.isObject()) {
                return acceptsObject(value);
            }
            return true;
        }

        private boolean hasType(JsonNode value) {
            return (types & STRING) != 0 && value.isTextual() || (types & NULL) != 0 && value.isNull()
                    || (types & OBJECT) != 0 && value.isObject() || (types & NUMBER) != 0 && value.isNumber()
                    || (types & INTEGER) != 0 && value.isIntegralNumber() || (types & BOOLEAN) != 0 && value.isBoolean()
                    || (types & ARRAY) != 0 && value.isArray();
        }

        private boolean acceptsText(String text) {
            if (minLength > 0 && codePoints(text) < minLength) {
                return false;
            }
            if (maxLength >= 0 && text.length() > maxLength && codePoints(text) > maxLength) {
                return false;
            }
            if (patternTable != null && !allIn(text, patternTable)) {
                return false;
            }
            if (pattern != null && (hasLineTerminator(text) || !pattern.matcher(text).find())) {
                return false;
            }
            return !dateTime || Rfc3339.parseOrNull(text) != null;
        }

        private boolean acceptsObject(JsonNode value) {
            if (maxProperties >= 0 && value.size() > maxProperties) {
                return false;
            }
            if (required != null) {
                for (String name : required) {
                    if (!value.has(name)) {
                        return false;
                    }
                }
            }
            if (properties != null || closed) {
                Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    Node check = properties == null ? null : properties.get(field.getKey());
                    if (check == null ? closed : !check.accepts(field.getValue())) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    private static Node compile(JsonNode schema, String location) {
        if (!schema.isObject()) {
            throw new IllegalArgumentException("schema at " + location + " must be an object");
        }
        Node node = new Node();
        Iterator<Map.Entry<String, JsonNode>> keywords = schema.fields();
        while (keywords.hasNext()) {
            Map.Entry<String, JsonNode> keyword = keywords.next();
            JsonNode argument = keyword.getValue();
            switch (keyword.getKey()) {
                case "type" -> node.types = types(argument, location);
                case "enum" -> {
                    node.allowed = new HashSet<>();
                    argument.forEach(node.allowed::add);
                }
                case "minLength" -> node.minLength = argument.intValue();
                case "maxLength" -> node.maxLength = argument.intValue();
                case "pattern" -> {
                    node.patternTable = characterClassTable(argument.textValue());
                    if (node.patternTable == null) {
                        node.pattern = Pattern.compile(argument.textValue());
                    }
                }
                // Other formats are annotations in draft 2020-12: nothing to check.
                case "format" -> node.dateTime = argument.textValue().equals("date-time");
                case "minimum" -> node.minimum = argument.decimalValue();
                case "maximum" -> node.maximum = argument.decimalValue();
                case "maxProperties" -> node.maxProperties = argument.intValue();
                case "required" -> {
                    List<String> names = new ArrayList<>();
                    argument.forEach(name -> names.add(name.textValue()));
                    node.required = names.toArray(String[]::new);
                }
                case "properties" -> {
                    node.properties = new HashMap<>();
                    Iterator<Map.Entry<String, JsonNode>> declared = argument.fields();
                    while (declared.hasNext()) {
                        Map.Entry<String, JsonNode> property = declared.next();
                        node.properties.put(property.getKey(), compile(property.getValue(), location + "/properties/" + property.getKey()));
                    }
                }
                case "additionalProperties" -> {
                    if (!argument.isBoolean()) {
                        throw unsupported(location, "additionalProperties with a schema");
                    }
                    node.closed = !argument.booleanValue();
                }
                default -> {
                    if (!ANNOTATIONS.contains(keyword.getKey())) {
                        throw unsupported(location, "keyword '" + keyword.getKey() + "'");
                    }
                }
            }
        }
        return node;
    }

    private static int types(JsonNode argument, String location) {
        List<String> types = new ArrayList<>();
        if (argument.isArray()) {
            argument.forEach(type -> types.add(type.textValue()));
        }
        else {
            types.add(argument.textValue());
        }
        int mask = 0;
        for (String type : types) {
            mask |= switch (type) {
                case "string" -> Node.STRING;
                case "null" -> Node.NULL;
                case "object" -> Node.OBJECT;
                case "number" -> Node.NUMBER;
                case "integer" -> Node.INTEGER;
                case "boolean" -> Node.BOOLEAN;
                case "array" -> Node.ARRAY;
                default -> throw unsupported(location, "type " + type);
            };
        }
        return mask;
    }

    /**
     * For patterns of the form {@code ^[class]+$} whose class holds only ASCII letters, digits,
     * ranges of them and the literal characters {@code . _ : -} (last): which ASCII characters
     * are in the class. Null for any other pattern, which then runs as a regular expression.
     */
    static boolean[] characterClassTable(String pattern) {
        if (!pattern.startsWith("^[") || !pattern.endsWith("]+$") || pattern.length() < 6) {
            return null;
        }
        String members = pattern.substring(2, pattern.length() - 3);
        boolean[] table = new boolean[128];
        for (int i = 0; i < members.length(); i++) {
            char c = members.charAt(i);
            boolean last = i == members.length() - 1;
            if (Character.isLetterOrDigit(c) && c < 128 && i + 2 < members.length() && members.charAt(i + 1) == '-'
                    && Character.isLetterOrDigit(members.charAt(i + 2)) && members.charAt(i + 2) < 128) {
                char to = members.charAt(i + 2);
                if (to < c || Character.isDigit(c) != Character.isDigit(to) || Character.isUpperCase(c) != Character.isUpperCase(to)) {
                    return null;
                }
                for (char member = c; member <= to; member++) {
                    table[member] = true;
                }
                i += 2;
            }
            else if (c < 128 && Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == ':' || c == '-' && last) {
                table[c] = true;
            }
            else {
                return null;
            }
        }
        return table;
    }

    private static boolean allIn(String text, boolean[] table) {
        if (text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 128 || !table[c]) {
                return false;
            }
        }
        return true;
    }

    private static BigDecimal decimal(JsonNode number) {
        return number.isInt() || number.isLong() ? BigDecimal.valueOf(number.longValue()) : number.decimalValue();
    }

    private static int codePoints(String text) {
        return text.codePointCount(0, text.length());
    }

    private static boolean hasLineTerminator(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                return true;
            }
        }
        return false;
    }

    private static IllegalArgumentException unsupported(String location, String what) {
        return new IllegalArgumentException("the fast path does not support " + what + " (at " + location
                + "); teach SchemaFastPath the keyword, conservatively, before using it in the contract");
    }
}
