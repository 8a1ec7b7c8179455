package io.regent.devstack.deploy;

import static io.regent.devstack.deploy.Manifests.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.events.KafkaAccess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Kafka: SASL_SSL everywhere, one principal per service, the ACLs of KafkaAccess, in compose and Strimzi. */
class KafkaDeploymentTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#services")
    void everyServiceHasAKafkaPrincipalOfItsOwn(String module) {
        Problems problems = new Problems();
        String principal = KAFKA_PRINCIPALS.get(module);
        problems.check(principal != null && KafkaAccess.SERVICE_PRINCIPALS.contains(principal), "this test's "
                + "KAFKA_PRINCIPALS gives " + module + " no principal of io.regent.events.KafkaAccess.SERVICE_PRINCIPALS");
        problems.check(KafkaAccess.GRANTS.stream().anyMatch(g -> g.principal().equals(principal)),
                "io.regent.events.KafkaAccess grants " + principal + " (" + module + ") nothing");
        ServiceConfig config = CONFIGS.get(module);
        String byDefault = config.defaultOf("REGENT_KAFKA_USERNAME");
        problems.check(config.refs().containsKey("REGENT_KAFKA_USERNAME") && config.refs().containsKey("REGENT_KAFKA_PASSWORD"),
                config.file() + " should read REGENT_KAFKA_USERNAME and REGENT_KAFKA_PASSWORD (kafka.sasl.jaas.config)");
        problems.check(byDefault == null || byDefault.equals(principal), config.file() + " logs in to Kafka as " + byDefault
                + " by default; the service's principal is " + principal);
        problems.check(config.refs().containsKey("REGENT_KAFKA_SECURITY_PROTOCOL"), config.file()
                + " should read REGENT_KAFKA_SECURITY_PROTOCOL (kafka.security.protocol): the deployments set SASL_SSL");
        problems.assertNone(module + ": Kafka principal");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#regentWorkloads")
    void kafkaClientLogsInAsItsOwnPrincipalOverTls(Workload workload) {
        Problems problems = new Problems();
        String principal = KAFKA_PRINCIPALS.get(workload.module());
        Map<String, JsonNode> env = workload.env();
        String username = literal(env.get("REGENT_KAFKA_USERNAME"));
        problems.check(Objects.equals(principal, username), workload + ": REGENT_KAFKA_USERNAME is " + username
                + "; set it to " + principal + ", the service's own principal (io.regent.events.KafkaAccess)");
        String protocol = literal(env.get("REGENT_KAFKA_SECURITY_PROTOCOL"));
        problems.check("SASL_SSL".equals(protocol), workload + ": REGENT_KAFKA_SECURITY_PROTOCOL is " + protocol
                + "; set it to SASL_SSL - the broker takes authenticated, encrypted clients only");
        String type = literal(env.get("KAFKA_SSL_TRUSTSTORE_TYPE"));
        problems.check("PEM".equals(type), workload + ": KAFKA_SSL_TRUSTSTORE_TYPE is " + type
                + "; set it to PEM (the CA certificate, as deploy/kafka/make-certs.sh and Strimzi write it)");
        String truststore = literal(env.get("KAFKA_SSL_TRUSTSTORE_LOCATION"));
        JsonNode password = env.get("REGENT_KAFKA_PASSWORD");
        if (workload.container() == null) { // docker compose
            Optional<String> variable = reference(literal(password));
            Optional<String> created = Optional.ofNullable(composeKafkaPasswordVariables().get(principal));
            problems.check(variable.isPresent() && variable.equals(created), workload + ": REGENT_KAFKA_PASSWORD is "
                    + literal(password) + "; it must be the ${...} variable kafka-init creates " + principal + " with ("
                    + created.orElse("none: see " + SETUP_USERS + " and kafka-init's environment") + ")");
            Optional<Mounted> ca = truststore == null ? Optional.empty() : composeMountedFrom(workload.node(), truststore);
            problems.check(ca.isPresent() && ca.get().host().equals(KAFKA_CLIENT_CA) && ca.get().readOnly(), workload
                    + ": KAFKA_SSL_TRUSTSTORE_LOCATION " + truststore + " should be ./" + ROOT.relativize(KAFKA_CLIENT_CA)
                    + " (written by deploy/kafka/make-certs.sh), mounted read-only; it is "
                    + ca.map(m -> ROOT.relativize(m.host()) + (m.readOnly() ? "" : " (writable)")).orElse("no mounted file"));
        } else {
            JsonNode ref = password == null ? JSON.createObjectNode() : password.path("valueFrom").path("secretKeyRef");
            String secret = KAFKA_SECRET_PREFIX + principal;
            problems.check(ref.path("name").asText().equals(secret) && ref.path("key").asText().equals("password"), workload
                    + ": REGENT_KAFKA_PASSWORD should come from Secret " + secret + ", key password (" + principal
                    + "'s own Secret, the one Strimzi's User Operator makes with secretPrefix " + KAFKA_SECRET_PREFIX + ")");
            Optional<SecretFile> ca = truststore == null ? Optional.empty() : k8sSecretFile(workload, truststore);
            problems.check(ca.isPresent() && ca.get().key().equals("ca.crt"), workload + ": KAFKA_SSL_TRUSTSTORE_LOCATION "
                    + truststore + " should be key ca.crt of a Secret volume mounted into the container");
            String readme = read(ROOT.resolve("k8s/README.md"));
            ca.ifPresent(file -> problems.check(readme.contains("`" + file.secret() + "`") && readme.contains("`ca.crt`"),
                    workload + " reads the Kafka CA from key ca.crt of Secret " + file.secret()
                            + ": document both in k8s/README.md (and how to make them)"));
        }
        problems.assertNone(workload + ": Kafka client");
    }

    @Test
    void composeKafkaTakesOnlyAuthenticatedEncryptedClients() {
        Problems problems = new Problems();
        JsonNode compose = compose();
        Map<String, JsonNode> services = composeServices(compose);
        List<String> brokers = services.keySet().stream()
                .filter(name -> composeEnvironment(services.get(name)).containsKey("KAFKA_PROCESS_ROLES")).toList();
        problems.check(!brokers.isEmpty(), "docker-compose.yml runs no Kafka broker (a service with KAFKA_PROCESS_ROLES)");
        for (String name : brokers) {
            JsonNode broker = services.get(name);
            String where = "docker-compose.yml service " + name;
            Map<String, String> env = composeEnvironment(broker);
            Map<String, String> protocols = new TreeMap<>();
            for (String entry : env.getOrDefault("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(",")) {
                String[] pair = entry.trim().split(":");
                if (pair.length == 2) {
                    protocols.put(pair[0], pair[1]);
                }
            }
            for (String listener : env.getOrDefault("KAFKA_LISTENERS", "").split(",")) {
                String listenerName = listener.trim().replaceFirst("://.*$", "");
                String protocol = protocols.getOrDefault(listenerName, listenerName); // or named after its protocol
                problems.check(protocol.equals("SASL_SSL"), where + ": listener " + listener.trim() + " is " + protocol
                        + "; every listener, the controller's too, should be SASL_SSL - anything else is a way in "
                        + "without a password, or without encryption");
            }
            for (String advertised : env.getOrDefault("KAFKA_ADVERTISED_LISTENERS", "").split(",")) {
                String listenerName = advertised.trim().replaceFirst("://.*$", "");
                String mechanisms = env.getOrDefault("KAFKA_LISTENER_NAME_" + listenerName + "_SASL_ENABLED_MECHANISMS",
                        env.get("KAFKA_SASL_ENABLED_MECHANISMS"));
                problems.check("SCRAM-SHA-512".equals(mechanisms), where + ": clients log in on " + listenerName
                        + " with " + mechanisms + "; offer SCRAM-SHA-512 only (the services' kafka.sasl.mechanism)");
            }
            String controllerListener = env.getOrDefault("KAFKA_CONTROLLER_LISTENER_NAMES", "");
            String controllerMechanisms = env.getOrDefault("KAFKA_LISTENER_NAME_" + controllerListener
                    + "_SASL_ENABLED_MECHANISMS", env.get("KAFKA_SASL_ENABLED_MECHANISMS"));
            problems.check("PLAIN".equals(controllerMechanisms) && "PLAIN".equals(env.get("KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL")),
                    where + ": the controller listener " + controllerListener + " should take SASL PLAIN with its one static "
                            + "user " + KAFKA_CONTROLLER + " (" + KAFKA_START + " writes it); it offers " + controllerMechanisms);
            problems.check(STANDARD_AUTHORIZER.equals(env.get("KAFKA_AUTHORIZER_CLASS_NAME")), where
                    + ": KAFKA_AUTHORIZER_CLASS_NAME should be " + STANDARD_AUTHORIZER + " (it is "
                    + env.get("KAFKA_AUTHORIZER_CLASS_NAME") + "): without an authorizer every principal may do anything");
            problems.check("false".equals(env.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND")), where
                    + ": KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND should be \"false\": a resource without ACLs is closed");
            Set<String> superUsers = new TreeSet<>();
            for (String user : env.getOrDefault("KAFKA_SUPER_USERS", "").split(";")) {
                if (!user.isBlank()) {
                    superUsers.add(user.trim());
                }
            }
            problems.check(superUsers.equals(Set.of("User:" + KafkaAccess.ADMIN, "User:" + KAFKA_CONTROLLER)), where
                    + ": KAFKA_SUPER_USERS is " + superUsers + "; it should be exactly User:" + KafkaAccess.ADMIN + ";User:"
                    + KAFKA_CONTROLLER + " - a service principal must live with its ACLs");
            problems.check("PEM".equals(env.get("KAFKA_SSL_KEYSTORE_TYPE")) && composeMountedFrom(broker,
                            env.getOrDefault("KAFKA_SSL_KEYSTORE_LOCATION", "/nowhere"))
                            .filter(m -> m.host().equals(KAFKA_KEYSTORE) && m.readOnly()).isPresent(),
                    where + ": KAFKA_SSL_KEYSTORE_LOCATION should be ./" + ROOT.relativize(KAFKA_KEYSTORE)
                            + " (deploy/kafka/make-certs.sh) mounted read-only, KAFKA_SSL_KEYSTORE_TYPE PEM");
            problems.check(composeMountedFrom(broker, env.getOrDefault("KAFKA_SSL_TRUSTSTORE_LOCATION", "/nowhere"))
                            .filter(m -> m.host().equals(KAFKA_CLIENT_CA)).isPresent(),
                    where + ": KAFKA_SSL_TRUSTSTORE_LOCATION should be ./" + ROOT.relativize(KAFKA_CLIENT_CA)
                            + " (its own connections to the controller listener verify the certificate)");
            Optional<Mount> start = composeMounts(broker).stream()
                    .filter(m -> m.host().equals(ROOT.resolve(KAFKA_START))).findFirst();
            problems.check(start.isPresent() && text(broker.path("entrypoint")).contains(start.get().target()), where
                    + " should start with ./" + KAFKA_START + " (mounted, as its entrypoint): it adds the listeners' "
                    + "users and formats the storage with " + KafkaAccess.ADMIN + "'s SCRAM credential");
            for (String variable : List.of("REGENT_KAFKA_ADMIN_PASSWORD", "REGENT_KAFKA_CONTROLLER_PASSWORD")) {
                problems.check(reference(env.get(variable)).isPresent(), where + " should get " + variable
                        + " from .env (" + KAFKA_START + " reads it)");
            }
            problems.check(text(broker.path("healthcheck").path("test")).contains("--command-config"), where
                    + ": the healthcheck's Kafka tool needs --command-config (regent-admin's client settings): the "
                    + "broker answers nobody else");
        }

        Map<String, String> users = kafkaUserVariables();
        problems.check(users.keySet().equals(new TreeSet<>(KafkaAccess.SERVICE_PRINCIPALS)), SETUP_USERS + " creates "
                + users.keySet() + "; io.regent.events.KafkaAccess.SERVICE_PRINCIPALS are " + KafkaAccess.SERVICE_PRINCIPALS);
        Optional<String> init = composeKafkaInit(compose);
        if (init.isEmpty()) {
            problems.add("docker-compose.yml has no service that mounts ./" + SETUP_USERS + " and ./" + SETUP_ACLS
                    + " and runs them (kafka-init): the services' principals would not exist");
        } else {
            JsonNode service = services.get(init.get());
            String where = "docker-compose.yml service " + init.get();
            String command = text(service.path("command"));
            for (String script : List.of(SETUP_USERS, SETUP_ACLS)) {
                Optional<Mount> mount = composeMounts(service).stream()
                        .filter(m -> m.host().equals(ROOT.resolve(script))).findFirst();
                problems.check(mount.isPresent() && command.contains(mount.get().target()), where + " should mount ./"
                        + script + " and run it");
            }
            for (String line : command.split("\n")) {
                problems.check(!line.contains("/opt/kafka/bin/") || line.contains("--command-config"), where + ": `"
                        + line.trim() + "` needs --command-config (regent-admin's client settings)");
            }
            Map<String, String> env = composeEnvironment(service);
            brokers.forEach(broker -> problems.check(sameVariable(env.get("REGENT_KAFKA_ADMIN_PASSWORD"),
                            composeEnvironment(services.get(broker)).get("REGENT_KAFKA_ADMIN_PASSWORD")),
                    where + ": REGENT_KAFKA_ADMIN_PASSWORD must be the ${...} variable the broker " + broker
                            + " formats its storage with"));
            Map<String, String> variables = composeKafkaPasswordVariables();
            users.forEach((principal, variable) -> problems.check(variables.containsKey(principal), where + " should set "
                    + variable + " from .env: " + SETUP_USERS + " creates " + principal + " with it"));
            problems.check(new TreeSet<>(variables.values()).size() == variables.size(), where
                    + ": two principals share a password variable " + variables);
            for (Workload workload : composeWorkloads(compose)) {
                problems.check(readyBefore(services, workload.name()).contains(init.get()), workload + " should wait for "
                        + init.get() + " (depends_on: {" + init.get() + ": {condition: service_completed_successfully}}): "
                        + "its Kafka user and ACLs come from there");
            }
        }
        problems.check(gitignored(ROOT.resolve(KAFKA_DIR), "certs/"), KAFKA_DIR + "/.gitignore must list certs/ "
                + "(deploy/kafka/make-certs.sh writes the CA's and the broker's private keys there)");
        problems.assertNone("Kafka security in docker-compose.yml");
    }

    @Test
    void composeAppliesTheAclsOfKafkaAccess() {
        Problems problems = new Problems();
        String script = read(ROOT.resolve(SETUP_ACLS));
        List<String> unreadable = new ArrayList<>();
        List<Acl> acls = scriptAcls(SETUP_ACLS, script, unreadable);
        problems.addAll(unreadable);
        problems.addAll(aclDifferences(SETUP_ACLS, acls));
        problems.check(script.contains("kafka-acls.sh") && script.contains("--add")
                        && script.contains("--allow-principal \"User:$principal\""),
                SETUP_ACLS + ": acl() should run kafka-acls.sh --add --allow-principal \"User:$principal\" with its arguments");
        problems.assertNone("the ACLs of " + SETUP_ACLS);
    }

    @Test
    void strimziKafkaTakesOnlyScramOverTlsAndAuthorizesByAcl() {
        Problems problems = new Problems();
        for (Path overlay : overlays()) {
            List<Manifest> own = overlayResources(overlay);
            for (Manifest kafka : own.stream().filter(m -> m.kind().equals("Kafka")).toList()) {
                JsonNode spec = kafka.doc().path("spec").path("kafka");
                for (JsonNode listener : spec.path("listeners")) {
                    String name = listener.path("name").asText();
                    problems.check(listener.path("tls").asBoolean(false), kafka + ": listener " + name
                            + " should have tls: true (SASL_SSL); a listener without TLS sends passwords and data in clear");
                    problems.check("scram-sha-512".equals(listener.path("authentication").path("type").asText()), kafka
                            + ": listener " + name + " should have authentication: {type: scram-sha-512}");
                }
                problems.check("simple".equals(spec.path("authorization").path("type").asText()), kafka
                        + " needs authorization: {type: simple} - without it every user may do anything");
                Set<String> superUsers = new TreeSet<>();
                spec.path("authorization").path("superUsers").forEach(u -> superUsers.add(u.asText()));
                problems.check(superUsers.equals(Set.of(KafkaAccess.ADMIN)), kafka + ": authorization.superUsers is "
                        + superUsers + "; of Regent's principals only " + KafkaAccess.ADMIN + " is a super user");
                problems.check(!"true".equals(spec.path("config").path("allow.everyone.if.no.acl.found").asText()), kafka
                        + " must not set allow.everyone.if.no.acl.found: true");
                JsonNode userOperator = kafka.doc().path("spec").path("entityOperator").path("userOperator");
                problems.check(!userOperator.isMissingNode(), kafka + " needs entityOperator.userOperator: nothing would "
                        + "create the KafkaUsers");
                problems.check(KAFKA_SECRET_PREFIX.equals(userOperator.path("secretPrefix").asText()), kafka
                        + ": entityOperator.userOperator.secretPrefix should be " + KAFKA_SECRET_PREFIX + " - the Deployments "
                        + "read the password of principal P from Secret " + KAFKA_SECRET_PREFIX + "P");

                Map<String, Manifest> users = kafkaUsers(own, kafka.name());
                Set<String> principals = new TreeSet<>(KafkaAccess.SERVICE_PRINCIPALS);
                principals.add(KafkaAccess.ADMIN);
                for (String principal : principals) {
                    Manifest user = users.get(principal);
                    problems.check(user != null && "scram-sha-512".equals(user.doc().path("spec").path("authentication")
                            .path("type").asText()), ROOT.relativize(overlay) + " needs a KafkaUser " + principal
                            + " (label strimzi.io/cluster: " + kafka.name() + ") with authentication: {type: scram-sha-512}");
                }
                users.keySet().forEach(user -> problems.check(principals.contains(user), ROOT.relativize(overlay)
                        + " has KafkaUser " + user + ", which is no principal of io.regent.events.KafkaAccess"));
                Optional.ofNullable(users.get(KafkaAccess.ADMIN)).ifPresent(admin -> problems.check(
                        admin.doc().path("spec").path("authorization").path("acls").isEmpty(), admin
                                + " needs no ACLs: it is a super user"));

                // the services trust the CA Strimzi signs the listener's certificate with
                String clusterCa = kafka.name() + "-cluster-ca-cert";
                for (Workload workload : k8sWorkloads()) {
                    String truststore = literal(workload.env().get("KAFKA_SSL_TRUSTSTORE_LOCATION"));
                    Optional<SecretFile> ca = truststore == null ? Optional.empty() : k8sSecretFile(workload, truststore);
                    String secret = ca.map(file -> patchedSecretName(overlay, workload.name(), file)).orElse(null);
                    problems.check(clusterCa.equals(secret) && ca.get().key().equals("ca.crt"), ROOT.relativize(overlay)
                            + ": " + workload.name() + " should read the Kafka CA from Secret " + clusterCa
                            + " (key ca.crt; patch the volume's secretName), not " + secret);
                }
            }
        }
        problems.assertNone("Strimzi Kafka security");
    }

    @Test
    void strimziKafkaUsersHaveTheAclsOfKafkaAccess() {
        Problems problems = new Problems();
        for (Path overlay : overlays()) {
            List<Manifest> own = overlayResources(overlay);
            for (Manifest kafka : own.stream().filter(m -> m.kind().equals("Kafka")).toList()) {
                List<String> unreadable = new ArrayList<>();
                List<Acl> acls = strimziAcls(kafkaUsers(own, kafka.name()).values(), unreadable);
                problems.addAll(unreadable);
                problems.addAll(aclDifferences(ROOT.relativize(overlay) + "'s KafkaUsers", acls));
            }
        }
        problems.assertNone("the ACLs of the KafkaUsers");
    }

    /** The checker itself: a missing grant and one KafkaAccess does not have must both be reported. */
    @Test
    void aclCheckCatchesAMissingAndAnExtraGrant() {
        List<String> unreadable = new ArrayList<>();
        List<Acl> script = scriptAcls("snippet", """
                # the monitor may write commands, and may not read topology
                acl regent-monitor --topic regent.node-health.v1 --operation Write --operation Describe
                acl regent-monitor --topic regent.commands.v1 --operation Write \\
                  --operation Describe
                acl regent-monitor --topic regent.topology.v1 --allow-host 10.0.0.1 --operation Describe
                """, unreadable);
        assertThat(unreadable).singleElement().asString().contains("--allow-host");
        List<String> differences = aclDifferences("snippet", script);
        assertThat(differences).anySatisfy(p -> assertThat(p)
                .contains("does not grant User:regent-monitor READ on topic regent.topology.v1"));
        assertThat(differences).anySatisfy(p -> assertThat(p)
                .contains("grants User:regent-monitor WRITE on topic regent.commands.v1"));
        assertThat(differences).filteredOn(p -> p.contains("User:regent-monitor"))
                .noneMatch(p -> p.contains("regent.node-health.v1"));

        JsonNode user = yaml("""
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaUser
                metadata: { name: regent-app, labels: { strimzi.io/cluster: regent } }
                spec:
                  authentication: { type: scram-sha-512 }
                  authorization:
                    type: simple
                    acls:
                      - resource: { type: topic, name: regent.topology.v1, patternType: literal }
                        operations: [Read, Describe]
                      - resource: { type: group, name: regent-app }
                        operations: [Read]
                """);
        List<Acl> strimzi = strimziAcls(List.of(new Manifest(ROOT.resolve("snippet.yaml"), user)), unreadable);
        List<String> strimziDifferences = aclDifferences("snippet", strimzi);
        assertThat(strimziDifferences).anySatisfy(p -> assertThat(p)
                .contains("does not grant User:regent-app READ on group regent-app*"));
        assertThat(strimziDifferences).anySatisfy(p -> assertThat(p)
                .contains("grants User:regent-app READ on group regent-app,"));
    }
}
