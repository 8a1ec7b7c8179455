package io.regent.registry.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** Encrypted credentials for a cluster's nodes: ciphertext only, see {@code CredentialsCipher}. */
@Entity
@Table(name = "cluster_credentials")
public class CredentialsEntity {

    @Id
    @Column(name = "cluster_id")
    public String clusterId;

    @Column(name = "key_id", nullable = false)
    public String keyId;

    @Column(nullable = false)
    public byte[] nonce;

    @Column(nullable = false)
    public byte[] ciphertext;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Override
    public String toString() {
        return "CredentialsEntity[cluster=" + clusterId + ", key=" + keyId + "]";
    }
}
