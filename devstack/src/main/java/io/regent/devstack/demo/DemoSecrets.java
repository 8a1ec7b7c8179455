package io.regent.devstack.demo;

import io.regent.events.kafka.CommandSignature;
import io.regent.testkit.Testkit;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

/**
 * The demo's passwords and keys: generated on the first run, kept (owner-only) in the home so the
 * next run opens the same databases and the demo users keep their passwords. Never logged.
 */
public final class DemoSecrets {

    public static final List<String> USERS = List.of("viewer", "operator", "admin");

    private final Properties values;

    private DemoSecrets(Properties values) {
        this.values = values;
    }

    /** The secrets of {@code file}, with any missing one generated and saved. */
    public static DemoSecrets loadOrCreate(Path file) {
        Properties values = new Properties();
        try {
            if (Files.exists(file)) {
                try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    values.load(reader);
                }
            }
            boolean changed = false;
            for (String key : List.of("registrydb.superuser", "registrydb.replication", "registrydb.app",
                    "demo.superuser", "demo.replication", "demo.control", "gateway.session")) {
                changed |= values.putIfAbsent(key, Testkit.randomSecret()) == null;
            }
            for (String user : USERS) {
                // short enough to type on the sign-in page
                changed |= values.putIfAbsent("user." + user, user + "-" + Testkit.randomSecret().substring(0, 8)) == null;
            }
            if (!values.containsKey("registry.credentials-key")) {
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                values.put("registry.credentials-key", Base64.getEncoder().encodeToString(key));
                changed = true;
            }
            if (!values.containsKey("commands.signing-key")) {
                // the gateway signs accepted commands with it; the failover-service verifies with the public half
                String[] pair = CommandSignature.newKeyPair();
                values.put("commands.signing-key", pair[0]);
                values.put("commands.verify-key", pair[1]);
                changed = true;
            }
            if (changed) {
                Files.createDirectories(file.getParent());
                if (!Files.exists(file)) {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
                try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                    values.store(writer, "Regent demo: generated secrets (delete the demo folder or run --fresh to renew)");
                }
            }
            return new DemoSecrets(values);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the demo's secrets in " + file, e);
        }
    }

    /** The secrets a running demo saved, or null when there are none. */
    public static DemoSecrets load(Path file) {
        return Files.exists(file) ? loadOrCreate(file) : null;
    }

    public String get(String key) {
        String value = values.getProperty(key);
        if (value == null) {
            throw new IllegalStateException("no secret " + key);
        }
        return value;
    }

    public String password(String user) {
        return get("user." + user);
    }
}
