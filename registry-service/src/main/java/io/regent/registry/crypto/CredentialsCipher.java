package io.regent.registry.crypto;

import io.regent.registry.config.RegistryConfig;
import io.regent.registry.domain.CredentialsEntity;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM encryption of node credentials at rest. Each row gets a fresh 96-bit nonce; the cluster
 * id is authenticated as associated data, so a ciphertext copied to another cluster fails to decrypt.
 */
@ApplicationScoped
public class CredentialsCipher {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final Optional<SecretKey> key;
    private final String keyId;
    private final SecureRandom random = new SecureRandom();

    public CredentialsCipher(RegistryConfig config) {
        this.keyId = config.credentials().keyId();
        this.key = config.credentials().key().map(CredentialsCipher::parseKey);
    }

    /** Plaintext credentials; {@link #toString()} never shows the password. */
    public record Plain(String username, String password) {
        @Override
        public String toString() {
            return "Credentials[username=" + username + ", password=***]";
        }
    }

    public boolean configured() {
        return key.isPresent();
    }

    public void encryptInto(CredentialsEntity row, String clusterId, Plain plain) {
        SecretKey secret = key.orElseThrow(() -> new IllegalStateException(
                "no credentials key configured (regent.registry.credentials.key)"));
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] clear = (plain.username() + "\n" + plain.password()).getBytes(StandardCharsets.UTF_8);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, secret, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(clusterId.getBytes(StandardCharsets.UTF_8));
            row.ciphertext = cipher.doFinal(clear);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        } finally {
            java.util.Arrays.fill(clear, (byte) 0);
        }
        row.clusterId = clusterId;
        row.nonce = nonce;
        row.keyId = keyId;
    }

    public Plain decrypt(CredentialsEntity row) {
        SecretKey secret = key.orElseThrow(() -> new IllegalStateException(
                "no credentials key configured (regent.registry.credentials.key)"));
        if (!keyId.equals(row.keyId)) {
            throw new IllegalStateException("credentials of cluster " + row.clusterId + " were encrypted with key '"
                    + row.keyId + "', the configured key is '" + keyId + "'");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, secret, new GCMParameterSpec(TAG_BITS, row.nonce));
            cipher.updateAAD(row.clusterId.getBytes(StandardCharsets.UTF_8));
            String clear = new String(cipher.doFinal(row.ciphertext), StandardCharsets.UTF_8);
            int newline = clear.indexOf('\n');
            return new Plain(clear.substring(0, newline), clear.substring(newline + 1));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("credentials of cluster " + row.clusterId + " cannot be decrypted "
                    + "(wrong key or tampered row)", e);
        }
    }

    private static SecretKey parseKey(String base64) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("regent.registry.credentials.key is not base64", e);
        }
        if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
            throw new IllegalArgumentException("regent.registry.credentials.key must be 16, 24 or 32 bytes, got "
                    + bytes.length);
        }
        return new SecretKeySpec(bytes, "AES");
    }
}
