package io.regent.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Keeps the records, the JSON Schemas and the pinned field lists in agreement. The pinned lists
 * ({@code src/test/resources/pinned/*.fields}) are the published contract: a field may be added
 * (add it to the schema, then to the pin), but removing or renaming a pinned field, or changing
 * its type, fails here - in the record or in the schema.
 */
class SchemaContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private final EventCodec codec = new EventCodec(URI.create("/regent/test"));

    @ParameterizedTest(name = "{0}")
    @EnumSource(EventType.class)
    void fullAndMinimalEventsValidateAgainstTheirSchema(EventType type) throws IOException {
        JsonSchema schema = FACTORY.getSchema(schemaNode(type));

        for (RegentEvent event : new RegentEvent[] {EventSamples.full().get(type), EventSamples.minimal().get(type)}) {
            Set<ValidationMessage> errors = schema.validate(dataOf(event));
            assertThat(errors).as("%s violates its schema", event).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EventType.class)
    void everyFieldTheRecordWritesIsDeclaredInTheSchema(EventType type) throws IOException {
        Map<String, String> declared = flattenSchema(schemaNode(type));
        Map<String, String> written = flattenInstance(dataOf(EventSamples.full().get(type)));

        assertThat(declared.keySet()).as("fields the record writes but %s does not declare", type.schemaResource())
                .containsAll(written.keySet());
        written.forEach((path, jsonType) -> assertThat(declared.get(path)).as("type of %s", path)
                .isEqualTo(jsonType));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EventType.class)
    void pinnedFieldsStayInSchemaAndRecordWithTheirTypes(EventType type) throws IOException {
        Map<String, String> pinned = pinnedFields(type);
        Map<String, String> declared = flattenSchema(schemaNode(type));
        Map<String, String> written = flattenInstance(dataOf(EventSamples.full().get(type)));

        assertThat(pinned).as("pin for %s", type).isNotEmpty();
        pinned.forEach((path, jsonType) -> {
            assertThat(declared).as("schema %s lost or retyped pinned field", type.schemaResource())
                    .containsEntry(path, jsonType);
            assertThat(written).as("record %s lost or retyped pinned field", type.recordClass().getSimpleName())
                    .containsEntry(path, jsonType);
        });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EventType.class)
    void requiredFieldsInTheSchemaArePinned(EventType type) throws IOException {
        JsonNode schema = schemaNode(type);
        Set<String> required = new TreeSet<>();
        schema.path("required").forEach(n -> required.add(n.asText()));

        assertThat(pinnedFields(type).keySet()).containsAll(required);
    }

    private JsonNode dataOf(RegentEvent event) throws IOException {
        return JSON.readTree(codec.encode(event)).get("data");
    }

    private static JsonNode schemaNode(EventType type) throws IOException {
        try (InputStream in = EventType.class.getResourceAsStream(type.schemaResource())) {
            assertThat(in).as("schema %s on the classpath", type.schemaResource()).isNotNull();
            return JSON.readTree(in);
        }
    }

    private static Map<String, String> pinnedFields(EventType type) throws IOException {
        String resource = "/pinned/" + type.schemaResource().substring(type.schemaResource().lastIndexOf('/') + 1)
                .replace(".schema.json", ".fields");
        Map<String, String> pinned = new TreeMap<>();
        try (InputStream in = SchemaContractTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("pinned field list %s", resource).isNotNull();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                String[] parts = trimmed.split(":\\s*", 2);
                pinned.put(parts[0], parts[1]);
            }
        }
        return pinned;
    }

    /** path → JSON type for every property the schema declares, following $ref into $defs. */
    static Map<String, String> flattenSchema(JsonNode root) {
        Map<String, String> out = new TreeMap<>();
        flattenSchema(root, root, "", out);
        return out;
    }

    private static void flattenSchema(JsonNode root, JsonNode node, String prefix, Map<String, String> out) {
        node = resolve(root, node);
        Iterator<Map.Entry<String, JsonNode>> props = node.path("properties").fields();
        while (props.hasNext()) {
            Map.Entry<String, JsonNode> prop = props.next();
            String path = prefix + prop.getKey();
            JsonNode property = resolve(root, prop.getValue());
            String type = property.path("type").asText();
            out.put(path, type);
            if (type.equals("object")) {
                flattenSchema(root, property, path + ".", out);
            } else if (type.equals("array")) {
                JsonNode items = resolve(root, property.path("items"));
                out.put(path + "[]", items.path("type").asText());
                if (items.path("type").asText().equals("object")) {
                    flattenSchema(root, items, path + "[].", out);
                }
            }
        }
    }

    private static JsonNode resolve(JsonNode root, JsonNode node) {
        if (node.has("$ref")) {
            String ref = node.get("$ref").asText();
            return root.at(ref.substring(1));
        }
        return node;
    }

    /** path → JSON type for every value an instance carries. */
    static Map<String, String> flattenInstance(JsonNode node) {
        Map<String, String> out = new TreeMap<>();
        flattenInstance(node, "", out);
        return out;
    }

    private static void flattenInstance(JsonNode node, String prefix, Map<String, String> out) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String path = prefix + field.getKey();
            JsonNode value = field.getValue();
            out.put(path, jsonType(value));
            if (value.isObject()) {
                flattenInstance(value, path + ".", out);
            } else if (value.isArray()) {
                for (JsonNode element : value) { // elements may differ in which optional fields they carry
                    out.put(path + "[]", jsonType(element));
                    if (element.isObject()) {
                        flattenInstance(element, path + "[].", out);
                    }
                }
            }
        }
    }

    private static String jsonType(JsonNode value) {
        if (value.isObject()) {
            return "object";
        } else if (value.isArray()) {
            return "array";
        } else if (value.isIntegralNumber()) {
            return "integer";
        } else if (value.isNumber()) {
            return "number";
        } else if (value.isBoolean()) {
            return "boolean";
        } else if (value.isNull()) {
            return "null";
        }
        return "string";
    }
}
