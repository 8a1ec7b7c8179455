package io.regent.devstack.chaos;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.regent.devstack.client.CheckingWriter;
import io.regent.devstack.client.TopologyFollower;
import io.regent.devstack.demo.Await;
import io.regent.devstack.demo.Demo;
import io.regent.devstack.demo.DemoApi;
import io.regent.devstack.demo.DemoException;
import io.regent.devstack.demo.DemoLayout;
import io.regent.devstack.demo.NodeProcesses;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.testkit.Signals;
import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.quarkus.QuarkusService;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code ./regent chaos}: faults in random order (seeded) against the demo stack with a
 * synchronous cluster (or an asynchronous one: {@code --mode async}), while two clients write - one that follows the topology events (as an
 * application should) and one that learns the leader only as each fault begins and keeps writing
 * there through it (a client with a stale view, the one a split brain would hurt). Each fault is followed by full recovery
 * (three nodes streaming, no operation running). Then the {@link Checker}'s verdict.
 */
public final class ChaosCampaign {

    private static final Duration RECOVERY = Duration.ofSeconds(180);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Demo demo;
    private final PrintStream out;
    private final DemoApi api = new DemoApi();
    private int killedMidOperation;
    private int pausedMidOperation;
    private int registryRestarts;
    private int skewedAgents;

    private final boolean asynchronous;

    /** @param asynchronous whether the demo cluster replicates asynchronously ({@code ./regent chaos --mode async}) */
    public ChaosCampaign(Demo demo, PrintStream out, boolean asynchronous) {
        this.demo = demo;
        this.out = out;
        this.asynchronous = asynchronous;
    }

    /** Runs {@code faults} faults chosen with {@code seed}; returns the verdict and its JSON line. */
    public Result run(int faults, long seed) {
        Credentials superuser = new Credentials("postgres", demo.secrets().get("demo.superuser"));
        Instant campaignStart = Instant.now();
        try (TopologyFollower topology = new TopologyFollower(demo.applicationKafkaConfig(), DemoLayout.CLUSTER)) {
            TopologyChanged first = await("the first topology", topology::latest, Duration.ofSeconds(30));
            TopologyNode firstLeader = first.leaderNode().orElseThrow();
            AtomicLong ids = new AtomicLong();
            List<Checker.FaultWindow> windows = new ArrayList<>();
            Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
            // the stale client learns the leader only when a fault begins, and keeps writing there through it:
            // to a killed leader in vain, to a frozen one that wakes up believing it leads (a zombie) - where a
            // split brain would show
            java.util.concurrent.atomic.AtomicReference<TopologyNode> staleTarget =
                    new java.util.concurrent.atomic.AtomicReference<>(firstLeader);
            try (CheckingWriter following = new CheckingWriter(Checker.FOLLOWING_WRITER, () -> leaderOf(topology),
                    superuser, ids);
                 CheckingWriter stale = new CheckingWriter("stale", staleTarget::get, superuser, ids)) {
                Testkit.sleep(2_000);
                Random random = new Random(seed);
                Fault[] kinds = Fault.values();
                for (int i = 1; i <= faults; i++) {
                    Fault fault = kinds[random.nextInt(kinds.length)];
                    awaitRecovered();
                    staleTarget.set(leaderOf(topology));
                    Instant start = Instant.now();
                    String detail = inject(fault, topology);
                    awaitRecovered();
                    Instant end = Instant.now();
                    int failovers = failoversStartedBetween(start, end);
                    windows.add(new Checker.FaultWindow(fault, start, end, failovers));
                    injected.merge(fault, 1, Integer::sum);
                    out.printf("%3d/%d %-36s %-28s failovers %d, recovered after %.1f s%n", i, faults, fault, detail,
                            failovers, Duration.between(start, end).toMillis() / 1000.0);
                }
                Testkit.sleep(2_000);
                following.close();
                stale.close();
                List<CheckingWriter.Ack> acks = new ArrayList<>(following.acknowledged());
                acks.addAll(stale.acknowledged());
                TopologyNode finalLeader = leaderOf(topology);
                Set<Long> present = idsOn(finalLeader, superuser);
                List<OperationUpdated> operations = operationsSince(campaignStart);
                List<Checker.Promotion> promoted = new ArrayList<>();
                List<Checker.FailoverRecord> failoverRecords = new ArrayList<>();
                for (OperationUpdated operation : operations) {
                    if (operation.kind() == OperationKind.FAILOVER) {
                        failoverRecords.add(new Checker.FailoverRecord(operation.operationId().toString(),
                                operation.status().name(), operation.phases().stream().map(OperationPhase::name)
                                .toList()));
                    }
                    if ((operation.kind() == OperationKind.FAILOVER || operation.kind() == OperationKind.SWITCHOVER)
                            && operation.status() == OperationStatus.SUCCEEDED) {
                        operation.phases().stream().filter(p -> p.name().equals("promoted")).findFirst()
                                .ifPresent(p -> promoted.add(new Checker.Promotion(p.at(), operation.toNode())));
                    }
                }
                List<Checker.Promotion> promotions = new ArrayList<>();
                promotions.add(new Checker.Promotion(Instant.EPOCH, firstLeader.name()));
                promotions.addAll(withSwitchPoints(promoted, switchPoints(finalLeader, superuser)));
                Checker.Verdict verdict = Checker.check(acks, present, promotions, windows, failoverRecords,
                        asynchronous ? maxLagOnFailoverBytes() : null);
                return new Result(verdict, summary(faults, seed, injected, verdict, failoverRecords.size(),
                        following.acknowledged().size(), stale.acknowledged().size(), finalLeader.name()));
            }
        }
    }

    /**
     * The promotions in time order, each with the LSN where its timeline branched off: the last entries of the
     * final leader's timeline history are the campaign's promotions, the newest last (the history is linear:
     * every promoted node followed the previous leader's timeline).
     */
    static List<Checker.Promotion> withSwitchPoints(List<Checker.Promotion> promoted, List<Long> switchPoints) {
        List<Checker.Promotion> sorted = promoted.stream().sorted(java.util.Comparator.comparing(
                Checker.Promotion::at)).toList();
        List<Checker.Promotion> result = new ArrayList<>();
        int offset = switchPoints.size() - sorted.size();
        for (int i = 0; i < sorted.size(); i++) {
            Long lsn = i + offset >= 0 ? switchPoints.get(i + offset) : null;
            result.add(new Checker.Promotion(sorted.get(i).at(), sorted.get(i).node(), lsn));
        }
        return result;
    }

    /** The switch points of the node's timeline history, oldest first (empty on timeline 1 or when unreadable). */
    private List<Long> switchPoints(TopologyNode node, Credentials superuser) {
        List<Long> points = new ArrayList<>();
        try (Connection connection = connect(node, superuser); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pg_read_file('pg_wal/' || name) FROM pg_ls_waldir() "
                     + "WHERE name LIKE '%.history' ORDER BY name DESC LIMIT 1")) {
            if (rows.next()) {
                for (String line : rows.getString(1).split("\n")) {
                    String[] fields = line.trim().split("\s+");
                    if (fields.length >= 2 && fields[0].matches("[0-9]+") && fields[1].contains("/")) {
                        points.add(CheckingWriter.lsn(fields[1]));
                    }
                }
            }
        } catch (SQLException | RuntimeException e) {
            out.println("  (no timeline history read from " + node.name() + ": " + e.getMessage()
                    + "; the RPO is counted in writes only)");
        }
        return points;
    }

    /** The demo cluster's bound on the WAL a failover may give up (its failover policy). */
    private long maxLagOnFailoverBytes() {
        DemoApi.Response response = api.get(DemoLayout.gateway(), "/api/v1/clusters/" + DemoLayout.CLUSTER,
                token("viewer"));
        if (response.status() != 200) {
            throw new DemoException("cannot read the cluster: HTTP " + response.status() + " " + response.body());
        }
        return response.json().path("failoverPolicy").path("maxLagOnFailoverBytes").asLong();
    }

    /** The verdict and the JSON line to print last. */
    public record Result(Checker.Verdict verdict, String json) {
    }

    private String inject(Fault fault, TopologyFollower topology) {
        TopologyChanged now = topology.latest();
        String leader = now.leader();
        switch (fault) {
            case KILL_LEADER -> {
                NodeProcesses.signal(demo.layout().dataDirectory(leader), "KILL");
                awaitNewLeader(topology, now);
                return leader + " killed";
            }
            case FREEZE_LEADER -> {
                List<Long> frozen = NodeProcesses.signal(demo.layout().dataDirectory(leader), "STOP");
                try {
                    awaitNewLeader(topology, now);
                    Testkit.sleep(1_000);
                } finally {
                    Signals.send("CONT", frozen); // the zombie wakes up, believing it leads
                }
                return leader + " frozen, then woken";
            }
            case FREEZE_AGENT -> {
                List<QuarkusService> agents = demo.agents();
                QuarkusService agent = agents.get(new Random(now.epoch()).nextInt(agents.size()));
                Signals.send("STOP", agent.process().pid());
                try {
                    Testkit.sleep(10_000);
                } finally {
                    Signals.send("CONT", agent.process().pid());
                }
                return agent.name() + " frozen 10 s";
            }
            case KILL_FAILOVER_SERVICE_MID_OPERATION -> {
                Instant killedAt = Instant.now();
                QuarkusService owner = owner();
                NodeProcesses.signal(demo.layout().dataDirectory(leader), "KILL");
                boolean mid = !await("a failover of " + leader, () -> failoverSince(killedAt),
                        Duration.ofSeconds(30)).status().isFinal();
                demo.killFailover(owner);
                if (mid) {
                    killedMidOperation++;
                }
                Testkit.sleep(1_000);
                demo.restartFailover(owner);
                awaitNewLeader(topology, now);
                return leader + " killed, " + owner.name() + " killed " + (mid ? "mid-operation" : "after it");
            }
            case PAUSE_FAILOVER_SERVICE_MID_OPERATION -> {
                Instant killedAt = Instant.now();
                QuarkusService owner = owner();
                NodeProcesses.signal(demo.layout().dataDirectory(leader), "KILL");
                OperationUpdated failover = await("a failover of " + leader, () -> failoverSince(killedAt),
                        Duration.ofSeconds(30));
                boolean mid = !failover.status().isFinal();
                owner.process().freeze();
                try {
                    // the other instance takes the cluster over and finishes the operation
                    await("the failover finished without " + owner.name(), () -> {
                        OperationUpdated op = failoverSince(killedAt);
                        return op != null && op.status().isFinal() ? op : null;
                    }, Duration.ofSeconds(90));
                    awaitNewLeader(topology, now);
                } finally {
                    owner.process().thaw(); // it wakes up with a stale plan: it must touch nothing
                }
                if (mid) {
                    pausedMidOperation++;
                }
                Testkit.sleep(2_000);
                return leader + " killed, " + owner.name() + " paused " + (mid ? "mid-operation" : "after it");
            }
            case RESTART_KAFKA -> {
                demo.kafka().stop();
                Testkit.sleep(5_000);
                demo.kafka().restart();
                return "broker down 5 s";
            }
            case RESTART_REGISTRY -> {
                int replica = registryRestarts++ % demo.registries().size();
                demo.crashAndRestartRegistry(replica);
                return demo.registries().get(replica).name() + " killed and restarted";
            }
            case STALL_LEADER_1S -> {
                stall(leader, 1_000);
                Testkit.sleep(5_000); // longer than the detection window: a wrong failover would have begun
                return leader + " stalled 1 s";
            }
            case SLOW_LEADER -> {
                for (long end = System.nanoTime() + Duration.ofSeconds(15).toNanos(); System.nanoTime() < end; ) {
                    stall(leader, 900);
                    Testkit.sleep(100);
                }
                Testkit.sleep(5_000);
                return leader + " starved of CPU 15 s";
            }
            case AUTH_FAILURE_LEADER -> {
                refuseRegentOn(now.leaderNode().orElseThrow(), Duration.ofSeconds(15));
                Testkit.sleep(5_000);
                return leader + " refused Regent's role 15 s";
            }
            case SKEWED_AGENT -> {
                List<TopologyNode> nodes = now.nodes();
                String node = nodes.get(new Random(now.epoch() * 31 + skewedAgents).nextInt(nodes.size())).name();
                long skew = skewedAgents++ % 2 == 0 ? -2_000 : 2_000;
                demo.restartNodeAgent(node, io.regent.testkit.SkewedClock.ahead(skew));
                try {
                    Testkit.sleep(3_000); // probes from the skewed agent: history for the decisions
                    stall(leader, 1_000);
                    Testkit.sleep(5_000);
                } finally {
                    demo.restartNodeAgent(node, Map.of());
                }
                return "agent of " + node + " " + (skew > 0 ? "+" : "") + skew + " ms, " + leader + " stalled 1 s";
            }
            case PARTITION_LEADER -> {
                io.regent.testkit.NetworkNamespace machine = demo.machineOf(leader);
                machine.cut();
                try {
                    awaitNewLeader(topology, now);
                    Testkit.sleep(1_000);
                } finally {
                    machine.heal(); // the zombie's clients reach it again
                }
                return leader + " cut off, healed after the failover";
            }
            default -> throw new IllegalStateException("unknown fault " + fault);
        }
    }

    /** SIGSTOP of {@code node}'s server and all its processes for {@code millis}, then SIGCONT. */
    private void stall(String node, long millis) {
        List<Long> frozen = NodeProcesses.signal(demo.layout().dataDirectory(node), "STOP");
        try {
            Testkit.sleep(millis);
        } finally {
            Signals.send("CONT", frozen);
        }
    }

    /**
     * Regent's role ({@code regent}) refused by {@code node}'s pg_hba.conf for {@code duration}, its sessions ended;
     * then the file as it was. The server answers every probe with an authentication error: alive, not down.
     */
    private void refuseRegentOn(TopologyNode node, Duration duration) {
        java.nio.file.Path hba = demo.layout().dataDirectory(node.name()).resolve("pg_hba.conf");
        Credentials superuser = new Credentials("postgres", demo.secrets().get("demo.superuser"));
        try {
            String original = java.nio.file.Files.readString(hba);
            java.nio.file.Files.writeString(hba, "host all regent 127.0.0.1/32 reject\n" + original);
            try {
                execute(node, superuser, "SELECT pg_reload_conf()");
                execute(node, superuser, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = "
                        + "'regent'");
                Testkit.sleep(duration.toMillis());
            } finally {
                java.nio.file.Files.writeString(hba, original);
                execute(node, superuser, "SELECT pg_reload_conf()");
            }
        } catch (java.io.IOException e) {
            throw new DemoException("cannot edit " + hba + ": " + e.getMessage(), e);
        }
    }

    private static void execute(TopologyNode node, Credentials superuser, String sql) {
        try (Connection connection = connect(node, superuser); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new DemoException("cannot run " + sql + " on " + node.name() + ": " + e.getMessage(), e);
        }
    }

    /** The failover-service instance that owns the demo cluster now. */
    private QuarkusService owner() {
        return await("the failover-service owning " + DemoLayout.CLUSTER, () -> demo.failoverOwning(DemoLayout.CLUSTER),
                Duration.ofSeconds(30));
    }

    private void awaitNewLeader(TopologyFollower topology, TopologyChanged before) {
        await("a new leader after epoch " + before.epoch(), () -> topology.firstNewLeaderAfter(before.epoch(),
                before.leader()), Duration.ofSeconds(60));
    }

    private static TopologyNode leaderOf(TopologyFollower topology) {
        TopologyChanged latest = topology.latest();
        return latest == null ? null : latest.leaderNode().orElse(null);
    }

    /** The newest FAILOVER started at or after {@code since}, or null. */
    private OperationUpdated failoverSince(Instant since) {
        return operationsPage(0).stream().filter(o -> o.kind() == OperationKind.FAILOVER
                && !o.startedAt().isBefore(since)).findFirst().orElse(null);
    }

    private int failoversStartedBetween(Instant start, Instant end) {
        return (int) operationsSince(start).stream().filter(o -> o.kind() == OperationKind.FAILOVER
                && !o.startedAt().isAfter(end)).count();
    }

    /** Every operation of the cluster started at or after {@code since}, newest first. */
    private List<OperationUpdated> operationsSince(Instant since) {
        List<OperationUpdated> result = new ArrayList<>();
        for (int page = 0; ; page++) {
            List<OperationUpdated> items = operationsPage(page);
            for (OperationUpdated operation : items) {
                if (operation.startedAt().isBefore(since)) {
                    return result;
                }
                result.add(operation);
            }
            if (items.size() < 100) {
                return result;
            }
        }
    }

    private List<OperationUpdated> operationsPage(int page) {
        DemoApi.Response response = api.get(DemoLayout.gateway(), "/api/v1/clusters/" + DemoLayout.CLUSTER
                + "/operations?size=100&page=" + page, token("viewer"));
        if (response.status() != 200) {
            throw new DemoException("cannot read the operations: HTTP " + response.status() + " " + response.body());
        }
        List<OperationUpdated> operations = new ArrayList<>();
        for (JsonNode item : response.json().path("items")) {
            operations.add(JSON.convertValue(item, OperationUpdated.class));
        }
        return operations;
    }

    /** Healthy (every agent sees every node, followers streaming) and no operation running, twice in a row. */
    private void awaitRecovered() {
        int[] healthyChecks = {0};
        Await.untilNoReason("the cluster whole again (three nodes streaming, no operation running)", RECOVERY, 500,
                () -> {
                    String why = notRecoveredBecause();
                    healthyChecks[0] = why == null ? healthyChecks[0] + 1 : 0;
                    return healthyChecks[0] >= 2 ? null : why == null ? "healthy once, checking again" : why;
                });
    }

    /** Why the cluster is not whole yet (what the stack says, or the operation still running), null when it is. */
    private String notRecoveredBecause() {
        try {
            String unhealthy = demo.unhealthy(token("viewer"));
            if (unhealthy != null) {
                return unhealthy;
            }
            return operationsPage(0).stream().limit(5).filter(o -> !o.status().isFinal()).findFirst()
                    .map(o -> o.kind() + " " + o.operationId() + " still " + o.status() + " (phases "
                            + o.phases().stream().map(OperationPhase::name).toList() + ")")
                    .orElse(null);
        } catch (RuntimeException e) {
            return "the stack does not answer: " + e.getMessage(); // the registry or the gateway restarting
        }
    }

    private String token(String user) {
        return api.cachedToken(user, demo.secrets().password(user));
    }

    private static Set<Long> idsOn(TopologyNode node, Credentials superuser) {
        Set<Long> ids = new HashSet<>();
        try (Connection connection = connect(node, superuser); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id FROM " + CheckingWriter.TABLE)) {
            while (rows.next()) {
                ids.add(rows.getLong(1));
            }
            return ids;
        } catch (SQLException e) {
            throw new DemoException("cannot read the checked table on " + node.name() + ": " + e.getMessage(), e);
        }
    }

    private static Connection connect(TopologyNode node, Credentials credentials) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        props.setProperty("password", credentials.password());
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://" + node.host() + ":" + node.port() + "/postgres", props);
    }

    private String summary(int faults, long seed, Map<Fault, Integer> injected, Checker.Verdict verdict,
            int failovers, int followingAcks, int staleAcks, String finalLeader) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("campaign", "chaos");
        json.put("seed", seed);
        json.put("replication", asynchronous ? "async" : "sync");
        json.put("faults_injected", faults);
        Map<String, Integer> byKind = new LinkedHashMap<>();
        injected.forEach((fault, count) -> byKind.put(fault.name().toLowerCase(), count));
        json.put("faults_by_kind", byKind);
        json.put("failovers", failovers);
        json.put("failover_service_killed_mid_operation", killedMidOperation);
        json.put("failover_service_paused_mid_operation", pausedMidOperation);
        json.put("failover_services", demo.failovers().size());
        json.put("registry_replicas", demo.registries().size());
        json.put("acknowledged_writes", verdict.acknowledged());
        json.put("acknowledged_by_following_client", followingAcks);
        json.put("acknowledged_by_stale_client", staleAcks);
        json.put("lost_writes", verdict.lost().size());
        json.put("split_brain_writes", verdict.splitBrain().size());
        json.put("false_failovers", verdict.falseFailovers().size());
        json.put("missed_failovers", verdict.missedFailovers().size());
        json.put("incomplete_operations", verdict.incomplete().size());
        json.put("stranded", verdict.stranded().size());
        if (asynchronous) {
            // the RPO of each failover that gave acknowledged writes up
            json.put("failovers_that_gave_writes_up", verdict.asyncLoss().size());
            json.put("writes_given_up", verdict.asyncLoss().stream().mapToInt(Checker.AsyncLoss::writes).sum());
            json.put("most_writes_given_up_by_one_failover", verdict.asyncLoss().stream()
                    .mapToInt(Checker.AsyncLoss::writes).max().orElse(0));
            json.put("most_bytes_given_up_by_one_failover", verdict.asyncLoss().stream()
                    .filter(l -> l.bytes() != null).mapToLong(Checker.AsyncLoss::bytes).max().orElse(0));
            json.put("rpo_exceeded", verdict.rpoExceeded().size());
        }
        json.put("longest_write_gap_ms", verdict.longestWriteGap() == null ? 0
                : verdict.longestWriteGap().length().toMillis());
        json.put("final_leader", finalLeader);
        json.put("passed", verdict.passed());
        try {
            return JSON.writeValueAsString(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T await(String what, Supplier<T> condition, Duration budget) {
        return Await.until(what, budget, 50, condition);
    }

    private static <T> T await(String what, Supplier<T> condition, Duration budget, long pollMillis) {
        return Await.until(what, budget, pollMillis, condition);
    }
}
