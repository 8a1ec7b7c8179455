package io.regent.registry;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Bearer tokens shaped like the regent realm's (realm roles in {@code realm_access.roles}), signed
 * with the test key whose public half the test profile trusts.
 */
public final class Tokens {

    private static final PrivateKey SIGNER = load();

    private Tokens() {
    }

    public static String forRoles(String subject, String... roles) {
        return sign(subject, List.of(roles), Instant.now().plus(Duration.ofMinutes(10)));
    }

    static String expired(String subject, String... roles) {
        return sign(subject, List.of(roles), Instant.now().minus(Duration.ofMinutes(10)));
    }

    /** A token with the right claims but signed by a key nobody trusts. */
    static String forgedForRoles(String subject, String... roles) throws Exception {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return Jwt.issuer("https://keycloak.example/realms/regent").subject(subject).upn(subject)
                .claim("realm_access", Map.of("roles", List.of(roles)))
                .expiresAt(Instant.now().plusSeconds(600)).sign(generator.generateKeyPair().getPrivate());
    }

    private static String sign(String subject, List<String> roles, Instant expiresAt) {
        return Jwt.issuer("https://keycloak.example/realms/regent").subject(subject).upn(subject)
                .claim("preferred_username", subject)
                .claim("realm_access", Map.of("roles", roles))
                .issuedAt(expiresAt.minus(Duration.ofMinutes(20)))
                .expiresAt(expiresAt)
                .sign(SIGNER);
    }

    private static PrivateKey load() {
        try {
            return KeyUtils.readPrivateKey("/test-token-signer.pem");
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the test token signing key", e);
        }
    }
}
