// The Regent dashboard: overview and cluster pages, updated live from the gateway's feed.
import { api, ApiError } from './api.js';
import { canAdminister, registerPage, settingsPage } from './admin.js';
import { h, millis, ago, time, position, lag as lagOf, positionsHeading } from './dom.js';
import {
  store, onChange, changed, canOperate, setTopology, deleteCluster, setHealth, setOperation, operationsOf,
  healthOf, clusterState, streamingFollowers, worstLag, lastFailover, pastLagLimit, seedLag,
} from './store.js';

const main = document.getElementById('main');
const PHASE_ORDER = ['detected', 'decided', 'fenced', 'lease-expired', 'caught-up', 'promoted', 'repointed', 'announced'];
const COLORS = ['#0969da', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#57606a'];
let observations = { cluster: null, items: [], error: null };
let observationTimer = null;

// ---- start ----------------------------------------------------------------------------------

async function start() {
  try {
    store.me = await api.me();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      renderSignedOut();
      return;
    }
    renderError(e);
    return;
  }
  renderWho();
  connectFeed();
  try {
    (await api.clusters()).forEach(setTopology);
    store.loaded = true;
    await Promise.all([...store.clusters.keys()].map((id) => Promise.all([loadOperations(id), seedHealth(id)])));
  } catch (e) {
    notice(`Could not load clusters: ${e.message}`, true);
  }
  window.addEventListener('hashchange', route);
  onChange(() => render());
  setInterval(() => render(), 5000); // "x s ago" stays true
  route();
}

async function loadOperations(clusterId) {
  try {
    const page = await api.operations(clusterId);
    (page.items || []).forEach(setOperation);
  } catch (e) {
    // history is a nicety on the overview; the cluster page says when it cannot load
  }
}

async function seedHealth(clusterId) {
  try {
    seedLag(clusterId, await api.lagHistory(clusterId));
  } catch (e) {
    // the chart then starts empty and fills from the feed
  }
  try {
    newestPerNode(await api.observations(clusterId)).forEach(setHealth);
  } catch (e) {
    // the feed brings health within seconds anyway
  }
}

function newestPerNode(items) {
  const newest = new Map();
  items.forEach((o) => {
    const current = newest.get(o.node);
    // by the gateway's receipt time: each agent stamps observedAt with its own clock, which may be set wrong
    if (!current || Date.parse(o.receivedAt) > Date.parse(current.receivedAt)) newest.set(o.node, o);
  });
  return [...newest.values()];
}

// ---- live feed ------------------------------------------------------------------------------

function connectFeed() {
  const feed = document.getElementById('feed');
  const source = new EventSource('/api/v1/events', { withCredentials: true });
  const status = (cls, text) => { feed.className = `feed ${cls}`; feed.textContent = text; };
  source.addEventListener('open', () => status('feed-live', 'Live'));
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      status('feed-down', 'Disconnected – retrying');
      setTimeout(connectFeed, 3000); // the browser gave up (e.g. the gateway answered an error): start over
    } else {
      status('feed-connecting', 'Reconnecting…'); // the browser retries by itself, resuming with Last-Event-ID
    }
  });
  const on = (name, apply) => source.addEventListener(name, (event) => {
    apply(JSON.parse(event.data));
    changed(name);
  });
  on('topology', (topology) => { setTopology(topology); store.loaded = true; });
  on('health', setHealth);
  on('operation', setOperation);
  on('cluster-deleted', (data) => deleteCluster(data.clusterId));
}

// ---- routing and frame ----------------------------------------------------------------------

function route() {
  const match = location.hash.match(/^#\/clusters\/([a-z0-9-]+)$/);
  clearInterval(observationTimer);
  if (match) {
    const id = match[1];
    refreshObservations(id);
    observationTimer = setInterval(() => refreshObservations(id), 2000);
  }
  render();
  main.focus({ preventScroll: true });
}

async function refreshObservations(id) {
  try {
    observations = { cluster: id, items: await api.observations(id), error: null };
    newestPerNode(observations.items).forEach(setHealth);
  } catch (e) {
    observations = { cluster: id, items: [], error: e.message };
  }
  render();
}

/** The admin's form pages: drawn once per visit, never redrawn by live updates (that would lose what is typed). */
const FORM_PAGE = /^#\/(new|clusters\/([a-z0-9-]+)\/settings)$/;

async function renderFormPage(match) {
  const crumbs = document.getElementById('crumbs');
  const id = match[2];
  crumbs.replaceChildren(h('a', { href: '#/' }, 'Clusters'),
    ...(id ? [' / ', h('a', { href: `#/clusters/${id}` }, id), ' / settings'] : [' / register']));
  if (main.getAttribute('data-page') === location.hash) return;
  main.setAttribute('data-page', location.hash);
  if (!canAdminister(store.me)) {
    main.replaceChildren(h('h1', {}, id ? `${id}: settings` : 'Register a cluster'),
      h('p', { class: 'state', 'data-test': 'read-only' }, 'Changing clusters and nodes needs the admin role.'));
    return;
  }
  main.replaceChildren(h('p', { class: 'state' }, 'Loading…'));
  const page = id
    ? await settingsPage(id, { notice, confirm, onRemoved: () => { location.hash = '#/'; } })
    : registerPage((created) => { notice(`${created} registered: it appears below as soon as its topology is published.`); location.hash = `#/clusters/${created}`; });
  if (main.getAttribute('data-page') === location.hash) main.replaceChildren(...page.filter((part) => part != null));
}

function render() {
  const form = location.hash.match(FORM_PAGE);
  if (form) {
    renderFormPage(form);
    return;
  }
  main.removeAttribute('data-page');
  const match = location.hash.match(/^#\/clusters\/([a-z0-9-]+)$/);
  const crumbs = document.getElementById('crumbs');
  crumbs.replaceChildren(match ? h('a', { href: '#/' }, 'Clusters') : '', match ? ` / ${match[1]}` : '');
  // live updates redraw the page: keep the keyboard focus where it was
  const focused = main.contains(document.activeElement) ? focusKey(document.activeElement) : null;
  main.replaceChildren(...(match ? clusterPage(match[1]) : overviewPage()).filter((part) => part != null));
  if (focused) {
    const again = main.querySelector(focused);
    if (again) again.focus();
  }
}

function focusKey(el) {
  if (el.getAttribute('data-action')) return `[data-action="${el.getAttribute('data-action')}"]`;
  if (el.getAttribute('href')) return `a[href="${el.getAttribute('href')}"]`;
  return null;
}

function renderWho() {
  const who = document.getElementById('who');
  const roles = store.me.roles.map((r) => r.replace('regent-', '')).join(', ') || 'no Regent role';
  who.replaceChildren(h('span', { 'data-test': 'user' }, `${store.me.name} (${roles})`),
    h('a', { href: '/logout' }, 'Sign out'));
}

function renderSignedOut() {
  document.getElementById('feed').hidden = true;
  document.getElementById('who').replaceChildren(h('a', { href: '/login' }, 'Sign in'));
  main.replaceChildren(h('h1', {}, 'Regent'), h('p', { class: 'state' },
    'Sign in to see your database clusters. ', h('a', { href: '/login', 'data-test': 'sign-in' }, 'Sign in with Keycloak')));
}

function renderError(error) {
  main.replaceChildren(h('p', { class: 'state error', role: 'alert' }, `Something went wrong: ${error.message} `,
    h('button', { onclick: () => location.reload() }, 'Retry')));
}

function notice(text, error = false) {
  const el = document.getElementById('notice');
  el.textContent = text;
  el.className = error ? 'notice error' : 'notice';
  el.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { el.hidden = true; }, 10000);
}

// ---- overview -------------------------------------------------------------------------------

function overviewPage() {
  const clusters = [...store.clusters.values()].sort((a, b) => a.clusterId.localeCompare(b.clusterId));
  const register = canAdminister(store.me)
    ? h('div', { class: 'actions' }, h('a', { class: 'button primary', href: '#/new', 'data-action': 'register-cluster' }, 'Register a cluster…'))
    : null;
  const title = h('h1', {}, 'Clusters');
  if (!store.loaded) return [title, h('p', { class: 'state' }, 'Loading clusters…')];
  if (!clusters.length) return [title, register, h('p', { class: 'state' }, canAdminister(store.me)
    ? 'No clusters are registered yet: register the first one above.'
    : 'No clusters are registered yet. An admin adds them here or with regentctl add-cluster.')];
  const rows = clusters.map((t) => {
    const state = clusterState(t);
    const last = lastFailover(t.clusterId);
    const lag = worstLag(t);
    return h('tr', { 'data-cluster': t.clusterId },
      h('td', {}, h('a', { href: `#/clusters/${t.clusterId}` }, t.clusterId)),
      h('td', {}, h('span', { class: `badge ${state.state}`, 'data-test': 'state' }, state.label),
        t.maintenance ? [' ', h('span', { class: 'badge maintenance' }, 'maintenance')] : null),
      h('td', {}, t.engine),
      h('td', { 'data-test': 'leader' }, t.leader || '–'),
      h('td', { class: 'num' }, t.epoch),
      h('td', { class: 'num' }, `${streamingFollowers(t)} / ${t.nodes.length - (t.leader ? 1 : 0)}`),
      h('td', { class: 'num' }, lagOf(t.engine, lag)),
      h('td', {}, last ? `${last.kind.toLowerCase()} ${ago(last.finishedAt || last.updatedAt)}` : 'none'));
  });
  return [title, register, h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Clusters' },
    h('thead', {}, h('tr', {}, ['Cluster', 'Health', 'Engine', 'Leader', 'Epoch', 'Followers streaming',
      'Worst lag', 'Last failover or switchover'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)))];
}

// ---- cluster page ---------------------------------------------------------------------------

function clusterPage(id) {
  const t = store.clusters.get(id);
  if (!t) {
    return [h('h1', {}, id), h('p', { class: 'state' }, store.loaded ? `Cluster ${id} does not exist (or was deleted).`
      : 'Loading…')];
  }
  const state = clusterState(t);
  return [
    h('h1', {}, `${id} `, h('span', { class: `badge ${state.state}`, 'data-test': 'state' }, state.label),
      t.maintenance ? [' ', h('span', { class: 'badge maintenance', 'data-test': 'maintenance' }, 'maintenance')] : null),
    h('p', { class: 'muted' }, `${t.engine}, epoch ${t.epoch}, leader `, h('strong', { 'data-test': 'leader' }, t.leader || 'none'),
      `, changed ${ago(t.changedAt)}${t.reason ? ` (${t.reason})` : ''}`),
    actions(t),
    canAdminister(store.me) ? h('p', {}, h('a', { href: `#/clusters/${id}/settings`, 'data-action': 'settings' },
      'Settings, nodes and removal…')) : null,
    h('h2', {}, 'Nodes'),
    nodesTable(t),
    h('h2', {}, 'Replication lag, last 10 minutes'),
    lagChart(t),
    h('h2', {}, 'What each agent sees'),
    agentsTable(t),
    h('h2', {}, 'Operations'),
    timeline(t),
  ];
}

function nodesTable(t) {
  const operate = canOperate();
  const rows = t.nodes.map((n) => {
    const health = healthOf(t.clusterId, n.name);
    const role = health && health.reachable ? health.role : n.role;
    return h('tr', { 'data-node': n.name },
      h('th', { scope: 'row' }, n.name),
      h('td', {}, h('span', { class: `badge role-${n.role}` }, n.role.toLowerCase().replace('_', ' ')),
        health && !health.reachable ? [' ', h('span', { class: 'badge unreachable' }, 'unreachable')] : null,
        health && health.reachable && role !== n.role ? h('div', { class: 'muted' },
          `agents see ${role.toLowerCase()}${health.readOnly ? ', read-only (fenced)' : ', writable'}`) : null),
      h('td', {}, n.zone || '–'),
      h('td', {}, `${n.host}:${n.port}`),
      h('td', {}, n.name === t.leader ? '–' : (n.upstream || '–'),
        health && health.walReceiverStatus ? h('div', { class: 'muted' }, health.walReceiverStatus) : null),
      h('td', { class: 'num' }, n.name === t.leader ? '–' : lagOf(t.engine, health && health.lagBytes),
        n.name !== t.leader && pastLagLimit(health) ? h('div', {}, h('span', { class: 'badge degraded',
          'data-test': 'past-lag-limit', title: 'the follower routing check leaves it out of the read pool' },
        `over ${lagOf(t.engine, health.lagLimit)}`)) : null),
      h('td', { class: 'num' }, n.name === t.leader ? '–' : millis(health && health.lagMillis)),
      h('td', { class: 'num', 'data-test': 'position' }, position(t.engine, health && (health.currentLsn ?? health.replayedLsn)),
        health && health.receivedLsn != null ? h('div', { class: 'muted' }, `received ${position(t.engine, health.receivedLsn)}`) : null),
      h('td', { class: 'num' }, n.priority === 0 ? 'never leader' : n.priority),
      operate ? h('td', {}, nodeActions(t, n)) : null);
  });
  return h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Nodes' },
    h('thead', {}, h('tr', {}, ['Node', 'Role', 'Zone', 'Address', 'Streams from', 'Lag', 'Lag (time)',
      positionsHeading(t.engine), 'Priority', operate ? 'Repair' : null].filter((c) => c)
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}

/** Rejoin and rebuild of a node that is not the leader (operators); both need a leader to copy from. */
function nodeActions(t, n) {
  if (n.name === t.leader) return '–';
  return h('div', { class: 'node-actions', role: 'group', 'aria-label': `Repair ${n.name}` },
    h('button', { 'data-action': 'rejoin', 'data-node': n.name, disabled: !t.leader,
      class: n.role === 'NEEDS_REJOIN' ? 'primary' : null, onclick: () => repair(t, n.name, false) }, 'Rejoin…'),
    ' ',
    h('button', { 'data-action': 'rebuild', 'data-node': n.name, disabled: !t.leader,
      onclick: () => repair(t, n.name, true) }, 'Rebuild…'));
}

/** An agent's clock this far from the gateway's is flagged (the failover-service logs and exports it too). */
const CLOCK_WARNING_MILLIS = 1000;

function agentsTable(t) {
  if (observations.cluster !== t.clusterId) return h('p', { class: 'state' }, 'Loading what the agents see…');
  if (observations.error) return h('p', { class: 'state error' }, `Cannot load the agents' view: ${observations.error}`);
  if (!observations.items.length) return h('p', { class: 'state' }, 'No agent has reported on this cluster yet.');
  const rows = observations.items.map((o) => h('tr', {},
    h('td', {}, o.node), h('td', {}, `${o.observerId} (${o.observerZone || '–'})`),
    h('td', {}, o.reachable ? (o.role || '').toLowerCase() : h('span', { class: 'badge unreachable' },
      `unreachable${o.error ? `: ${o.error.toLowerCase()}` : ''}`)),
    h('td', { class: 'num' }, lagOf(t.engine, o.lagBytes)), h('td', { class: 'num' }, millis(o.probeMillis)),
    h('td', {}, ago(o.receivedAt)),
    h('td', { class: 'num' }, Math.abs(o.clockOffsetMillis) > CLOCK_WARNING_MILLIS
      ? h('span', { class: 'badge degraded', 'data-test': 'clock-skew',
        title: 'this agent stamps its probes with a clock this far from the gateway\'s: check its time synchronisation' },
      `clock ${o.clockOffsetMillis > 0 ? '+' : '−'}${(Math.abs(o.clockOffsetMillis) / 1000).toFixed(1)} s`)
      : 'in step')));
  return h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Agent observations' },
    h('thead', {}, h('tr', {}, ['Node', 'Agent (zone)', 'Sees', 'Lag', 'Probe took', 'Received', 'Clock']
      .map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows)));
}

function lagChart(t) {
  const width = 800; const height = 130; const pad = 30;
  const now = Date.now(); const from = now - 10 * 60 * 1000;
  const followers = t.nodes.filter((n) => n.name !== t.leader);
  const series = followers.map((n) => store.lag.get(`${t.clusterId}/${n.name}`) || []);
  const max = Math.max(t.engine === 'MARIADB' ? 10 : 1024, ...series.flat().map((p) => p.bytes));
  const x = (time) => pad + ((time - from) / (now - from)) * (width - pad - 10);
  const y = (value) => height - 20 - (value / max) * (height - 30);
  const lines = series.map((points, i) => h('polyline', {
    fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2,
    points: points.filter((p) => p.t >= from).map((p) => `${x(p.t).toFixed(1)},${y(p.bytes).toFixed(1)}`).join(' '),
  }));
  const svg = h('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `Replication lag of ${followers.map((n) => n.name).join(', ') || 'no followers'}; highest ${lagOf(t.engine, max)}` },
  h('line', { x1: pad, y1: height - 20, x2: width - 10, y2: height - 20, stroke: '#d6dae0' }),
  h('text', { x: 2, y: 14, 'font-size': 11, fill: '#5b6470' }, lagOf(t.engine, max)),
  h('text', { x: pad, y: height - 4, 'font-size': 11, fill: '#5b6470' }, '10 min ago'),
  h('text', { x: width - 40, y: height - 4, 'font-size': 11, fill: '#5b6470' }, 'now'), lines);
  const legend = h('div', { class: 'legend' }, followers.map((n, i) => h('span', {},
    h('svg', { width: 10, height: 10, 'aria-hidden': 'true' }, h('rect', { width: 10, height: 10, fill: COLORS[i % COLORS.length] })),
    ` ${n.name}`)));
  return h('div', {}, svg, legend);
}

function timeline(t) {
  const ops = operationsOf(t.clusterId);
  if (!ops.length) return h('p', { class: 'state' }, 'No operations yet.');
  return h('ol', { class: 'timeline', 'aria-label': 'Operations, newest first' }, ops.slice(0, 20).map((op) => {
    const phases = [...op.phases].sort((a, b) => {
      const order = PHASE_ORDER.indexOf(a.name) - PHASE_ORDER.indexOf(b.name);
      return Date.parse(a.at) - Date.parse(b.at) || order;
    });
    let previous = Date.parse(op.startedAt);
    return h('li', { 'data-operation': op.operationId, 'data-kind': op.kind, 'data-status': op.status },
      h('strong', {}, `${op.kind.toLowerCase()} `), op.fromNode ? `${op.fromNode} → ` : '', op.toNode || '',
      ' ', h('span', { class: `badge ${op.status === 'SUCCEEDED' ? 'healthy' : op.status === 'FAILED' ? 'leaderless' : 'failing-over'}` },
        op.status.toLowerCase()),
      h('div', { class: 'muted' }, `by ${op.initiator || 'system'}, started ${time(op.startedAt)}`,
        op.epochAfter != null ? `, epoch ${op.epochBefore} → ${op.epochAfter}` : '', op.reason ? ` – ${op.reason}` : '',
        op.error ? ` – error: ${op.error}` : ''),
      h('ol', { class: 'phases', 'aria-label': 'Phases' }, phases.map((p) => {
        const at = Date.parse(p.at);
        const took = Math.max(0, at - previous);
        previous = at;
        return h('li', { 'data-phase': p.name, title: p.detail || '' }, `${p.name} +${millis(took)}`);
      })));
  }));
}

// ---- actions --------------------------------------------------------------------------------

function actions(t) {
  if (!canOperate()) {
    return h('p', { class: 'muted', 'data-test': 'read-only' }, 'You can watch this cluster; switchover, failover, maintenance, rejoin and rebuild need the operator role.');
  }
  const followers = t.nodes.filter((n) => n.name !== t.leader && n.priority > 0);
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    h('button', { class: 'primary', 'data-action': 'switchover', disabled: !t.leader || !followers.length,
      onclick: () => switchover(t) }, 'Switchover…'),
    h('button', { 'data-action': 'failover', onclick: () => failover(t) }, 'Manual failover…'),
    h('button', { 'data-action': 'maintenance', onclick: () => maintenance(t) },
      t.maintenance ? 'End maintenance…' : 'Start maintenance…'));
}

function candidateSelect(t, allowAuto) {
  const options = t.nodes.filter((n) => n.name !== t.leader && n.priority > 0).map((n) => {
    const health = healthOf(t.clusterId, n.name);
    const note = !health ? 'no observation yet' : !health.reachable ? 'unreachable'
      : `lag ${lagOf(t.engine, health.lagBytes)}${health.walReceiverStatus === 'streaming' ? '' : ', not streaming'}`;
    return h('option', { value: n.name }, `${n.name} (${note})`);
  });
  return h('select', { id: 'candidate', name: 'candidate' },
    allowAuto ? h('option', { value: '' }, 'the best follower (Regent chooses)') : null, options);
}

async function confirm(title, body, consequence, okLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-body').replaceChildren(...body.filter((part) => part != null));
  document.getElementById('confirm-consequence').textContent = consequence;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.returnValue = 'cancel';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

async function switchover(t) {
  const select = candidateSelect(t, false);
  const reason = h('input', { type: 'text', id: 'reason', name: 'reason', placeholder: 'why (kept with the operation)' });
  const ok = await confirm(`Switchover of ${t.clusterId}`,
    [h('label', { for: 'candidate' }, 'New leader'), select, h('label', { for: 'reason' }, 'Reason'), reason],
    `Writes to ${t.clusterId} pause while ${t.leader} hands over (usually a few seconds); clients must reconnect to the new leader.`,
    'Switch over');
  if (ok) submit(() => api.switchover(t.clusterId, { candidate: select.value, expectedEpoch: t.epoch, reason: reason.value || null }), 'Switchover requested');
}

async function failover(t) {
  const select = candidateSelect(t, true);
  const ok = await confirm(`Manual failover of ${t.clusterId}`,
    [h('label', { for: 'candidate' }, 'Promote'), select],
    `The current leader ${t.leader || ''} is fenced and replaced without a handover: transactions not yet replicated to the new leader can be lost.`,
    'Fail over');
  if (ok) submit(() => api.failover(t.clusterId, { candidate: select.value || null, expectedEpoch: t.epoch }), 'Failover requested');
}

async function repair(t, node, rebuild) {
  const reason = h('input', { type: 'text', id: 'reason', name: 'reason', placeholder: 'why (kept with the operation)' });
  const ok = await confirm(`${rebuild ? 'Rebuild' : 'Rejoin'} ${node} (${t.clusterId})`,
    [h('label', { for: 'reason' }, 'Reason'), reason],
    rebuild
      ? `${node} is stopped, its data directory is replaced by a fresh copy of ${t.leader}'s, and it starts again as a follower: it serves nothing until the copy is done (minutes for a large database).`
      : `${node} is stopped, rewound onto ${t.leader}'s timeline (copied afresh if it cannot be), and starts again as a follower: whatever it holds that ${t.leader} lacks is discarded.`,
    rebuild ? 'Rebuild' : 'Rejoin');
  if (ok) submit(() => api.repair(t.clusterId, node, rebuild ? 'rebuild' : 'rejoin',
    { expectedEpoch: t.epoch, reason: reason.value || null }), `${rebuild ? 'Rebuild' : 'Rejoin'} of ${node} requested`);
}

async function maintenance(t) {
  const enable = !t.maintenance;
  const ok = await confirm(enable ? `Maintenance for ${t.clusterId}` : `End maintenance of ${t.clusterId}`, [],
    enable ? 'Regent stops failing over this cluster automatically until maintenance ends: a leader failure stays unhandled.'
      : 'Automatic failover resumes for this cluster.', enable ? 'Start maintenance' : 'End maintenance');
  if (ok) submit(() => api.maintenance(t.clusterId, { enabled: enable, reason: 'from the dashboard' }),
    enable ? 'Maintenance requested' : 'End of maintenance requested');
}

async function submit(call, what) {
  try {
    const accepted = await call();
    notice(`${what} (operation ${accepted.operationId}); progress appears below as it happens.`);
  } catch (e) {
    notice(`${what} failed: ${e.message}`, true);
  }
}

start();
