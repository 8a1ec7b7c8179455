package io.regent.devstack.deploy;

import static io.regent.devstack.deploy.Manifests.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every Regent service, wherever it is deployed: variables, Dockerfiles, probes and ports. */
class ServiceDeploymentTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#regentWorkloads")
    void environmentIsWhatTheServiceReads(Workload workload) {
        Problems problems = new Problems();
        problems.addAll(environmentProblems(workload));

        ServiceConfig config = CONFIGS.get(workload.module());
        boolean clientEnabled = workload.env().containsKey("REGENT_OIDC_CLIENT_ENABLED");
        if (clientEnabled) {
            problems.check("true".equals(literal(workload.env().get("REGENT_OIDC_CLIENT_ENABLED"))),
                    workload + ": REGENT_OIDC_CLIENT_ENABLED must be \"true\" - the service has no identity "
                            + "towards the registry otherwise");
        }
        if (clientEnabled || workload.env().containsKey("REGENT_OIDC_CLIENT_ID")) {
            String clientId = workload.env().containsKey("REGENT_OIDC_CLIENT_ID")
                    ? literal(workload.env().get("REGENT_OIDC_CLIENT_ID"))
                    : config.defaultOf("REGENT_OIDC_CLIENT_ID");
            JsonNode client = realmClient(clientId);
            if (client == null) {
                problems.add(workload + ": REGENT_OIDC_CLIENT_ID " + clientId + " is not a client of " + REALM_FILE
                        + " (clients: " + realmClientIds() + ")");
            } else {
                problems.check(client.path("serviceAccountsEnabled").asBoolean()
                                && !client.path("publicClient").asBoolean(),
                        workload + ": client " + clientId + " of " + REALM_FILE + " must be confidential with "
                                + "serviceAccountsEnabled: true for the client-credentials grant");
            }
        }
        problems.assertNone(workload + ": environment");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#regentWorkloads")
    void portsAndHealthChecksAreQuarkus(Workload workload) {
        Problems problems = new Problems();
        problems.addAll(moduleProblems(workload.module()));
        if (workload.container() == null) { // docker compose
            JsonNode check = workload.node().path("healthcheck");
            String test = text(check.path("test"));
            problems.check(!check.isMissingNode() && !check.path("disable").asBoolean(false),
                    workload + " has no healthcheck: add test: [CMD, curl, -fsS, http://localhost:" + HTTP_PORT
                            + READY + "] so that depends_on: service_healthy can wait for it");
            // a database node's container lives while its agent does: its server may rightly be down (waiting
            // for a rejoin), and the agent's readiness follows Kafka, which must not restart a database
            String endpoint = isNodeImage(workload) ? LIVE : READY;
            problems.check(test.matches("(?s).*(localhost|127\\.0\\.0\\.1):" + HTTP_PORT + Pattern.quote(endpoint) + ".*"),
                    workload + ": its healthcheck `" + test + "` should ask Quarkus' " + (endpoint.equals(LIVE)
                            ? "liveness" : "readiness") + " endpoint http://localhost:" + HTTP_PORT + endpoint);
            for (PortMapping port : composePorts(workload.node())) {
                problems.check(port.container() == HTTP_PORT, workload + " publishes container port "
                        + port.container() + ", but the service listens on " + HTTP_PORT);
            }
        } else {
            JsonNode container = workload.container();
            Map<String, Integer> named = new TreeMap<>();
            Set<Integer> ports = new TreeSet<>();
            for (JsonNode port : container.path("ports")) {
                ports.add(port.path("containerPort").asInt());
                if (port.hasNonNull("name")) {
                    named.put(port.path("name").asText(), port.path("containerPort").asInt());
                }
            }
            problems.check(ports.contains(HTTP_PORT), workload + ": container " + container.path("name").asText()
                    + " declares ports " + ports + "; the service listens on " + HTTP_PORT);
            problems.addAll(probeProblems(workload, container, "readinessProbe", Set.of(READY), named, true));
            problems.addAll(probeProblems(workload, container, "livenessProbe", Set.of(LIVE), named, true));
            problems.addAll(probeProblems(workload, container, "startupProbe", Set.of(LIVE, READY, STARTED), named,
                    false));
        }
        problems.assertNone(workload + ": ports and health checks");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#services")
    void dockerfileIsTheFastJarLayout(String module) {
        Problems problems = new Problems();
        Path dockerfile = ROOT.resolve(module).resolve(DOCKERFILE);
        if (!Files.isRegularFile(dockerfile)) {
            problems.add(module + " has no " + DOCKERFILE);
            problems.assertNone(module + "'s Dockerfile");
        }
        String text = read(dockerfile);
        String where = module + "/" + DOCKERFILE;
        // deploy/images/build.sh passes a local base where no registry is reachable; the default is what a user pulls
        Matcher base = Pattern.compile("(?m)^ARG\\s+BASE_IMAGE=(\\S+):(\\S+)$").matcher(text);
        problems.check(base.find() && !base.group(2).equals("latest"), where
                + ": ARG BASE_IMAGE=<a public image with a pinned tag> (e.g. debian:bookworm-slim), the base a build may replace");
        problems.check(Pattern.compile("(?m)^FROM\\s+\\$\\{BASE_IMAGE}\\s*$").matcher(text).find(),
                where + ": FROM ${BASE_IMAGE}");
        for (String layer : List.of("target/quarkus-app/lib/", "target/quarkus-app/*.jar", "target/quarkus-app/app/",
                "target/quarkus-app/quarkus/")) {
            problems.check(Pattern.compile("(?m)^COPY\\b.*" + Pattern.quote(layer)).matcher(text).find(),
                    where + ": no COPY of " + layer + " (the fast-jar layout has lib/, *.jar, app/, quarkus/)");
        }
        problems.check(Pattern.compile("(?m)^EXPOSE\\s+" + HTTP_PORT + "\\b").matcher(text).find(),
                where + ": EXPOSE " + HTTP_PORT + " (Quarkus' HTTP port)");
        problems.check(Pattern.compile("(?m)^USER\\s+185\\b").matcher(text).find(), where + ": USER 185 (not root)");
        problems.check(text.contains("-jar /deployments/quarkus-run.jar"),
                where + ": the entry point runs java -jar /deployments/quarkus-run.jar");
        problems.check(text.contains("-Dquarkus.http.host=0.0.0.0"),
                where + ": java needs -Dquarkus.http.host=0.0.0.0, or nothing outside the container reaches it");
        problems.check(read(ROOT.resolve(module).resolve("pom.xml")).contains("<artifactId>quarkus-maven-plugin</artifactId>"),
                module + "/pom.xml: the quarkus-maven-plugin builds target/quarkus-app");
        String jarType = CONFIGS.get(module).properties().getProperty("quarkus.package.jar.type", "fast-jar");
        problems.check(jarType.equals("fast-jar"), module + ": quarkus.package.jar.type=" + jarType
                + ", but the Dockerfile copies the fast-jar layout");
        problems.assertNone(where);
    }

    @Test
    void everyServiceIsDeployedByComposeAndKubernetes() {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        List<Workload> compose = composeWorkloads(compose());
        List<Workload> k8s = k8sWorkloads();
        for (String module : SERVICES) {
            problems.check(compose.stream().anyMatch(w -> w.module().equals(module)),
                    "docker-compose.yml runs no " + module + " (build: {context: ./" + module + "})");
            problems.check(k8s.stream().anyMatch(w -> w.module().equals(module)),
                    "k8s/base deploys no " + module + " (a Deployment with image regent/" + module + ")");
        }
        for (Map.Entry<String, JsonNode> service : services.entrySet()) {
            JsonNode build = service.getValue().path("build");
            if (build.isMissingNode()) {
                continue;
            }
            String context = build.isTextual() ? build.asText() : build.path("context").asText(".");
            String dockerfile = build.path("dockerfile").asText("Dockerfile");
            Path file = ROOT.resolve(context).resolve(dockerfile).normalize();
            problems.check(Files.isRegularFile(file), "docker-compose.yml service " + service.getKey() + " builds "
                    + ROOT.relativize(file) + ", which does not exist");
            problems.check(composeModule(service.getValue()).isPresent(), "docker-compose.yml service "
                    + service.getKey() + " builds " + context + ", which is none of " + SERVICES);
            problems.check(dockerfile.equals(DOCKERFILE), "docker-compose.yml service " + service.getKey()
                    + " should build " + DOCKERFILE + ", not " + dockerfile);
        }
        for (Manifest manifest : k8sBase()) {
            if (WORKLOAD_KINDS.contains(manifest.kind())) {
                for (JsonNode container : manifest.doc().path("spec").path("template").path("spec").path("containers")) {
                    String image = container.path("image").asText();
                    problems.check(!image.startsWith("regent/") || imageModule(image).isPresent(), manifest
                            + " runs image " + image + ", which is none of regent/" + SERVICES);
                }
            }
        }
        problems.assertNone("services deployed");
    }

    @Test
    void neededVariablesAreReadByTheirServices() {
        Problems problems = new Problems();
        NEEDED.forEach((module, variables) -> variables.keySet().forEach(variable -> problems.check(
                CONFIGS.get(module).refs().containsKey(variable), "this test's NEEDED table lists " + variable
                        + " for " + module + ", whose application.properties no longer reads it: update the table")));
        problems.assertNone("the NEEDED table");
    }

    /** The checker itself: a misspelt variable must be reported, with the name it probably meant. */
    @Test
    void environmentCheckCatchesAMisspeltVariable() {
        JsonNode snippet = yaml("""
                services:
                  registry:
                    build: { context: ./registry-service, dockerfile: src/main/docker/Dockerfile.jvm }
                    environment:
                      REGENT_REGISTRY_DB_URL: jdbc:postgresql://registry-db:5432/regent
                      REGENT_REGISTRY_DB_PASWORD: ${REGENT_REGISTRY_DB_PASSWORD:?}
                """);
        List<Workload> workloads = composeWorkloads(snippet);
        assertThat(workloads).hasSize(1);
        List<String> problems = environmentProblems(workloads.get(0));
        assertThat(problems).anySatisfy(p -> assertThat(p)
                .contains("sets REGENT_REGISTRY_DB_PASWORD")
                .contains("did you mean REGENT_REGISTRY_DB_PASSWORD"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("does not set REGENT_REGISTRY_DB_PASSWORD"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("does not set REGENT_REGISTRY_CREDENTIALS_KEY"));

        // and a literal secret is caught too
        JsonNode literal = yaml("""
                services:
                  db:
                    image: postgres:16
                    environment: { POSTGRES_PASSWORD: hunter2 }
                """);
        assertThat(composeSecretProblems(literal)).singleElement().asString().contains("POSTGRES_PASSWORD");
    }
}
