package io.regent.failover.execution;

import io.regent.engines.EngineAdapter;
import io.regent.engines.Observer;
import io.regent.engines.postgres.PostgresAdapter;
import io.regent.failover.config.FailoverConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** The engine adapter the executor acts through; PostgreSQL until the other engines arrive. */
@ApplicationScoped
public class EngineProducer {

    @Produces
    @ApplicationScoped
    EngineAdapter engine(FailoverConfig config) {
        return new PostgresAdapter(new Observer("failover-" + config.instanceId(), "control-plane"), false);
    }

    void close(@Disposes EngineAdapter engine) {
        engine.close();
    }
}
