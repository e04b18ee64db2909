package io.clickstream.ingest.validation;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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
 *
 * <p>The same decision is also made while reading a request's bytes
 * ({@link #copyFieldsIfCertainlyValid}), copying the event's fields to its stored form in the same
 * pass, so a valid event never becomes a tree.
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

    /**
     * The streaming form of {@link #certainlyValid}, copying as it checks. Reads one object from
     * {@code parser} (standing on its START_OBJECT) and appends the object's root fields to
     * {@code out} exactly as they are in {@code input} (the parser's whole input), separated by
     * commas, without braces, and without the fields named in {@code capture}: those are checked and
     * handed to the capture, for the caller to write. {@code from} is an offset in {@code input}
     * before the object's opening brace, with only whitespace, commas or an array's opening bracket
     * between. Returns true, with {@link Capture#end()} just past the object's closing brace; or
     * false when it cannot vouch for the object, including a key given twice (a tree keeps the last
     * one; the full path decides); {@code out} then holds part of the object.
     *
     * <p>The copied bytes are what the client sent, read and checked by the parser on the way, so
     * they are valid JSON with the same meaning (numbers and escapes keep the client's spelling).
     */
    public boolean copyFieldsIfCertainlyValid(JsonParser parser, byte[] input, int from, ByteArrayBuilder out, Capture capture)
            throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT || !root.typeAllows(Node.OBJECT) || root.allowed != null) {
            return false;
        }
        int position = from;
        while (position < input.length && input[position] != '{') {
            byte b = input[position];
            if (!isWhitespace(b) && b != ',' && b != '[') {
                return false;
            }
            position++;
        }
        if (position == input.length) {
            return false;
        }
        capture.cursor = position + 1;
        return root.checkObject(parser, input, out, capture);
    }

    /**
     * Root fields a caller writes itself, with where their values stand in the input; one per
     * request (not thread-safe), {@link #reset} before each object.
     */
    public static final class Capture {
        private final String[] names;
        private final String[] values;
        private final int[] rawStarts;
        private final int[] rawEnds;
        private int present;
        private int cursor;

        public Capture(String... names) {
            if (names.length > 31) {
                throw new IllegalArgumentException("at most 31 captured fields");
            }
            this.names = names.clone();
            this.values = new String[names.length];
            this.rawStarts = new int[names.length];
            this.rawEnds = new int[names.length];
        }

        public void reset() {
            present = 0;
            java.util.Arrays.fill(values, null);
            java.util.Arrays.fill(rawStarts, -1);
        }

        /** Whether the object had the field at {@code slot} (the index of its name in the constructor). */
        public boolean has(int slot) {
            return (present & 1 << slot) != 0;
        }

        /** The field's text; null when it was JSON null or absent. */
        public String value(int slot) {
            return values[slot];
        }

        /** Where the field's value (a JSON string with its quotes, or null) starts in the input; -1 when not known (set from a tree). */
        public int rawStart(int slot) {
            return rawStarts[slot];
        }

        /** Where the field's value ends in the input (exclusive). */
        public int rawEnd(int slot) {
            return rawEnds[slot];
        }

        /** The offset just past the object's closing brace, after {@link #copyFieldsIfCertainlyValid} said yes. */
        public int end() {
            return cursor;
        }

        /** The slot of a captured field name; -1 for any other name. */
        public int slot(String name) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return i;
                }
            }
            return -1;
        }

        /** Records a captured field's text (null for JSON null), for callers holding the event as a tree. */
        public void set(int slot, String value) {
            present |= 1 << slot;
            values[slot] = value;
        }

        void set(int slot, String value, int rawStart, int rawEnd) {
            set(slot, value);
            rawStarts[slot] = rawStart;
            rawEnds[slot] = rawEnd;
        }
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
        /** Streaming form of the keywords above. */
        Set<String> allowedTexts;
        boolean allowedNull;
        /** This node's position among its parent's declared properties (a bit of the parent's seen-mask below 64). */
        int index = -1;
        long requiredMask;
        String[] requiredUndeclared;

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
                if (value.isFloatingPointNumber() && !Double.isFinite(value.doubleValue())) {
                    return false;   // beyond a double's range: the full path words it
                }
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

        boolean typeAllows(int type) {
            return types == -1 || (types & type) != 0;
        }

        /** Checks the value the parser stands on (consuming it whole); false when not sure. */
        boolean check(JsonParser parser) throws IOException {
            JsonToken token = parser.currentToken();
            return switch (token) {
                case VALUE_STRING -> acceptsTextValue(parser.getText());
                case VALUE_NULL -> acceptsNull();
                case VALUE_TRUE, VALUE_FALSE -> typeAllows(BOOLEAN) && allowed == null;
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> checkNumber(parser);
                case START_OBJECT -> typeAllows(OBJECT) && allowed == null && checkObject(parser, null, null, null);
                case START_ARRAY -> typeAllows(ARRAY) && allowed == null && checkUnchecked(parser);
                default -> false;
            };
        }

        boolean acceptsTextValue(String text) {
            return typeAllows(STRING) && (allowed == null || allowedTexts.contains(text)) && acceptsText(text);
        }

        boolean acceptsNull() {
            return typeAllows(NULL) && (allowed == null || allowedNull);
        }

        private boolean checkNumber(JsonParser parser) throws IOException {
            boolean integral = parser.currentToken() == JsonToken.VALUE_NUMBER_INT;
            if (!(typeAllows(NUMBER) || integral && (types & INTEGER) != 0) || allowed != null) {
                return false;
            }
            if (minimum != null || maximum != null) {
                BigDecimal value = decimal(parser);
                return value != null && (minimum == null || value.compareTo(minimum) >= 0) && (maximum == null || value.compareTo(maximum) <= 0);
            }
            return isFinite(parser);
        }

        /**
         * The fields of an object, the parser standing on its START_OBJECT; a repeated key makes it
         * "not sure". With {@code input}: the root object, whose fields (but the captured ones) are
         * copied from the input to {@code out}, the capture's cursor following the parser.
         */
        boolean checkObject(JsonParser parser, byte[] input, ByteArrayBuilder out, Capture capture) throws IOException {
            long seen = 0;
            List<String> seenOther = null;
            int count = 0;
            boolean copied = false;
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                if (maxProperties >= 0 && ++count > maxProperties) {
                    return false;
                }
                Node check = properties == null ? null : properties.get(name);
                if (check == null && closed) {
                    return false;
                }
                if (check != null && check.index < 64) {
                    long bit = 1L << check.index;
                    if ((seen & bit) != 0) {
                        return false;
                    }
                    seen |= bit;
                }
                else {
                    seenOther = withNewName(seenOther, name);
                    if (seenOther == null) {
                        return false;
                    }
                }
                parser.nextToken();
                if (input == null) {
                    if (!(check == null ? checkUnchecked(parser) : check.check(parser))) {
                        return false;
                    }
                    continue;
                }
                // The same field in the input's bytes: the parser reads (and so checks) every byte of it.
                int nameStart = skipWhitespaceAndComma(input, capture.cursor);
                int valueStart = nameStart < 0 || input[nameStart] != '"' ? -1 : skipColon(input, skipString(input, nameStart));
                int valueEnd = valueStart < 0 ? -1 : skipValue(input, valueStart);
                if (valueEnd < 0) {
                    return false;
                }
                capture.cursor = valueEnd;
                int slot = capture.slot(name);
                if (slot >= 0) {
                    if (!captureValue(parser, check, capture, slot, valueStart, valueEnd)) {
                        return false;
                    }
                }
                else {
                    if (!(check == null ? checkUnchecked(parser) : check.check(parser))) {
                        return false;
                    }
                    if (copied) {
                        out.append(',');
                    }
                    out.write(input, nameStart, valueEnd - nameStart);
                    copied = true;
                }
            }
            if (token != JsonToken.END_OBJECT || (seen & requiredMask) != requiredMask) {
                return false;
            }
            if (requiredUndeclared != null) {
                for (String name : requiredUndeclared) {
                    if (seenOther == null || !seenOther.contains(name)) {
                        return false;
                    }
                }
            }
            if (input != null) {
                int close = skipWhitespace(input, capture.cursor);
                if (close < 0 || input[close] != '}') {
                    return false;
                }
                capture.cursor = close + 1;
            }
            return true;
        }

        private static boolean captureValue(JsonParser parser, Node check, Capture capture, int slot, int rawStart, int rawEnd)
                throws IOException {
            String text = null;
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                text = parser.getText();
                if (check != null && !check.acceptsTextValue(text)) {
                    return false;
                }
            }
            else if (parser.currentToken() != JsonToken.VALUE_NULL || check != null && !check.acceptsNull()) {
                // A captured field is one the caller shapes as text: anything else is left to the full path.
                return false;
            }
            capture.set(slot, text, rawStart, rawEnd);
            return true;
        }
    }

    /** Reads any value whole; false on a repeated key in any object of it, or a number a tree cannot hold. */
    private static boolean checkUnchecked(JsonParser parser) throws IOException {
        switch (parser.currentToken()) {
            case START_OBJECT -> {
                List<String> names = null;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    names = withNewName(names, parser.currentName());
                    if (names == null) {
                        return false;
                    }
                    parser.nextToken();
                    if (!checkUnchecked(parser)) {
                        return false;
                    }
                }
                return true;
            }
            case START_ARRAY -> {
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    if (!checkUnchecked(parser)) {
                        return false;
                    }
                }
                return true;
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return isFinite(parser);
            }
            case VALUE_STRING, VALUE_TRUE, VALUE_FALSE, VALUE_NULL -> {
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /** {@code names} with {@code name} added (a new list when null); null when it already held the name: a repeated key. */
    private static List<String> withNewName(List<String> names, String name) {
        if (names == null) {
            names = new ArrayList<>(4);
        }
        else if (names.contains(name)) {
            return null;
        }
        names.add(name);
        return names;
    }

    /** False for a float beyond a double's range (a tree holds it as infinity): left to the full path. */
    private static boolean isFinite(JsonParser parser) throws IOException {
        return parser.currentToken() == JsonToken.VALUE_NUMBER_INT || Double.isFinite(parser.getDoubleValue());
    }

    /** The number as the tree check compares it; null when it is not finite. */
    private static BigDecimal decimal(JsonParser parser) throws IOException {
        return switch (parser.getNumberType()) {
            case INT, LONG -> BigDecimal.valueOf(parser.getLongValue());
            case BIG_INTEGER -> new BigDecimal(parser.getBigIntegerValue());
            default -> Double.isFinite(parser.getDoubleValue()) ? BigDecimal.valueOf(parser.getDoubleValue()) : null;
        };
    }

    // Finding a field's bytes in input the parser reads at the same time: only where the JSON is well formed do both agree,
    // and there the parser fails (and the event goes to the full path) before these offsets are used for anything else.

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private static int skipWhitespace(byte[] input, int position) {
        while (position < input.length && isWhitespace(input[position])) {
            position++;
        }
        return position < input.length ? position : -1;
    }

    private static int skipWhitespaceAndComma(byte[] input, int position) {
        position = skipWhitespace(input, position);
        return position >= 0 && input[position] == ',' ? skipWhitespace(input, position + 1) : position;
    }

    /** Past the closing quote of the string whose opening quote is at {@code position}; -1 when it does not end. */
    private static int skipString(byte[] input, int position) {
        for (int i = position + 1; i < input.length; i++) {
            if (input[i] == '"') {
                return i + 1;
            }
            if (input[i] == '\\') {
                i++;
            }
        }
        return -1;
    }

    /** The start of the value after a field name's colon; -1 when there is none. */
    private static int skipColon(byte[] input, int position) {
        position = position < 0 ? -1 : skipWhitespace(input, position);
        return position >= 0 && input[position] == ':' ? skipWhitespace(input, position + 1) : -1;
    }

    /** Past the value starting at {@code position} (string, object, array or scalar); -1 when it does not end. */
    private static int skipValue(byte[] input, int position) {
        byte first = input[position];
        if (first == '"') {
            return skipString(input, position);
        }
        if (first == '{' || first == '[') {
            int depth = 0;
            for (int i = position; i < input.length; i++) {
                byte b = input[i];
                if (b == '"') {
                    i = skipString(input, i);
                    if (i < 0) {
                        return -1;
                    }
                    i--;
                }
                else if (b == '{' || b == '[') {
                    depth++;
                }
                else if ((b == '}' || b == ']') && --depth == 0) {
                    return i + 1;
                }
            }
            return -1;
        }
        int i = position;
        while (i < input.length && !isWhitespace(input[i]) && input[i] != ',' && input[i] != '}' && input[i] != ']') {
            i++;
        }
        return i < input.length ? i : -1;
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
        prepareStreaming(node);
        return node;
    }

    /** What the streaming check needs besides the keywords: enum texts, property positions, required ones as a mask. */
    private static void prepareStreaming(Node node) {
        if (node.allowed != null) {
            node.allowedTexts = new HashSet<>();
            for (JsonNode member : node.allowed) {
                if (member.isTextual()) {
                    node.allowedTexts.add(member.textValue());
                }
                node.allowedNull |= member.isNull();
            }
        }
        if (node.properties != null) {
            int index = 0;
            for (Node property : node.properties.values()) {
                property.index = index++;
            }
        }
        if (node.required != null) {
            List<String> undeclared = new ArrayList<>();
            for (String name : node.required) {
                Node property = node.properties == null ? null : node.properties.get(name);
                if (property != null && property.index < 64) {
                    node.requiredMask |= 1L << property.index;
                }
                else {
                    undeclared.add(name);
                }
            }
            node.requiredUndeclared = undeclared.isEmpty() ? null : undeclared.toArray(String[]::new);
        }
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
