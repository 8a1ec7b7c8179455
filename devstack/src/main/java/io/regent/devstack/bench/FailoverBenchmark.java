package io.regent.devstack.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.regent.testkit.Signals;
import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.Credentials;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code ./regent bench failover}: kill -9 trials of the leader (or planned switchovers) on the
 * demo stack, each from three healthy nodes. Per trial the time from the kill to each phase the
 * failover-service recorded (detected, decided, promoted), to the new topology reaching a
 * subscriber of the topology topic, and to the first write a client that follows those events got
 * acknowledged by the new leader. Prints a table and, last, one JSON line with percentiles.
 */
public final class FailoverBenchmark {

    /** KILL: SIGKILL of the leader's server (proven dead); FREEZE: SIGSTOP (ambiguous: slow or gone); SWITCHOVER. */
    public enum Mode { KILL, FREEZE, SWITCHOVER }

    private static final Duration STEP_BUDGET = Duration.ofSeconds(90);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind
            .ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Demo demo;
    private final PrintStream out;
    private final DemoApi api = new DemoApi();
    private String lastChange = "";
    /** Writes a deposed leader acknowledged after its successor was promoted (FREEZE): a split brain's writes. */
    private long splitBrainWrites;

    public FailoverBenchmark(Demo demo, PrintStream out) {
        this.demo = demo;
        this.out = out;
    }

    /** Runs the trials, printing one row each; returns the JSON summary line (for the caller to print last). */
    public String run(int trials, Mode mode) {
        Credentials superuser = new Credentials("postgres", demo.secrets().get("demo.superuser"));
        try (TopologyFollower topology = new TopologyFollower(demo.applicationKafkaConfig(), DemoLayout.CLUSTER);
             CheckingWriter writer = new CheckingWriter("bench", () -> topology.latest() == null ? null
                     : topology.latest().leaderNode().orElse(null), superuser, new java.util.concurrent.atomic.AtomicLong())) {
            await("the writer's first acknowledged write", () -> (long) writer.acknowledged().size() > 0 ? true : null);
            List<String> columns = mode != Mode.SWITCHOVER
                    ? List.of("detected", "decided", "promoted", "announced", "first_write")
                    : List.of("operation", "fenced", "caught_up", "promoted", "repointed", "last_old_write",
                            "announced", "first_write", "write_gap");
            Map<String, List<Long>> samples = new LinkedHashMap<>();
            columns.forEach(c -> samples.put(c, new ArrayList<>()));
            out.printf("%-6s %s  %s%n", "trial", String.join("  ", columns.stream()
                    .map(c -> String.format("%14s", c + "_ms")).toList()), "leader");
            for (int trial = 1; trial <= trials; trial++) {
                awaitRecovered();
                Map<String, Long> row = switch (mode) {
                    case KILL -> failureTrial(topology, writer, false);
                    case FREEZE -> failureTrial(topology, writer, true);
                    case SWITCHOVER -> switchoverTrial(topology, writer);
                };
                columns.forEach(c -> samples.get(c).add(row.get(c)));
                out.printf("%-6d %s  %s%n", trial, String.join("  ", columns.stream()
                        .map(c -> String.format("%14d", row.get(c))).toList()), lastChange);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("benchmark", switch (mode) {
                case KILL -> "failover-kill";
                case FREEZE -> "failover-freeze";
                case SWITCHOVER -> "switchover";
            });
            summary.put("trials", trials);
            summary.put("unit", "ms");
            samples.forEach((column, values) -> summary.put(column, Stats.summary(values)));
            summary.put("writes_acknowledged", (long) writer.acknowledged().size());
            summary.put("write_attempts_failed", writer.failedAttempts());
            if (mode == Mode.FREEZE) {
                summary.put("split_brain_writes", splitBrainWrites);
            }
            return JSON.writeValueAsString(summary);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * kill -9 of the leader's server, or ({@code freeze}) SIGSTOP of it and every process it started: connections
     * stay open and nothing answers, which looks like a slow or cut-off server - the detection window and the
     * leader lease apply. The frozen server is woken once the new leader took a write; any write it acknowledges
     * after its successor's promotion is counted as a split brain's.
     */
    private Map<String, Long> failureTrial(TopologyFollower topology, CheckingWriter writer, boolean freeze) {
        TopologyChanged before = topology.latest();
        String leader = before.leader();
        Instant killedAt = Instant.now();
        List<Long> frozen = List.of();
        TopologyChanged after;
        Instant firstWrite;
        OperationUpdated failover;
        if (freeze) {
            frozen = NodeProcesses.signal(demo.layout().dataDirectory(leader), "STOP");
        } else {
            demo.cluster().node(leader).kill();
        }
        try {
            after = await("a new leader after " + (freeze ? "freezing " : "killing ") + leader,
                    () -> topology.firstNewLeaderAfter(before.epoch(), leader));
            firstWrite = await("a write acknowledged by " + after.leader(),
                    () -> writer.firstWriteOn(after.leader(), killedAt));
            failover = await("the failover's record", () -> operation(OperationKind.FAILOVER, killedAt), 250);
        } finally {
            Signals.send("CONT", frozen); // it wakes believing it leads, unless its agent fenced it meanwhile
        }
        if (freeze) {
            Testkit.sleep(2_000); // what it held in flight is answered, or its connections are gone, by now
            Instant promoted = phase(failover, "promoted");
            long late = writer.acknowledged().stream().filter(a -> a.node().equals(leader) && a.at().isAfter(promoted))
                    .count();
            splitBrainWrites += late;
        }
        Map<String, Long> row = new LinkedHashMap<>();
        row.put("detected", since(killedAt, phase(failover, "detected")));
        row.put("decided", since(killedAt, phase(failover, "decided")));
        row.put("promoted", since(killedAt, phase(failover, "promoted")));
        row.put("announced", since(killedAt, topology.receivedAt(after.epoch())));
        row.put("first_write", since(killedAt, firstWrite));
        lastChange = leader + " -> " + after.leader();
        return row;
    }

    private Map<String, Long> switchoverTrial(TopologyFollower topology, CheckingWriter writer) {
        TopologyChanged before = topology.latest();
        String leader = before.leader();
        String token = token("operator");
        Instant requestedAt = Instant.now();
        DemoApi.Response accepted = api.post(DemoLayout.gateway(), "/api/v1/clusters/" + DemoLayout.CLUSTER
                + "/switchover", token, Map.of("expectedEpoch", before.epoch()));
        if (accepted.status() != 202) {
            throw new DemoException("the switchover was refused: HTTP " + accepted.status() + " " + accepted.body());
        }
        TopologyChanged after = await("a new leader after the switchover from " + leader,
                () -> topology.firstNewLeaderAfter(before.epoch(), leader));
        Instant firstWrite = await("a write acknowledged by " + after.leader(),
                () -> writer.firstWriteOn(after.leader(), requestedAt));
        OperationUpdated switchover = await("the switchover's record",
                () -> operation(OperationKind.SWITCHOVER, requestedAt), 250);
        Map<String, Long> row = new LinkedHashMap<>();
        row.put("operation", Duration.between(switchover.startedAt(), switchover.finishedAt()).toMillis());
        // where the write gap goes: each phase the failover-service recorded, from the request (-1: not recorded)
        for (String phase : List.of("fenced", "caught-up", "promoted", "repointed")) {
            row.put(phase.replace('-', '_'), switchover.phases().stream().filter(p -> p.name().equals(phase))
                    .findFirst().map(p -> since(requestedAt, p.at())).orElse(-1L));
        }
        row.put("last_old_write", writer.acknowledged().stream().filter(a -> a.node().equals(leader)
                && a.at().isBefore(firstWrite)).map(a -> since(requestedAt, a.at())).max(Long::compare).orElse(-1L));
        row.put("announced", since(requestedAt, topology.receivedAt(after.epoch())));
        row.put("first_write", since(requestedAt, firstWrite));
        row.put("write_gap", writer.longestGapMillis(requestedAt, firstWrite));
        lastChange = leader + " -> " + after.leader();
        return row;
    }

    /** The finished operation of {@code kind} started at or after {@code since}; null until it succeeded. */
    private OperationUpdated operation(OperationKind kind, Instant since) {
        String token = token("viewer");
        DemoApi.Response page = api.get(DemoLayout.gateway(), "/api/v1/clusters/" + DemoLayout.CLUSTER
                + "/operations?size=20", token);
        if (page.status() != 200) {
            return null;
        }
        for (JsonNode item : page.json().path("items")) {
            OperationUpdated operation = JSON.convertValue(item, OperationUpdated.class);
            if (operation.kind() == kind && !operation.startedAt().isBefore(since.minusSeconds(1))) {
                if (operation.status() == OperationStatus.SUCCEEDED) {
                    return operation;
                }
                if (operation.status().isFinal()) {
                    throw new DemoException(kind + " " + operation.operationId() + " ended " + operation.status()
                            + ": " + operation.error());
                }
            }
        }
        return null;
    }

    /** Three healthy nodes, the others streaming, nothing running: the start of every trial. */
    private void awaitRecovered() {
        await("the cluster healthy again (old leader rejoined, every node streaming)", () -> {
            String token = token("viewer");
            if (demo.unhealthy(token) != null) {
                return null;
            }
            for (JsonNode item : api.get(DemoLayout.gateway(), "/api/v1/clusters/" + DemoLayout.CLUSTER
                    + "/operations?size=5", token).json().path("items")) {
                if (!OperationStatus.valueOf(item.path("status").asText("UNKNOWN")).isFinal()) {
                    return null;
                }
            }
            return true;
        }, 250);
        Testkit.sleep(1_000); // let the agents publish a full round of the healthy state
    }

    private String token(String user) {
        return api.cachedToken(user, demo.secrets().password(user));
    }

    private static Instant phase(OperationUpdated operation, String name) {
        return operation.phases().stream().filter(p -> p.name().equals(name)).map(OperationPhase::at).findFirst()
                .orElseThrow(() -> new DemoException("operation " + operation.operationId() + " has no phase " + name
                        + ": " + operation.phases()));
    }

    private static long since(Instant start, Instant at) {
        return Duration.between(start, at).toMillis();
    }

    private static <T> T await(String what, Supplier<T> condition) {
        return await(what, condition, 20);
    }

    private static <T> T await(String what, Supplier<T> condition, long pollMillis) {
        return Await.until(what, STEP_BUDGET, pollMillis, condition);
    }
}
