package io.regent.examples.orders;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.regent.client.ReadPolicy;
import io.regent.client.RegentDataSource;
import io.regent.client.RegentTopology;
import io.regent.events.TopologyNode;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * An application on regent-client: places an order on the leader every 200 ms, and every second counts the
 * orders on a follower at most 1 MiB behind; prints what it did, and every topology change as it arrives.
 * Kill the leader (./regent demo kill-leader) and watch the orders move to the new one. See README.md.
 */
public final class OrdersApp {

    private static final String USAGE = """
            usage: java -jar orders-app.jar [--cluster demo] [--database postgres] [--db-user postgres]
                                            [--kafka 127.0.0.1:9092] [--kafka-user regent-app] [--kafka-ca CA.crt]
                                            [--gateway URL]
                                            [--max-lag-bytes 1048576]
              secrets from the environment: DB_PASSWORD; KAFKA_PASSWORD (the topology from Kafka), or
              REGENT_TOKEN with --gateway (the topology from the gateway's live feed, for hosts without Kafka)""";

    private final AtomicLong placed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<String> lastFailure = new AtomicReference<>();

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        String cluster = options.getOrDefault("cluster", "demo");
        String dbPassword = required("DB_PASSWORD");
        RegentTopology topology = options.containsKey("gateway")
                ? RegentTopology.fromGateway(URI.create(options.get("gateway")), () -> required("REGENT_TOKEN"))
                : RegentTopology.fromKafka(kafka(options), "orders-app");
        topology.subscribe(cluster, t -> say("topology: epoch " + t.epoch() + ", leader " + t.leader() + " - "
                + t.reason()));

        RegentDataSource orders = RegentDataSource.builder(topology, cluster)
                .pools(node -> pool(node, options.getOrDefault("database", "postgres"),
                        options.getOrDefault("db-user", "postgres"), dbPassword))
                .build();
        DataSource followers = orders.readOnly(ReadPolicy.followersWithin(
                Long.parseLong(options.getOrDefault("max-lag-bytes", "1048576"))));

        new OrdersApp().run(orders, followers, topology);
    }

    private void run(RegentDataSource orders, DataSource followers, RegentTopology topology) throws Exception {
        try (Connection c = orders.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS orders (id bigserial PRIMARY KEY, placed_at timestamptz NOT NULL "
                    + "DEFAULT now(), item text NOT NULL)");
        }
        ScheduledExecutorService loops = Executors.newScheduledThreadPool(2);
        loops.scheduleWithFixedDelay(() -> placeOrder(orders), 0, 200, TimeUnit.MILLISECONDS);
        loops.scheduleWithFixedDelay(() -> report(orders, followers), 1, 1, TimeUnit.SECONDS);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            loops.shutdownNow();
            orders.close();
            topology.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    private void placeOrder(RegentDataSource orders) {
        try (Connection c = orders.getConnection();
                PreparedStatement insert = c.prepareStatement("INSERT INTO orders (item) VALUES (?)")) {
            insert.setString(1, "widget");
            insert.executeUpdate();
            placed.incrementAndGet();
        } catch (SQLException e) {
            failed.incrementAndGet();
            lastFailure.set(e.getMessage());
        }
    }

    private void report(RegentDataSource orders, DataSource followers) {
        String leader = orders.leader().map(TopologyNode::name).orElse("none");
        String counted;
        try (Connection c = followers.getConnection(); Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT current_setting('cluster_name'), count(*) FROM orders")) {
            row.next();
            counted = "follower " + row.getString(1) + " counts " + row.getLong(2);
        } catch (SQLException e) {
            counted = "no follower read: " + e.getMessage();
        }
        long failures = failed.getAndSet(0);
        say("leader " + leader + ": " + placed.getAndSet(0) + " orders placed, " + failures + " failed"
                + (failures > 0 ? " (" + lastFailure.get() + ")" : "") + " | " + counted);
    }

    private static DataSource pool(TopologyNode node, String database, String user, String password) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("orders-" + node.name());
        config.setJdbcUrl("jdbc:postgresql://" + node.host() + ":" + node.port() + "/" + database);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(4);
        config.setConnectionTimeout(5_000);
        config.setInitializationFailTimeout(-1); // a node that is down does not fail the pool's creation
        return new HikariDataSource(config);
    }

    private static Map<String, Object> kafka(Map<String, String> options) {
        String user = options.getOrDefault("kafka-user", "regent-app");
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", options.getOrDefault("kafka", "127.0.0.1:9092"));
        // the demo's broker speaks SASL over plain TCP on loopback; docker-compose.yml's over TLS (its CA file)
        String ca = options.get("kafka-ca");
        config.put("security.protocol", ca == null ? "SASL_PLAINTEXT" : "SASL_SSL");
        if (ca != null) {
            config.put("ssl.truststore.type", "PEM");
            config.put("ssl.truststore.location", ca);
        }
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + required("KAFKA_PASSWORD") + "\";");
        return config;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                System.err.println(USAGE);
                System.exit(2);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    private static String required(String variable) {
        String value = System.getenv(variable);
        if (value == null || value.isBlank()) {
            System.err.println("set " + variable + " first\n" + USAGE);
            System.exit(2);
        }
        return value;
    }

    private static void say(String line) {
        System.out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "  " + line);
    }
}
