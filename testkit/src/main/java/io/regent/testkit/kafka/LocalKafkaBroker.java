package io.regent.testkit.kafka;

import io.regent.events.KafkaAccess;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import io.regent.testkit.FreePorts;
import io.regent.testkit.ServerProcess;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A KRaft broker run as a child JVM ({@code kafka.Kafka}) from this JVM's classpath, which holds
 * the {@code kafka_2.13} artifact at the version the Quarkus BOM manages. A child process rather
 * than an in-process server, so that a test can crash it with SIGKILL and restart it on the same
 * port and log directory, and so that the broker's dependencies never mix with the test's.
 */
final class LocalKafkaBroker implements KafkaBroker {

    private static final Logger LOG = Logger.getLogger(LocalKafkaBroker.class.getName());
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    /**
     * {@code true} runs the broker with the JIT a production broker has (benchmarks: {@code -Pbench}
     * sets it); otherwise C1 only, which starts faster.
     */
    static final String FULL_JIT_PROPERTY = "regent.testkit.kafka.full-jit";

    /** The controller listener's own principal (SASL PLAIN, a static user): a super user, as KRaft requires. */
    private static final String CONTROLLER_PRINCIPAL = "regent-controller";

    private final Path directory;
    private final Path configFile;
    private final int port;
    /** principal → SCRAM password; kept in the broker's directory so a persistent broker keeps its users. */
    private final Map<String, String> passwords;
    private volatile ServerProcess process;

    private LocalKafkaBroker(Path directory, int port, int controllerPort, Map<String, String> overrides)
            throws IOException {
        this.directory = directory;
        this.port = port;
        this.configFile = directory.resolve("server.properties");
        if (Files.exists(directory.resolve("data").resolve("meta.properties"))
                && !Files.exists(directory.resolve("credentials.properties"))) {
            // its metadata holds no SCRAM user: no client, not even the broker itself, could log in
            throw new TestkitException("the Kafka data in " + directory + " was written by a Regent version without "
                    + "Kafka authentication; start over (./regent demo --fresh) or delete that folder");
        }
        this.passwords = KafkaCredentials.loadOrCreate(directory.resolve("credentials.properties"));
        Map<String, String> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        // clients authenticate with SCRAM-SHA-512 and are authorised by ACL (KafkaAccess); there is no
        // unauthenticated listener: the controller's takes only its own static PLAIN user
        config.put("listeners", "CLIENT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "CLIENT://127.0.0.1:" + port);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "CLIENT");
        config.put("listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        config.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        config.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        config.put("sasl.mechanism.controller.protocol", "PLAIN");
        config.put("listener.name.client.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        config.put("listener.name.client.scram-sha-512.sasl.jaas.config", KafkaCredentials.scramJaas(
                KafkaAccess.ADMIN, passwords.get(KafkaAccess.ADMIN)));
        config.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        String controllerPassword = passwords.get(CONTROLLER_PRINCIPAL);
        config.put("listener.name.controller.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + CONTROLLER_PRINCIPAL
                        + "\" password=\"" + controllerPassword + "\" user_" + CONTROLLER_PRINCIPAL + "=\""
                        + controllerPassword + "\";");
        config.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        config.put("super.users", "User:" + KafkaAccess.ADMIN + ";User:" + CONTROLLER_PRINCIPAL);
        config.put("allow.everyone.if.no.acl.found", "false");
        config.put("log.dirs", directory.resolve("data").toString());
        // topics are created with the settings of the contract, never implicitly
        config.put("auto.create.topics.enable", "false");
        config.put("num.partitions", "1");
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "10");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        // let tests see compaction within seconds rather than the default 15 s backoff
        config.put("log.cleaner.backoff.ms", "500");
        config.putAll(overrides);
        StringBuilder text = new StringBuilder("# written by the Regent testkit\n");
        config.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(configFile, text.toString(), StandardCharsets.UTF_8);
        KafkaCredentials.ownerOnly(configFile);
    }

    static KafkaBroker startNew(Map<String, String> overrides) {
        return startNew(FreePorts.next(), FreePorts.next(), overrides);
    }

    static KafkaBroker startNew(int port, int controllerPort, Map<String, String> overrides) {
        Path directory = Testkit.get().newDirectory("kafka");
        LocalKafkaBroker broker;
        try {
            broker = new LocalKafkaBroker(directory, port, controllerPort, overrides);
        } catch (IOException e) {
            throw new TestkitException("cannot write the broker configuration in " + directory, e);
        }
        Testkit.get().track(broker);
        try {
            long started = System.nanoTime();
            broker.format();
            broker.launch();
            LOG.info(() -> "Kafka broker at " + broker.bootstrapServers() + " ready in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms under " + directory);
            return broker;
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /** Writes meta.properties for a single-voter KRaft quorum; done once, the data survives restarts. */
    private void format() {
        Path log = Testkit.get().logFile(directory.resolve("format.log"), "kafka-format");
        List<String> arguments = new ArrayList<>(List.of("format", "--ignore-formatted", "--cluster-id",
                randomClusterId(), "--config", configFile.toString()));
        // the SCRAM users go into the first metadata records: they exist before any client connects
        passwords.forEach((principal, password) -> {
            if (!principal.equals(CONTROLLER_PRINCIPAL)) {
                arguments.addAll(List.of("--add-scram", "SCRAM-SHA-512=[name=" + principal + ",password=" + password + "]"));
            }
        });
        ServerProcess formatter = ServerProcess.start("Kafka storage format",
                javaCommand("kafka.tools.StorageTool", arguments.toArray(String[]::new)),
                directory, log, Map.of());
        if (!formatter.waitForExit(START_TIMEOUT)) {
            formatter.kill();
            throw new TestkitException("formatting Kafka storage took longer than " + START_TIMEOUT);
        }
        formatter.kill(); // already exited: just unregisters it
        if (!Files.exists(directory.resolve("data").resolve("meta.properties"))) {
            throw new TestkitException("formatting Kafka storage failed; " + log + ":\n" + formatter.logTail(30));
        }
    }

    private synchronized void launch() {
        process = ServerProcess.start("Kafka broker " + bootstrapServers(),
                javaCommand("kafka.Kafka", configFile.toString()), directory,
                Testkit.get().logFile(directory.resolve("broker.log"), "kafka"),
                Map.of());
        awaitServing();
    }

    private void awaitServing() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String lastError = "";
        // wait for the listener before creating a client, which would log every failed attempt
        while (System.nanoTime() < deadline && process.isAlive() && !accepting()) {
            Testkit.sleep(100);
        }
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new TestkitException("Kafka broker exited during start-up; log " + process.logFile()
                            + ":\n" + process.logTail(40));
                }
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    lastError = String.valueOf(e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TestkitException("interrupted while waiting for Kafka", e);
                }
                Testkit.sleep(100);
            }
        }
        throw new TestkitException("Kafka broker did not serve within " + START_TIMEOUT + " (last error: "
                + lastError + "); log " + process.logFile() + ":\n" + process.logTail(40));
    }

    private boolean accepting() {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Admin admin() {
        Properties props = new Properties();
        props.putAll(clientConfig(KafkaAccess.ADMIN));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        return Admin.create(props);
    }

    private List<String> javaCommand(String mainClass, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC"));
        if (!Boolean.getBoolean(FULL_JIT_PROPERTY)) {
            command.add("-XX:TieredStopAtLevel=1"); // starts faster; a test's few hundred records need no C2
        }
        command.addAll(List.of("-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    private static String randomClusterId() {
        // Kafka's own generator: a base64url UUID that never starts with '-', which the format tool
        // would take for an option (a hand-made one failed that way about once in 64 starts)
        return org.apache.kafka.common.Uuid.randomUuid().toString();
    }

    @Override
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public String password(String principal) {
        String password = passwords.get(principal);
        if (password == null) {
            throw new TestkitException("the broker has no user " + principal);
        }
        return password;
    }

    @Override
    public Map<String, Object> clientConfig(String principal) {
        return KafkaCredentials.clientConfig(bootstrapServers(), principal, password(principal));
    }

    @Override
    public synchronized Map<String, Object> addUser(String principal) {
        String password = KafkaCredentials.newPassword();
        withAdmin("add Kafka user " + principal, admin -> admin.alterUserScramCredentials(List.of(
                new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(principal,
                        new org.apache.kafka.clients.admin.ScramCredentialInfo(
                                org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 8192), password))).all());
        passwords.put(principal, password);
        return clientConfig(principal);
    }

    @Override
    public void grant(Collection<KafkaAccess.Grant> grants) {
        withAdmin("create ACLs", admin -> admin.createAcls(grants.stream().flatMap(KafkaCredentials::aclBindings)
                .toList()).all());
    }

    @Override
    public void createTopics(Collection<TopicSpec> topics) {
        try (Admin admin = admin()) {
            for (TopicSpec spec : topics) {
                NewTopic topic = new NewTopic(spec.name(), Optional.of(spec.partitions()), Optional.empty())
                        .configs(spec.configs());
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new TestkitException("cannot create topic " + spec.name() + ": "
                                + e.getCause().getMessage(), e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TestkitException("creating topics timed out after 30 s", e);
        }
    }

    @Override
    public void revoke(Collection<KafkaAccess.Grant> grants) {
        withAdmin("delete ACLs", admin -> admin.deleteAcls(grants.stream().flatMap(KafkaCredentials::aclBindings)
                .map(org.apache.kafka.common.acl.AclBinding::toFilter).toList()).all());
    }

    /** One admin request as the super user, waited for (30 s). */
    private void withAdmin(String what, java.util.function.Function<Admin, org.apache.kafka.common.KafkaFuture<?>>
            request) {
        try (Admin admin = admin()) {
            request.apply(admin).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new TestkitException("cannot " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted: " + what, e);
        }
    }

    @Override
    public void createRegentTopics() {
        createTopics(Topics.ALL);
        grant(KafkaAccess.GRANTS); // idempotent: an existing binding is left as it is
    }

    @Override
    public synchronized void stop() {
        if (process != null) {
            process.stop("TERM", Duration.ofSeconds(30));
        }
    }

    @Override
    public synchronized void kill() {
        if (process != null) {
            process.kill();
        }
    }

    @Override
    public synchronized void restart() {
        if (isRunning()) {
            stop();
        }
        launch();
    }

    @Override
    public boolean isRunning() {
        ServerProcess current = process;
        return current != null && current.isAlive();
    }

    @Override
    public synchronized void close() {
        if (Testkit.get().persistent()) {
            stop(); // its data is for the next run: a controlled shutdown, no log recovery
        }
        kill();
        Testkit.killEverythingUnder(directory);
        Testkit.get().discard(directory);
        Testkit.get().untrack(this);
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + bootstrapServers() + ", " + directory + "]";
    }
}
