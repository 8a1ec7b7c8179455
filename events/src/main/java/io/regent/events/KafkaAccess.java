package io.regent.events;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who may do what on Regent's Kafka topics: one SASL principal per service role and the least
 * privilege each needs (DESIGN.md invariant 12). The testkit broker, the demo, docker-compose.yml and
 * k8s/ all grant exactly this table (a test compares the deployment scripts with it); docs/security.md
 * prints it. Anything not granted here is refused by the broker.
 */
public final class KafkaAccess {

    /** The kind of Kafka resource a grant names. */
    public enum Resource { TOPIC, GROUP, TRANSACTIONAL_ID }

    /** Whether a grant names one resource or every resource whose name starts with it. */
    public enum Match { LITERAL, PREFIXED }

    /** Kafka ACL operations Regent grants ({@code DESCRIBE} comes with each topic grant: clients need metadata). */
    public enum Operation { READ, WRITE, DESCRIBE }

    /** One row of the table: {@code principal} may {@code operations} on {@code resource name}. */
    public record Grant(String principal, Resource resource, Match match, String name, Set<Operation> operations) {
    }

    /** Writes topology and operations (the outbox relay, transactional) and reads topology (its own view). */
    public static final String REGISTRY = "regent-registry";
    /** Writes node health; reads topology (which nodes to probe). */
    public static final String MONITOR = "regent-monitor";
    /** Reads node health, commands and topology; writes nothing to Kafka (it acts through the registry). */
    public static final String FAILOVER = "regent-failover";
    /** Writes commands; reads topology, node health and operations. */
    public static final String GATEWAY = "regent-gateway";
    /** Applications that follow the topology: read it, nothing else. */
    public static final String APPLICATION = "regent-app";
    /** The operator's principal (topics, users, ACLs): a Kafka super user, never used by a Regent service. */
    public static final String ADMIN = "regent-admin";

    /** Every service principal, in the order of the table. */
    public static final List<String> SERVICE_PRINCIPALS = List.of(REGISTRY, MONITOR, FAILOVER, GATEWAY, APPLICATION);

    private static final Set<Operation> READ = Set.of(Operation.READ, Operation.DESCRIBE);
    private static final Set<Operation> WRITE = Set.of(Operation.WRITE, Operation.DESCRIBE);

    public static final List<Grant> GRANTS = List.of(
            topic(REGISTRY, Topics.TOPOLOGY, Set.of(Operation.READ, Operation.WRITE, Operation.DESCRIBE)),
            topic(REGISTRY, Topics.OPERATIONS, WRITE),
            new Grant(REGISTRY, Resource.TRANSACTIONAL_ID, Match.PREFIXED, "regent-registry", WRITE),
            topic(MONITOR, Topics.NODE_HEALTH, WRITE),
            topic(MONITOR, Topics.TOPOLOGY, READ),
            topic(FAILOVER, Topics.NODE_HEALTH, READ),
            topic(FAILOVER, Topics.COMMANDS, READ),
            topic(FAILOVER, Topics.TOPOLOGY, READ),
            new Grant(FAILOVER, Resource.GROUP, Match.PREFIXED, "regent-failover", Set.of(Operation.READ)),
            topic(GATEWAY, Topics.COMMANDS, WRITE),
            topic(GATEWAY, Topics.TOPOLOGY, READ),
            topic(GATEWAY, Topics.NODE_HEALTH, READ),
            topic(GATEWAY, Topics.OPERATIONS, READ),
            new Grant(GATEWAY, Resource.GROUP, Match.PREFIXED, "regent-gateway", Set.of(Operation.READ)),
            topic(APPLICATION, Topics.TOPOLOGY, READ),
            new Grant(APPLICATION, Resource.GROUP, Match.PREFIXED, "regent-app", Set.of(Operation.READ)));

    private KafkaAccess() {
    }

    private static Grant topic(String principal, TopicSpec topic, Set<Operation> operations) {
        return new Grant(principal, Resource.TOPIC, Match.LITERAL, topic.name(), operations);
    }

    /** May {@code principal} do {@code operation} on {@code topic}? (The table's answer; the broker enforces it.) */
    public static boolean allows(String principal, String topic, Operation operation) {
        return GRANTS.stream().anyMatch(g -> g.principal().equals(principal) && g.resource() == Resource.TOPIC
                && (g.match() == Match.LITERAL ? g.name().equals(topic) : topic.startsWith(g.name()))
                && g.operations().contains(operation));
    }

    /** The topics {@code principal} may write. */
    public static Set<String> writableTopics(String principal) {
        return Topics.ALL.stream().map(TopicSpec::name).filter(t -> allows(principal, t, Operation.WRITE))
                .collect(Collectors.toUnmodifiableSet());
    }
}
