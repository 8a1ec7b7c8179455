package io.regent.gateway.session;

import io.quarkus.oidc.TenantResolver;
import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Two ways in: API clients send a bearer token (the default, {@code service} tenant); people use the
 * dashboard, which signs them in with the authorization code flow and keeps the session in an
 * encrypted, HttpOnly cookie ({@value #TENANT} tenant). A request with a bearer token is always an
 * API client; without one, the session cookie makes it a dashboard request. A request with neither
 * is answered 401 by the API, never redirected to a login page.
 */
@ApplicationScoped
public class DashboardTenantResolver implements TenantResolver {

    public static final String TENANT = "dashboard";
    /** Quarkus names the session cookie after the tenant (and splits large sessions into chunks). */
    private static final String SESSION_COOKIE = "q_session_" + TENANT;

    @Override
    public String resolve(RoutingContext context) {
        String path = context.normalizedPath();
        if (path.equals(SessionResource.LOGIN) || path.equals(SessionResource.LOGOUT)) {
            return TENANT;
        }
        if (context.request().getHeader("Authorization") == null && hasSession(context)) {
            return TENANT;
        }
        return null;
    }

    private static boolean hasSession(RoutingContext context) {
        for (Cookie cookie : context.request().cookies()) {
            if (cookie.getName().startsWith(SESSION_COOKIE)) {
                return true;
            }
        }
        return false;
    }
}
