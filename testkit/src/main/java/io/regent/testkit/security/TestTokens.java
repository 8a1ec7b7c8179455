package io.regent.testkit.security;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Bearer tokens shaped like the regent realm's (realm roles in {@code realm_access.roles}), signed
 * with a key pair kept for tests only. A service under test trusts them when configured with
 * {@code quarkus.oidc.public-key=}{@link #PUBLIC_KEY} (and no auth-server-url).
 */
public final class TestTokens {

    /** The public half of the test signing key, as {@code quarkus.oidc.public-key} takes it. */
    public static final String PUBLIC_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnwUqF5rKxiOrz+QoDS9SoAm7Me42egej"
            + "fG0NUJ/epv6Y+fr7mCGiLF1tj9fVXfCTRiRPipbQgXWlbTDW71xmXeWgXbYOD0aPH1086M00sM3NvrbcvXTbiAgpnFMO7zYDoVvLz"
            + "Q06+ag6VpzS7DCa9Vfej9TI4niPKYbZxtBbYZBs9TLgfuXMN+999ka5Uo0MxZVv5+6aolgLOGWLDvTD4T49JXaGkeDkqNyK6Rc"
            + "Achfrn+ARtGq0SyqXQboafnSiAXQTH6R58lbYAG1Axf1Cirr5IIjkX53jOFbl2Si37sNaoqt9rbpApg8AKei2gWNnIKtZAqS9Y"
            + "IfAAWMyAf2AZQIDAQAB";

    public static final String ISSUER = "https://keycloak.example/realms/regent";

    private static final PrivateKey SIGNER = load();

    private TestTokens() {
    }

    /** A token for {@code subject} with these realm roles, valid for ten minutes. */
    public static String forRoles(String subject, String... roles) {
        return sign(subject, List.of(roles), Instant.now().plus(Duration.ofMinutes(10)));
    }

    /** A token valid until {@code expiresAt} (in the past for an expired one). */
    public static String sign(String subject, List<String> roles, Instant expiresAt) {
        return Jwt.issuer(ISSUER).subject(subject).upn(subject)
                .claim("preferred_username", subject)
                .claim("realm_access", Map.of("roles", roles))
                .issuedAt(expiresAt.minus(Duration.ofMinutes(20)))
                .expiresAt(expiresAt)
                .sign(SIGNER);
    }

    private static PrivateKey load() {
        try {
            return KeyUtils.readPrivateKey("/io/regent/testkit/security/test-token-signer.pem");
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the test token signing key", e);
        }
    }
}
