package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * k8s/ as a Kubernetes API server would take it: every kustomization renders ({@link Kustomize}), and every
 * object it renders parses strictly - unknown fields and wrongly typed values are errors, as with
 * {@code kubectl apply --validate=strict} - into the Kubernetes model of fabric8 (the Quarkus BOM's) or, for
 * the Strimzi custom resources of the dev overlay, into Strimzi's own model of its CRDs, and - for k8s/monitoring -
 * into {@link MonitoringModel}, the Prometheus Operator's fields Regent uses. An object of a kind
 * or API version neither knows is an error too.
 */
class KubernetesSchemaTest {

    private static final Path ROOT = Manifests.repositoryRoot();

    /** apiVersion/kind → the model class the API server's schema is generated from. */
    private static final Map<String, Class<?>> MODEL = model();

    /** The model's object mapper, made strict: the models' catch-all for unknown fields is switched off. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(Annotated annotated) {
                    return Boolean.FALSE; // fabric8's and Strimzi's additionalProperties would take any typo
                }
            })
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS) // replicas: "2" is not a number
            .build();

    static Stream<Path> kustomizations() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT.resolve("k8s"))) {
            return files.filter(f -> f.getFileName().toString().equals("kustomization.yaml"))
                    .map(f -> ROOT.relativize(f.getParent())).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyObjectRenderedParsesStrictlyIntoTheKubernetesModel(Path kustomization) {
        List<ObjectNode> objects = render(kustomization);
        assertThat(objects).as("%s renders objects", kustomization).isNotEmpty();
        List<String> problems = new ArrayList<>();
        for (ObjectNode object : objects) {
            schemaProblem(object).ifPresent(problems::add);
        }
        assertThat(problems).as("%s, rendered, against the Kubernetes and Strimzi schemas", kustomization).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyRegentImageRenderedIsOneTheBuildMakes(Path kustomization) {
        List<String> problems = new ArrayList<>();
        for (ObjectNode object : render(kustomization)) {
            for (JsonNode container : object.path("spec").path("template").path("spec").path("containers")) {
                String image = container.path("image").asText();
                if (!Manifests.builtHere(image)) {
                    problems.add(object.path("metadata").path("name").asText() + " runs " + image
                            + ", which no Dockerfile of this repository builds");
                }
            }
        }
        assertThat(problems).as("%s's images", kustomization).isEmpty();
    }

    @Test
    void theDevOverlayRendersWhatItsKustomizationSays() {
        List<ObjectNode> objects = render(Path.of("k8s/overlays/dev"));
        assertThat(objects).allSatisfy(o -> assertThat(o.path("kind").asText().equals("Namespace")
                || o.path("metadata").path("namespace").asText().equals("regent-dev")).as("%s in regent-dev",
                        o.path("metadata").path("name").asText()).isTrue());
        ObjectNode monitor = find(objects, "StatefulSet", "regent-monitor");
        assertThat(monitor.at("/spec/template/spec/topologySpreadConstraints/0/whenUnsatisfiable").asText())
                .as("the JSON 6902 patch").isEqualTo("ScheduleAnyway");
        JsonNode container = monitor.at("/spec/template/spec/containers/0");
        assertThat(container.path("image").asText()).isEqualTo("regent/monitor-service:dev");
        assertThat(container.at("/resources/limits/memory").asText()).as("the strategic merge patch")
                .isEqualTo("384Mi");
        assertThat(container.path("readinessProbe").isObject()).as("what the patch does not name stays").isTrue();
        assertThat(monitor.at("/spec/template/spec/volumes").findValuesAsText("secretName"))
                .contains("regent-cluster-ca-cert").doesNotContain("regent-kafka-ca");
        assertThat(find(objects, "Secret", "regent-secrets").path("data").has("session-secret")).isTrue();
        assertThat(find(objects, "ConfigMap", "regent-config").at("/data/REGENT_KAFKA_BOOTSTRAP").asText())
                .isEqualTo("regent-kafka-bootstrap:9093");
    }

    /** The check can fail: a misspelt field, a wrongly typed value, an unknown API version each are found. */
    @Test
    void aMisspeltFieldAWrongTypeAndAnUnknownApiVersionAreEachRefusedWithWhere() {
        ObjectNode registry = find(render(Path.of("k8s/base")), "Deployment", "regent-registry");
        assertThat(schemaProblem(registry)).as("as committed").isEmpty();

        ObjectNode misspelt = registry.deepCopy();
        ((ObjectNode) misspelt.at("/spec/template/spec/containers/0/ports/0")).put("containerPrt", 8080);
        assertThat(schemaProblem(misspelt)).get().asString().contains("containerPrt")
                .contains("spec.template.spec.containers[0].ports[0]");

        ObjectNode wrongType = registry.deepCopy();
        ((ObjectNode) wrongType.get("spec")).put("replicas", "two");
        assertThat(schemaProblem(wrongType)).get().asString().contains("spec.replicas");

        ObjectNode oldApi = registry.deepCopy();
        oldApi.put("apiVersion", "extensions/v1beta1");
        assertThat(schemaProblem(oldApi)).get().asString().contains("extensions/v1beta1 Deployment");

        ObjectNode kafkaTypo = find(render(Path.of("k8s/overlays/dev")), "Kafka", "regent").deepCopy();
        ((ObjectNode) kafkaTypo.at("/spec/kafka")).put("listners", kafkaTypo.at("/spec/kafka/listeners"));
        assertThat(schemaProblem(kafkaTypo)).get().asString().contains("listners");
    }

    /** Where {@code object} breaks the schema of its kind, in a sentence; empty when it does not. */
    static Optional<String> schemaProblem(ObjectNode object) {
        String type = object.path("apiVersion").asText() + " " + object.path("kind").asText();
        String name = type + " " + object.path("metadata").path("name").asText();
        Class<?> model = MODEL.get(type);
        if (model == null) {
            return Optional.of(name + ": " + type + " is not a kind this deployment targets (known: " + MODEL.keySet()
                    + ")");
        }
        try {
            STRICT.treeToValue(object, model);
            return Optional.empty();
        } catch (JsonMappingException e) {
            return Optional.of(name + ": at " + path(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
            } else {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static List<ObjectNode> render(Path kustomization) {
        // the env files a user copies from their committed .example (k8s/README.md) are read from the example
        return Kustomize.build(ROOT.resolve(kustomization), file -> Files.exists(file) ? file
                : file.resolveSibling(file.getFileName() + ".example"));
    }

    private static ObjectNode find(List<ObjectNode> objects, String kind, String name) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)
                && o.path("metadata").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
    }

    private static Map<String, Class<?>> model() {
        Map<String, Class<?>> model = new LinkedHashMap<>();
        for (Class<? extends HasMetadata> kind : List.of(Namespace.class, ConfigMap.class, Secret.class,
                Service.class, ServiceAccount.class, Deployment.class, StatefulSet.class, NetworkPolicy.class,
                PodDisruptionBudget.class)) {
            model.put(HasMetadata.getApiVersion(kind) + " " + HasMetadata.getKind(kind), kind);
        }
        // Strimzi serves each of its CRDs in several versions from one schema
        Kafka.VERSIONS.forEach(v -> model.put(Kafka.RESOURCE_GROUP + "/" + v + " Kafka", Kafka.class));
        KafkaNodePool.VERSIONS.forEach(v -> model.put(KafkaNodePool.RESOURCE_GROUP + "/" + v + " KafkaNodePool",
                KafkaNodePool.class));
        KafkaTopic.VERSIONS.forEach(v -> model.put(KafkaTopic.RESOURCE_GROUP + "/" + v + " KafkaTopic",
                KafkaTopic.class));
        KafkaUser.VERSIONS.forEach(v -> model.put(KafkaUser.RESOURCE_GROUP + "/" + v + " KafkaUser", KafkaUser.class));
        // k8s/monitoring: the Prometheus Operator's resources, in the subset Regent uses
        model.put("monitoring.coreos.com/v1 ServiceMonitor", MonitoringModel.ServiceMonitor.class);
        model.put("monitoring.coreos.com/v1 PrometheusRule", MonitoringModel.PrometheusRule.class);
        return model;
    }
}
