// What the dashboard knows, kept current by the live feed. Views read it; nothing here touches the DOM.

const LAG_WINDOW_MS = 10 * 60 * 1000;
export const LAG_WARN_BYTES = 16 * 1024 * 1024;

/**
 * Whether a follower is further behind than the gateway's follower routing check allows by default: in the
 * engine's unit (bytes of WAL, MariaDB transactions), the limit the gateway sends with each summary - so the
 * badge says what the load balancer does. Older gateways send none: 16 MiB.
 */
export function pastLagLimit(h) {
  return h != null && (h.lagBytes || 0) > (h.lagLimit ?? LAG_WARN_BYTES);
}

export const store = {
  me: null,                 // {name, roles} or null when signed out
  clusters: new Map(),      // id -> TopologyChanged
  health: new Map(),        // "cluster/node" -> health summary (newest)
  lag: new Map(),           // "cluster/node" -> [{t, bytes}] over the last 10 minutes
  operations: new Map(),    // cluster -> Map(operationId -> OperationUpdated)
  loaded: false,
  listeners: new Set(),
};

export function onChange(listener) {
  store.listeners.add(listener);
}

export function changed(what) {
  store.listeners.forEach((listener) => listener(what));
}

export function canOperate() {
  const roles = (store.me && store.me.roles) || [];
  return roles.includes('regent-operator') || roles.includes('regent-admin');
}

export function setTopology(topology) {
  const current = store.clusters.get(topology.clusterId);
  if (!current || topology.epoch >= current.epoch) store.clusters.set(topology.clusterId, topology);
}

export function deleteCluster(id) {
  store.clusters.delete(id);
  store.operations.delete(id);
}

export function setHealth(summary) {
  const key = `${summary.clusterId}/${summary.node}`;
  store.health.set(key, summary);
  if (summary.lagBytes != null) {
    const series = store.lag.get(key) || [];
    // the gateway's receipt time, as in the lag history: an agent's clock may be set wrong
    const t = Date.parse(summary.receivedAt || summary.observedAt) || Date.now();
    if (!series.length || series[series.length - 1].t < t) series.push({ t, bytes: summary.lagBytes });
    while (series.length && series[0].t < Date.now() - LAG_WINDOW_MS) series.shift();
    store.lag.set(key, series);
  }
}

/**
 * The gateway's record of each follower's lag over the last 10 minutes (points on its clock, like the feed's
 * receipt times): the chart starts from it after a reload instead of from nothing; live points are added after it.
 */
export function seedLag(clusterId, history) {
  (history.nodes || []).forEach((series) => {
    const key = `${clusterId}/${series.node}`;
    const live = store.lag.get(key) || [];
    const seeded = series.points.map((p) => ({ t: p.t, bytes: p.lag }));
    const first = live.length ? live[0].t : Infinity;
    store.lag.set(key, [...seeded.filter((p) => p.t < first), ...live]);
  });
}

export function setOperation(operation) {
  const forCluster = store.operations.get(operation.clusterId) || new Map();
  const current = forCluster.get(operation.operationId);
  if (!current || Date.parse(operation.updatedAt || 0) >= Date.parse(current.updatedAt || 0)) {
    forCluster.set(operation.operationId, operation);
  }
  store.operations.set(operation.clusterId, forCluster);
}

export function operationsOf(clusterId) {
  return [...(store.operations.get(clusterId) || new Map()).values()]
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
}

export function healthOf(clusterId, node) {
  return store.health.get(`${clusterId}/${node}`);
}

/** healthy / degraded / failing-over / leaderless, with the reason a person reads. */
export function clusterState(topology) {
  const running = operationsOf(topology.clusterId).find((op) =>
    (op.kind === 'FAILOVER' || op.kind === 'SWITCHOVER') && (op.status === 'RUNNING' || op.status === 'PENDING'));
  if (running) return { state: 'failing-over', label: running.kind === 'SWITCHOVER' ? 'switching over' : 'failing over' };
  if (!topology.leader) return { state: 'leaderless', label: 'leaderless' };
  const leader = healthOf(topology.clusterId, topology.leader);
  // nothing is healthy before an agent has seen it: a new cluster, or a gateway that just started
  if (!leader) return { state: 'unseen', label: 'not seen yet' };
  if (!leader.reachable) return { state: 'leaderless', label: 'leader unreachable' };
  const followers = topology.nodes.filter((n) => n.name !== topology.leader);
  const lagging = followers.filter((n) => {
    const h = healthOf(topology.clusterId, n.name);
    return !h || !h.reachable || h.walReceiverStatus !== 'streaming' || pastLagLimit(h);
  });
  if (lagging.length) return { state: 'degraded', label: 'degraded' };
  return { state: 'healthy', label: 'healthy' };
}

export function streamingFollowers(topology) {
  return topology.nodes.filter((n) => n.name !== topology.leader).filter((n) => {
    const h = healthOf(topology.clusterId, n.name);
    return h && h.reachable && h.walReceiverStatus === 'streaming';
  }).length;
}

export function worstLag(topology) {
  let worst = null;
  for (const n of topology.nodes) {
    if (n.name === topology.leader) continue;
    const h = healthOf(topology.clusterId, n.name);
    if (h && h.lagBytes != null && (worst == null || h.lagBytes > worst)) worst = h.lagBytes;
  }
  return worst;
}

export function lastFailover(clusterId) {
  return operationsOf(clusterId).find((op) => (op.kind === 'FAILOVER' || op.kind === 'SWITCHOVER')
    && op.status === 'SUCCEEDED');
}
