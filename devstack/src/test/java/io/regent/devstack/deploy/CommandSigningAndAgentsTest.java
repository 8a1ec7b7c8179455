package io.regent.devstack.deploy;

import static io.regent.devstack.deploy.Manifests.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.events.kafka.CommandSignature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Operator commands and observations: only the gateways hold the command signing key, the failover-services its
 * public half, and the known agents are exactly the agents the deployment runs.
 */
class CommandSigningAndAgentsTest {

    @Test
    void onlyTheGatewaysGetTheCommandSigningKey() {
        Problems problems = new Problems();
        problems.addAll(composeSigningKeyProblems(compose()));
        for (Workload workload : k8sWorkloads()) {
            boolean gateway = workload.module().equals("api-gateway");
            if (gateway) {
                JsonNode entry = workload.env().get(SIGNING_KEY);
                JsonNode ref = entry == null ? JSON.createObjectNode() : entry.path("valueFrom").path("secretKeyRef");
                problems.check(ref.path("name").asText().equals(SIGNING_SECRET) && ref.path("key").asText().equals(
                        SIGNING_SECRET_KEY), workload + ": " + SIGNING_KEY + " should come from Secret " + SIGNING_SECRET
                        + ", key " + SIGNING_SECRET_KEY + " (k8s/README.md), never from the manifest or a ConfigMap");
            }
            problems.check(gateway || !k8sSecretsRead(workload).contains(SIGNING_SECRET), workload + " reads Secret "
                    + SIGNING_SECRET + ": the command signing key belongs to the gateways only - whoever holds it can "
                    + "make the failover-service switch over, fail over or stop acting");
        }
        problems.assertNone("the command signing key");
    }

    @Test
    void failoverServicesVerifyCommandsWithThePublicKey() {
        Problems problems = new Problems();
        JsonNode compose = compose();
        for (Workload failover : composeWorkloads(compose)) {
            if (!failover.module().equals("failover-service")) {
                continue;
            }
            String value = literal(failover.env().get(VERIFY_KEYS));
            Optional<String> variable = reference(value);
            problems.check(variable.isPresent() && !variable.get().equals(SIGNING_KEY), failover + ": " + VERIFY_KEYS
                    + " is " + value + "; it should be ${" + VERIFY_KEYS + ":?...} from .env, the public half of the "
                    + "gateways' " + SIGNING_KEY + " (" + MAKE_COMMAND_KEYS + " prints both lines)");
        }
        for (Workload failover : k8sWorkloads()) {
            if (!failover.module().equals("failover-service")) {
                continue;
            }
            List<Path> deployments = new ArrayList<>();
            deployments.add(null); // the base
            deployments.addAll(overlays());
            for (Path overlay : deployments) {
                String where = (overlay == null ? "" : ROOT.relativize(overlay) + ": ") + failover;
                k8sEnvValue(failover, VERIFY_KEYS, overlay, k8sBase())
                        .ifPresent(value -> problems.addAll(verifyKeyProblems(where, value)));
            }
        }
        Path script = ROOT.resolve(MAKE_COMMAND_KEYS);
        problems.check(Files.isRegularFile(script) && Files.isExecutable(script), MAKE_COMMAND_KEYS + " should exist "
                + "and be executable: .env.example and k8s/README.md make the key pair with it");
        problems.check(read(ROOT.resolve(".env.example")).contains(MAKE_COMMAND_KEYS), ".env.example should say that "
                + SIGNING_KEY + " and " + VERIFY_KEYS + " come from " + MAKE_COMMAND_KEYS + " (random bytes are no key pair)");
        problems.assertNone("the command verification keys");
    }

    @Test
    void knownAgentsAreTheAgentsComposeRuns() {
        Problems problems = new Problems();
        problems.addAll(composeKnownAgentProblems(compose()));
        problems.assertNone("known agents in docker-compose.yml");
    }

    @Test
    void knownAgentsAreTheAgentsKubernetesRuns() {
        Problems problems = new Problems();
        problems.addAll(k8sKnownAgentProblems(k8sBase(), null));
        // an overlay's own resources may run agents too (overlays/dev: the node agents of demo-cluster.yaml)
        overlays().forEach(overlay -> problems.addAll(k8sKnownAgentProblems(kustomize(overlay), overlay)));
        problems.assertNone("known agents in k8s/");
    }

    /** The checkers themselves: an agent left out of the list, and the signing key where it does not belong. */
    @Test
    void commandAndAgentChecksCatchWhatTheyAreFor() {
        JsonNode snippet = yaml("""
                services:
                  agent-a:
                    image: regent/monitor-service:dev
                    environment: { REGENT_AGENT_ID: agent-a }
                  agent-b:
                    image: regent/monitor-service:dev
                    environment: { REGENT_AGENT_ID: agent-b }
                  agent-c:
                    image: regent/monitor-service:dev
                    hostname: agent-c
                  failover:
                    image: regent/failover-service:dev
                    environment:
                      REGENT_KNOWN_AGENTS: agent-a,agent-x
                      REGENT_COMMAND_VERIFY_KEYS: ${REGENT_COMMAND_SIGNING_KEY:?}
                  gateway:
                    image: regent/api-gateway:dev
                    environment:
                      REGENT_KNOWN_AGENTS: "*"
                      REGENT_COMMAND_SIGNING_KEY: ${REGENT_COMMAND_SIGNING_KEY:?}
                  gateway-2:
                    image: regent/api-gateway:dev
                    environment: { REGENT_COMMAND_SIGNING_KEY: not-a-reference }
                """);
        List<String> agents = composeKnownAgentProblems(snippet);
        assertThat(agents).anySatisfy(p -> assertThat(p).contains("service failover")
                .contains("does not list [agent-b, agent-c]"));
        assertThat(agents).anySatisfy(p -> assertThat(p).contains("service failover").contains("lists [agent-x]"));
        assertThat(agents).anySatisfy(p -> assertThat(p).contains("service gateway").contains("every agent id"));
        assertThat(composeKnownAgentProblems(yaml("""
                services:
                  agent:
                    image: regent/monitor-service:dev
                """))).singleElement().asString().contains("service agent").contains("REGENT_AGENT_ID");
        List<String> signing = composeSigningKeyProblems(snippet);
        assertThat(signing).anySatisfy(p -> assertThat(p).contains("service failover").contains("gateways only"));
        assertThat(signing).anySatisfy(p -> assertThat(p).contains("service gateway-2").contains("from .env"));
        assertThat(signing).noneMatch(p -> p.contains("service gateway "));
        String[] pair = CommandSignature.newKeyPair(); // private, public
        assertThat(verifyKeyProblems("snippet", pair[1] + "," + pair[0])).singleElement().asString()
                .contains("not a Base64 X.509").doesNotContain(pair[0].substring(12)); // the private key is not shown
        assertThat(verifyKeyProblems("snippet", pair[1])).isEmpty();

        // Kubernetes: a fourth agent the ConfigMap does not list; agents whose pods have random names
        String manifests = """
                apiVersion: v1
                kind: ConfigMap
                metadata: { name: regent-config }
                data: { REGENT_KNOWN_AGENTS: "regent-monitor-0,regent-monitor-1,regent-monitor-2" }
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: { name: regent-monitor }
                spec:
                  replicas: 4
                  template:
                    spec:
                      containers:
                        - { name: monitor, image: "regent/monitor-service:0.1.0" }
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: { name: regent-failover }
                spec:
                  template:
                    spec:
                      containers:
                        - name: failover
                          image: regent/failover-service:0.1.0
                          env:
                            - name: REGENT_KNOWN_AGENTS
                              valueFrom: { configMapKeyRef: { name: regent-config, key: REGENT_KNOWN_AGENTS } }
                """;
        assertThat(k8sKnownAgentProblems(snippetManifests(manifests), null)).singleElement().asString()
                .contains("does not list [regent-monitor-3]");
        assertThat(k8sKnownAgentProblems(snippetManifests(manifests.replace("kind: StatefulSet", "kind: Deployment")),
                null)).anySatisfy(p -> assertThat(p).contains("Deployment regent-monitor").contains("StatefulSet"));
    }
}
