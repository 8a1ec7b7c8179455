package io.regent.failover.registry;

import io.regent.failover.config.FailoverConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import org.eclipse.microprofile.rest.client.ext.ClientHeadersFactory;

/**
 * Adds this service's bearer token to every registry call. The token comes from configuration
 * today; the Keycloak client-credentials grant replaces it with the gateway issue.
 */
@ApplicationScoped
public class ServiceIdentityHeaders implements ClientHeadersFactory {

    private final FailoverConfig config;

    public ServiceIdentityHeaders(FailoverConfig config) {
        this.config = config;
    }

    @Override
    public MultivaluedMap<String, String> update(MultivaluedMap<String, String> incoming,
            MultivaluedMap<String, String> outgoing) {
        MultivaluedMap<String, String> headers = new MultivaluedHashMap<>();
        config.registry().token().ifPresent(token -> headers.add("Authorization", "Bearer " + token));
        return headers;
    }
}
