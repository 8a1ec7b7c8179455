package io.regent.registry;

import io.regent.testkit.security.TestTokens;
import io.smallrye.jwt.build.Jwt;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Bearer tokens shaped like the regent realm's (realm roles in {@code realm_access.roles}), signed
 * with the test key whose public half the test profile trusts.
 */
public final class Tokens {

    private Tokens() {
    }

    public static String forRoles(String subject, String... roles) {
        return TestTokens.forRoles(subject, roles);
    }

    static String expired(String subject, String... roles) {
        return TestTokens.sign(subject, List.of(roles), Instant.now().minus(Duration.ofMinutes(10)));
    }

    /** A token with the right claims but signed by a key nobody trusts. */
    static String forgedForRoles(String subject, String... roles) throws Exception {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return Jwt.issuer(TestTokens.ISSUER).subject(subject).upn(subject)
                .claim("realm_access", Map.of("roles", List.of(roles)))
                .expiresAt(Instant.now().plusSeconds(600)).sign(generator.generateKeyPair().getPrivate());
    }
}
