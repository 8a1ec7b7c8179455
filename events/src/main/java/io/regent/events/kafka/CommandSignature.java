package io.regent.events.kafka;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Operator commands carry the proof of who asked: the gateway that checked the caller's token and role
 * signs the record (Ed25519) over the topic, key, value, requester, role and time, in headers; the
 * failover-service acts only on a command whose signature one of its configured public keys verifies, whose
 * role may ask for it and which is recent. A process that can write to the commands topic but holds no signing
 * key - a leaked Kafka credential, a compromised agent - cannot make Regent act (DESIGN.md invariant 12).
 * The keys are Base64 of the standard encodings (PKCS#8 private, X.509 public); several public keys may be
 * configured at once, so a key is rotated without a gap.
 */
public final class CommandSignature {

    public static final String REQUESTER_HEADER = "regent-requester";
    public static final String ROLE_HEADER = "regent-role";
    public static final String SIGNED_AT_HEADER = "regent-signed-at";
    public static final String SIGNATURE_HEADER = "regent-signature";

    /** The roles that may ask for a switchover, a failover or maintenance. */
    public static final Set<String> COMMAND_ROLES = Set.of("regent-operator", "regent-admin");

    private static final String ALGORITHM = "Ed25519";
    private static final String CONTEXT = "regent-command-v1";

    private CommandSignature() {
    }

    /** A new key pair: {@code [private (PKCS#8), public (X.509)]}, Base64. */
    public static String[] newKeyPair() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
            Base64.Encoder base64 = Base64.getEncoder();
            return new String[] {base64.encodeToString(pair.getPrivate().getEncoded()),
                    base64.encodeToString(pair.getPublic().getEncoded())};
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no " + ALGORITHM, e);
        }
    }

    public static PrivateKey privateKey(String base64) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a Base64 PKCS#8 " + ALGORITHM + " private key", e);
        }
    }

    public static PublicKey publicKey(String base64) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a Base64 X.509 " + ALGORITHM + " public key", e);
        }
    }

    /** Adds the requester, role, time and signature headers of a command record. */
    public static void sign(PrivateKey key, String topic, String recordKey, byte[] value, String requester,
            String role, Instant signedAt, Headers headers) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(key);
            signature.update(message(topic, recordKey, value, requester, role, signedAt.toEpochMilli()));
            headers.remove(SIGNATURE_HEADER);
            headers.add(REQUESTER_HEADER, requester.getBytes(StandardCharsets.UTF_8));
            headers.add(ROLE_HEADER, role.getBytes(StandardCharsets.UTF_8));
            headers.add(SIGNED_AT_HEADER, Long.toString(signedAt.toEpochMilli()).getBytes(StandardCharsets.UTF_8));
            headers.add(SIGNATURE_HEADER, signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing a command failed", e);
        }
    }

    /** What the check found: {@code accepted}, and who asked with which role, or why not. */
    public record Verdict(boolean accepted, String requester, String role, String reason) {
        static Verdict refused(String reason) {
            return new Verdict(false, null, null, reason);
        }
    }

    /**
     * Checks a command record: signed by one of {@code keys}, by a role in {@link #COMMAND_ROLES}, at most
     * {@code maxAge} before {@code now} (and not more than that after it: clocks differ, by less than that).
     */
    public static Verdict verify(List<PublicKey> keys, String topic, String recordKey, byte[] value, Headers headers,
            Instant now, Duration maxAge) {
        String requester = text(headers, REQUESTER_HEADER);
        String role = text(headers, ROLE_HEADER);
        String signedAt = text(headers, SIGNED_AT_HEADER);
        Header signatureHeader = headers.lastHeader(SIGNATURE_HEADER);
        if (requester == null || role == null || signedAt == null || signatureHeader == null
                || signatureHeader.value() == null) {
            return Verdict.refused("unsigned: no requester, role, time or signature header");
        }
        long millis;
        try {
            millis = Long.parseLong(signedAt);
        } catch (NumberFormatException e) {
            return Verdict.refused("the signing time '" + signedAt + "' is not a number");
        }
        byte[] message = message(topic, recordKey, value, requester, role, millis);
        boolean valid = false;
        for (PublicKey key : keys) {
            try {
                Signature signature = Signature.getInstance(ALGORITHM);
                signature.initVerify(key);
                signature.update(message);
                if (signature.verify(signatureHeader.value())) {
                    valid = true;
                    break;
                }
            } catch (GeneralSecurityException e) {
                // a malformed signature: not valid under this key
            }
        }
        if (!valid) {
            return Verdict.refused(keys.isEmpty() ? "no verification key is configured"
                    : "the signature does not verify with any configured key");
        }
        if (!COMMAND_ROLES.contains(role)) {
            return Verdict.refused("role " + role + " may not ask for commands");
        }
        Duration age = Duration.between(Instant.ofEpochMilli(millis), now);
        if (age.compareTo(maxAge) > 0) {
            return Verdict.refused("signed " + age.toSeconds() + " s ago; commands are valid for "
                    + maxAge.toSeconds() + " s");
        }
        if (age.negated().compareTo(maxAge) > 0) {
            return Verdict.refused("signed " + age.negated().toSeconds() + " s in the future (are the clocks apart?); "
                    + "commands are valid for " + maxAge.toSeconds() + " s");
        }
        return new Verdict(true, requester, role, "signed by the gateway for " + requester + " (" + role + ")");
    }

    private static String text(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Length-prefixed fields, so that no two different commands give the same bytes. */
    private static byte[] message(String topic, String recordKey, byte[] value, String requester, String role,
            long signedAtMillis) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + (value == null ? 0 : value.length));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(CONTEXT);
            out.writeUTF(topic);
            out.writeUTF(recordKey == null ? "" : recordKey);
            out.writeUTF(requester);
            out.writeUTF(role);
            out.writeLong(signedAtMillis);
            out.writeInt(value == null ? -1 : value.length);
            if (value != null) {
                out.write(value);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static byte[] decode(String base64) {
        return Base64.getDecoder().decode(base64.strip());
    }
}
