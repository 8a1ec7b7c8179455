package io.regent.failover.registry;

import io.regent.failover.identity.ServiceIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import org.eclipse.microprofile.rest.client.ext.ClientHeadersFactory;

/** Adds this service's identity to every registry call. */
@ApplicationScoped
public class ServiceIdentityHeaders implements ClientHeadersFactory {

    private final ServiceIdentity identity;

    public ServiceIdentityHeaders(ServiceIdentity identity) {
        this.identity = identity;
    }

    @Override
    public MultivaluedMap<String, String> update(MultivaluedMap<String, String> incoming,
            MultivaluedMap<String, String> outgoing) {
        MultivaluedMap<String, String> headers = new MultivaluedHashMap<>();
        identity.authorization().ifPresent(value -> headers.add("Authorization", value));
        return headers;
    }
}
