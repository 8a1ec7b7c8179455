package io.regent.devstack.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * {@code kustomize build} for what k8s/ uses, in Java: the tests render every overlay without a kustomize
 * binary (none comes from Debian or Maven Central). Supported: {@code resources} (files and directories with
 * their own kustomization), {@code namespace}, {@code secretGenerator}/{@code configMapGenerator} with
 * {@code envs} and {@code literals}, {@code images}, and {@code patches} - strategic merge patches (lists
 * merged by their Kubernetes merge key) and JSON 6902 operations {@code add}, {@code replace}, {@code remove}
 * on a {@code target}. Any other field of a kustomization is refused, so a manifest change this renderer
 * does not understand fails the tests instead of being rendered wrong.
 * <p>
 * Unlike kustomize, a generated Secret or ConfigMap keeps its name (no content hash suffix, which kustomize
 * also writes into every reference): checks against names stay simple, and nothing else changes.
 * Compared, on the day it was written, with kubectl 1.32's kustomize (v5.5.0) on k8s/base and
 * k8s/overlays/dev: the same objects with the same fields and values; only the order of a list's elements
 * after a strategic merge differs (kustomize puts the patched ones first), which no API server minds.
 */
final class Kustomize {

    static final YAMLMapper YAML = new YAMLMapper();

    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "namespace", "resources",
            "secretGenerator", "configMapGenerator", "images", "patches");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass");
    /** Lists a strategic merge patch merges element by element, by this field (Kubernetes' patchMergeKey). */
    private static final Map<String, String> MERGE_KEYS = Map.of("containers", "name", "initContainers", "name",
            "volumes", "name", "env", "name", "volumeMounts", "mountPath", "imagePullSecrets", "name",
            "topologySpreadConstraints", "topologyKey", "volumeClaimTemplates", "metadata.name");

    private final UnaryOperator<Path> files;

    /** @param files where to read a file the kustomization names (e.g. an uncommitted env file's example) */
    private Kustomize(UnaryOperator<Path> files) {
        this.files = files;
    }

    /** The objects {@code kustomize build dir} prints, in the order it builds them. */
    static List<ObjectNode> build(Path dir, UnaryOperator<Path> files) {
        return new Kustomize(files).render(dir);
    }

    /** Every YAML document of a file, as objects (empty documents skipped). */
    static List<ObjectNode> documents(Path file) {
        List<ObjectNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document instanceof ObjectNode object) {
                    documents.add(object);
                } else if (document != null && !document.isNull() && !document.isMissingNode()) {
                    throw new IllegalArgumentException(file + ": a document that is not an object: " + document);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
        return documents;
    }

    private List<ObjectNode> render(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        ObjectNode kustomization = single(file);
        kustomization.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED.contains(field)) {
                throw new IllegalArgumentException(file + ": kustomization field '" + field + "' is not supported by"
                        + " this renderer; teach " + Kustomize.class.getSimpleName() + " or leave it out");
            }
        });
        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                objects.addAll(render(path));
            } else {
                objects.addAll(documents(path));
            }
        }
        for (JsonNode generator : kustomization.path("configMapGenerator")) {
            objects.add(generate(dir, generator, "ConfigMap", false));
        }
        for (JsonNode generator : kustomization.path("secretGenerator")) {
            objects.add(generate(dir, generator, "Secret", true));
        }
        for (JsonNode patch : kustomization.path("patches")) {
            applyPatch(dir, patch, objects);
        }
        if (kustomization.hasNonNull("namespace")) {
            String namespace = kustomization.get("namespace").asText();
            objects.stream().filter(o -> !CLUSTER_SCOPED.contains(o.path("kind").asText()))
                    .forEach(o -> metadata(o).put("namespace", namespace));
        }
        for (JsonNode image : kustomization.path("images")) {
            only(image, Set.of("name", "newName", "newTag", "digest"), "images");
            objects.forEach(o -> setImages(o, image));
        }
        return objects;
    }

    private ObjectNode generate(Path dir, JsonNode generator, String kind, boolean base64) {
        only(generator, Set.of("name", "envs", "literals", "type"), kind + "Generator");
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        object.put("apiVersion", "v1").put("kind", kind);
        object.putObject("metadata").put("name", generator.path("name").asText());
        if (kind.equals("Secret")) {
            object.put("type", generator.path("type").asText("Opaque"));
        }
        ObjectNode data = object.putObject("data");
        List<String> lines = new ArrayList<>();
        for (JsonNode env : generator.path("envs")) {
            try {
                lines.addAll(Files.readAllLines(files.apply(dir.resolve(env.asText())), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        generator.path("literals").forEach(literal -> lines.add(literal.asText()));
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int equals = trimmed.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException(kind + " " + generator.path("name").asText() + ": not KEY=VALUE: "
                        + trimmed);
            }
            String value = trimmed.substring(equals + 1);
            data.put(trimmed.substring(0, equals), base64
                    ? Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) : value);
        }
        return object;
    }

    private void applyPatch(Path dir, JsonNode entry, List<ObjectNode> objects) {
        only(entry, Set.of("path", "patch", "target"), "patches");
        String text;
        try {
            text = entry.has("path") ? Files.readString(dir.resolve(entry.get("path").asText()))
                    : entry.path("patch").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode patch;
        try {
            patch = YAML.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable patch " + entry, e);
        }
        JsonNode target = entry.path("target");
        if (patch.isArray()) {
            if (target.isMissingNode()) {
                throw new IllegalArgumentException("a JSON 6902 patch needs a target: " + entry);
            }
            List<ObjectNode> matched = objects.stream().filter(o -> matches(o, target)).toList();
            if (matched.isEmpty()) {
                throw new IllegalArgumentException("patch target matches nothing: " + target);
            }
            matched.forEach(o -> patch.forEach(op -> jsonPatch(o, op)));
            return;
        }
        ObjectNode strategic = (ObjectNode) patch;
        JsonNode selector = target.isMissingNode() ? strategic : target;
        List<ObjectNode> matched = objects.stream().filter(o -> target.isMissingNode()
                ? o.path("kind").asText().equals(strategic.path("kind").asText())
                        && metadata(o).path("name").asText().equals(strategic.path("metadata").path("name").asText())
                : matches(o, selector)).toList();
        if (matched.isEmpty()) {
            throw new IllegalArgumentException("patch matches no object: " + strategic.path("kind").asText() + " "
                    + strategic.path("metadata").path("name").asText());
        }
        for (ObjectNode object : matched) {
            ObjectNode merged = (ObjectNode) merge(object, strategic, "");
            object.removeAll();
            object.setAll(merged);
        }
    }

    private static boolean matches(ObjectNode object, JsonNode target) {
        only(target, Set.of("kind", "name"), "patch target");
        return (!target.has("kind") || object.path("kind").asText().equals(target.get("kind").asText()))
                && (!target.has("name") || metadata(object).path("name").asText().equals(target.get("name").asText()));
    }

    /** Kubernetes' strategic merge: objects field by field, listed merge keys element by element, else replace. */
    private static JsonNode merge(JsonNode target, JsonNode patch, String field) {
        if (target instanceof ObjectNode into && patch instanceof ObjectNode from) {
            ObjectNode result = into.deepCopy();
            Iterator<Map.Entry<String, JsonNode>> fields = from.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (f.getKey().startsWith("$")) {
                    throw new IllegalArgumentException("patch directive " + f.getKey() + " is not supported");
                }
                if (f.getValue().isNull()) {
                    result.remove(f.getKey());
                } else if (result.has(f.getKey())) {
                    result.set(f.getKey(), merge(result.get(f.getKey()), f.getValue(), f.getKey()));
                } else {
                    result.set(f.getKey(), f.getValue().deepCopy());
                }
            }
            return result;
        }
        String key = mergeKey(field, patch);
        if (target instanceof ArrayNode into && patch instanceof ArrayNode from && key != null) {
            ArrayNode result = into.deepCopy();
            for (JsonNode element : from) {
                JsonNode id = at(element, key);
                int index = -1;
                for (int i = 0; i < result.size(); i++) {
                    if (at(result.get(i), key).equals(id)) {
                        index = i;
                    }
                }
                if (index < 0) {
                    result.add(element.deepCopy());
                } else {
                    result.set(index, merge(result.get(index), element, ""));
                }
            }
            return result;
        }
        return patch.deepCopy();
    }

    private static String mergeKey(String field, JsonNode patch) {
        if (field.equals("ports")) { // a container's ports merge by containerPort, a Service's by port
            return patch.path(0).has("containerPort") ? "containerPort" : "port";
        }
        return MERGE_KEYS.get(field);
    }

    private static JsonNode at(JsonNode node, String dotted) {
        JsonNode at = node;
        for (String part : dotted.split("\\.")) {
            at = at.path(part);
        }
        return at;
    }

    private static void jsonPatch(ObjectNode object, JsonNode op) {
        only(op, Set.of("op", "path", "value"), "JSON 6902 operation");
        String[] pointer = op.path("path").asText().substring(1).split("/");
        JsonNode parent = object;
        for (int i = 0; i < pointer.length - 1; i++) {
            String step = pointer[i].replace("~1", "/").replace("~0", "~");
            parent = parent.isArray() ? parent.path(Integer.parseInt(step)) : parent.path(step);
            if (parent.isMissingNode()) {
                throw new IllegalArgumentException("no " + op.path("path").asText() + " in "
                        + metadata(object).path("name").asText());
            }
        }
        String last = pointer[pointer.length - 1].replace("~1", "/").replace("~0", "~");
        String kind = op.path("op").asText();
        boolean exists = parent.isArray() ? !last.equals("-") && parent.has(Integer.parseInt(last)) : parent.has(last);
        if ((kind.equals("replace") || kind.equals("remove")) && !exists) {
            throw new IllegalArgumentException(kind + " of a path that does not exist: " + op.path("path").asText());
        }
        switch (kind) {
            case "add", "replace" -> {
                if (parent instanceof ArrayNode array) {
                    if (last.equals("-")) {
                        array.add(op.get("value").deepCopy());
                    } else if (kind.equals("add")) {
                        array.insert(Integer.parseInt(last), op.get("value").deepCopy());
                    } else {
                        array.set(Integer.parseInt(last), op.get("value").deepCopy());
                    }
                } else {
                    ((ObjectNode) parent).set(last, op.get("value").deepCopy());
                }
            }
            case "remove" -> {
                if (parent instanceof ArrayNode array) {
                    array.remove(Integer.parseInt(last));
                } else {
                    ((ObjectNode) parent).remove(last);
                }
            }
            default -> throw new IllegalArgumentException("JSON 6902 op '" + kind + "' is not supported");
        }
    }

    /** The images transformer: every container's image named {@code image.name} gets its new name and tag. */
    private static void setImages(JsonNode node, JsonNode image) {
        if (node instanceof ObjectNode object) {
            for (String list : List.of("containers", "initContainers")) {
                for (JsonNode container : object.path(list)) {
                    String current = container.path("image").asText(null);
                    if (current != null && imageName(current).equals(image.path("name").asText())) {
                        String name = image.path("newName").asText(imageName(current));
                        String reference = image.has("digest") ? name + "@" + image.get("digest").asText()
                                : name + ":" + image.path("newTag").asText(imageTag(current));
                        ((ObjectNode) container).put("image", reference);
                    }
                }
            }
            object.elements().forEachRemaining(child -> setImages(child, image));
        } else if (node instanceof ArrayNode array) {
            array.forEach(child -> setImages(child, image));
        }
    }

    static String imageName(String image) {
        String withoutDigest = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        int colon = withoutDigest.lastIndexOf(':');
        return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.substring(0, colon) : withoutDigest;
    }

    private static String imageTag(String image) {
        String name = imageName(image);
        return image.length() > name.length() + 1 && image.charAt(name.length()) == ':'
                ? image.substring(name.length() + 1) : "latest";
    }

    private static ObjectNode metadata(ObjectNode object) {
        return object.has("metadata") ? (ObjectNode) object.get("metadata") : object.putObject("metadata");
    }

    private static ObjectNode single(Path file) {
        List<ObjectNode> documents = documents(file);
        if (documents.size() != 1) {
            throw new IllegalArgumentException(file + ": expected one document, found " + documents.size());
        }
        return documents.get(0);
    }

    private static void only(JsonNode node, Set<String> fields, String what) {
        node.fieldNames().forEachRemaining(field -> {
            if (!fields.contains(field)) {
                throw new IllegalArgumentException(what + " field '" + field + "' is not supported by this renderer");
            }
        });
    }
}
