package io.regent.testkit.kafka;

import io.regent.events.KafkaAccess;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/** The testkit broker's SCRAM users, their client settings, and {@link KafkaAccess} as Kafka ACL bindings. */
public final class KafkaCredentials {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private KafkaCredentials() {
    }

    /** The principals' passwords from {@code file}, or new ones written there (owner-only) the first time. */
    static Map<String, String> loadOrCreate(Path file) throws IOException {
        Map<String, String> passwords = new ConcurrentHashMap<>();
        if (Files.exists(file)) {
            Properties stored = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                stored.load(reader);
            }
            stored.forEach((k, v) -> passwords.put((String) k, (String) v));
            return passwords;
        }
        Properties created = new Properties();
        for (String principal : Stream.concat(Stream.of(KafkaAccess.ADMIN, "regent-controller"),
                KafkaAccess.SERVICE_PRINCIPALS.stream()).toList()) {
            String password = newPassword();
            passwords.put(principal, password);
            created.setProperty(principal, password);
        }
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            created.store(writer, "Kafka SCRAM passwords of the testkit broker");
        }
        ownerOnly(file);
        return passwords;
    }

    static void ownerOnly(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    /** 24 characters a JAAS quoted string and the format tool's {@code --add-scram} syntax both take as they are. */
    static String newPassword() {
        StringBuilder password = new StringBuilder(24);
        for (int i = 0; i < 24; i++) {
            password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }

    static String scramJaas(String principal, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + principal
                + "\" password=\"" + password + "\";";
    }

    /** Kafka client settings for {@code principal} (SASL/SCRAM-SHA-512 over the loopback listener). */
    public static Map<String, Object> clientConfig(String bootstrapServers, String principal, String password) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", bootstrapServers);
        config.put("security.protocol", "SASL_PLAINTEXT");
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("sasl.jaas.config", scramJaas(principal, password));
        return config;
    }

    /**
     * The same as Quarkus properties ({@code kafka.*}), for a {@code @QuarkusTest} resource: what the
     * service's {@code REGENT_KAFKA_USERNAME} and {@code REGENT_KAFKA_PASSWORD} would give it.
     */
    public static Map<String, String> quarkusProperties(Map<String, Object> clientConfig) {
        Map<String, String> properties = new HashMap<>();
        clientConfig.forEach((key, value) -> properties.put("kafka." + key, String.valueOf(value)));
        return properties;
    }

    /** A grant of the table as the ACL bindings Kafka stores (one per operation). */
    static Stream<AclBinding> aclBindings(KafkaAccess.Grant grant) {
        ResourceType type = switch (grant.resource()) {
            case TOPIC -> ResourceType.TOPIC;
            case GROUP -> ResourceType.GROUP;
            case TRANSACTIONAL_ID -> ResourceType.TRANSACTIONAL_ID;
        };
        ResourcePattern pattern = new ResourcePattern(type, grant.name(),
                grant.match() == KafkaAccess.Match.LITERAL ? PatternType.LITERAL : PatternType.PREFIXED);
        return grant.operations().stream().map(operation -> new AclBinding(pattern, new AccessControlEntry(
                "User:" + grant.principal(), "*", AclOperation.valueOf(operation.name()), AclPermissionType.ALLOW)));
    }
}
