package io.regent.gateway.session;

import io.regent.gateway.rest.ProblemMappers;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Authentication that fails in the HTTP layer, before any REST resource - the dashboard's sign-in
 * redirect, a session refresh - because Keycloak cannot be reached: 503 problem+json like the REST
 * layer answers, instead of Quarkus' plain-text 500.
 */
@ApplicationScoped
public class IdentityProviderFailures {

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(context -> {
            if (context.response().headWritten() || !ProblemMappers.identityProviderUnreachable(context.failure())) {
                context.next();
                return;
            }
            context.response().setStatusCode(503).putHeader("Content-Type", ProblemMappers.PROBLEM.toString())
                    .putHeader("Retry-After", "5").end(new JsonObject().put("type", "about:blank")
                            .put("title", ProblemMappers.IDP_DOWN_TITLE).put("status", 503)
                            .put("detail", ProblemMappers.IDP_DOWN_DETAIL).encode());
        });
    }
}
