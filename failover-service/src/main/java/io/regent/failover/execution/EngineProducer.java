package io.regent.failover.execution;

import io.regent.engines.EngineAdapter;
import io.regent.engines.EngineRouter;
import io.regent.engines.Observer;
import io.regent.engines.mariadb.MariaDbAdapter;
import io.regent.engines.mariadb.ReplicationLogin;
import io.regent.engines.postgres.PostgresAdapter;
import io.regent.failover.config.FailoverConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.util.List;

/** The engine adapters the executor acts through, chosen per node by its cluster's engine. */
@ApplicationScoped
public class EngineProducer {

    @Produces
    @ApplicationScoped
    EngineAdapter engine(FailoverConfig config) {
        Observer observer = new Observer("failover-" + config.instanceId(), "control-plane");
        ReplicationLogin mariaDbLogin = config.mariadb().replicationUser()
                .map(user -> new ReplicationLogin(user, config.mariadb().replicationPassword().orElse("")))
                .orElse(null);
        return new EngineRouter(List.of(new PostgresAdapter(observer, false),
                new MariaDbAdapter(observer, false, mariaDbLogin)));
    }

    void close(@Disposes EngineAdapter engine) {
        engine.close();
    }
}
