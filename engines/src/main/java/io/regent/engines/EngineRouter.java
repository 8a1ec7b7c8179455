package io.regent.engines;

import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Several engines' adapters behind one: each call goes to the adapter of the node's engine, so the
 * services act on every engine the same way. Closing it closes them all.
 */
public final class EngineRouter implements EngineAdapter {

    private final Map<Engine, EngineAdapter> adapters = new EnumMap<>(Engine.class);

    public EngineRouter(List<EngineAdapter> adapters) {
        adapters.forEach(adapter -> this.adapters.put(adapter.engine(), adapter));
    }

    /** Whether an adapter for {@code engine} is here. */
    public boolean supports(Engine engine) {
        return adapters.containsKey(engine);
    }

    /** The adapter for {@code engine}; refuses, naming the engine, when this service has none. */
    public EngineAdapter adapter(Engine engine) {
        EngineAdapter adapter = adapters.get(engine);
        if (adapter == null) {
            throw new EngineActionException("no " + engine + " support in this service (it acts on " + adapters.keySet()
                    + ")");
        }
        return adapter;
    }

    /** A router serves several engines: ask {@link #adapter(Engine)} for one. */
    @Override
    public Engine engine() {
        throw new UnsupportedOperationException("an EngineRouter serves " + adapters.keySet());
    }

    @Override
    public NodeObserved probe(NodeTarget node, Duration timeout) {
        return adapter(node.engine()).probe(node, timeout);
    }

    @Override
    public void promote(NodeTarget node, Deadline deadline) {
        adapter(node.engine()).promote(node, deadline);
    }

    @Override
    public void follow(NodeTarget node, NodeTarget leader, Deadline deadline) {
        adapter(node.engine()).follow(node, leader, deadline);
    }

    @Override
    public void rejoin(NodeTarget node, NodeTarget leader, Deadline deadline) {
        adapter(node.engine()).rejoin(node, leader, deadline);
    }

    @Override
    public void fence(NodeTarget node, Deadline deadline) {
        adapter(node.engine()).fence(node, deadline);
    }

    @Override
    public void unfence(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        adapter(leader.engine()).unfence(leader, standbys, k, deadline);
    }

    @Override
    public void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        adapter(leader.engine()).configureSynchronous(leader, standbys, k, deadline);
    }

    @Override
    public long writeBarrier(NodeTarget leader, Deadline deadline) {
        return adapter(leader.engine()).writeBarrier(leader, deadline);
    }

    @Override
    public void awaitReplayed(NodeTarget follower, long position, Deadline deadline) {
        adapter(follower.engine()).awaitReplayed(follower, position, deadline);
    }

    @Override
    public OptionalLong detach(NodeTarget follower, NodeTarget leader, NodeTarget candidate, Deadline deadline) {
        return adapter(follower.engine()).detach(follower, leader, candidate, deadline);
    }

    @Override
    public void awaitReceived(NodeTarget node, long position, Deadline deadline) {
        adapter(node.engine()).awaitReceived(node, position, deadline);
    }

    @Override
    public void forget(NodeTarget node) {
        EngineAdapter adapter = adapters.get(node.engine());
        if (adapter != null) {
            adapter.forget(node);
        }
    }

    @Override
    public void close() {
        adapters.values().forEach(EngineAdapter::close);
    }
}
