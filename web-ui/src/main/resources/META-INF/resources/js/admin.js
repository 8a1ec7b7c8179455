// Cluster administration (regent-admin): register a cluster with its nodes and policy, change settings and
// nodes, remove. Every check is the API's: a refused field gets the API's message right next to it.
import { api, ApiError } from './api.js';
import { h } from './dom.js';

/** Whether the signed-in person may change the inventory. */
export function canAdminister(me) {
  return !!me && (me.roles || []).includes('regent-admin');
}

// ---- showing the API's answer ---------------------------------------------------------------

/** Clears what an earlier submit showed. */
function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((el) => el.remove());
  form.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  });
  const alert = form.querySelector('.form-alert');
  alert.hidden = true;
  alert.textContent = '';
}

/**
 * Puts each of the problem's field errors next to its input (matched by data-fields, a space-separated list of
 * the API's field paths); what matches no input goes in the form's alert, with the problem's detail.
 */
function showErrors(form, error) {
  clearErrors(form);
  const unmatched = [];
  (error.errors || []).forEach((fieldError, i) => {
    const input = [...form.querySelectorAll('[data-fields]')]
      .find((el) => el.getAttribute('data-fields').split(' ').includes(fieldError.field));
    if (!input) {
      unmatched.push(`${fieldError.field} ${fieldError.message}`);
      return;
    }
    const id = `error-${i}-${input.id}`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    input.insertAdjacentElement('afterend', h('p', { class: 'field-error', id, 'data-error-for': fieldError.field },
      fieldError.message));
  });
  const alert = form.querySelector('.form-alert');
  if (unmatched.length || !(error.errors || []).length) {
    alert.textContent = `${error.title || 'Not saved'}: ${unmatched.length ? unmatched.join('; ') : error.message}`;
    alert.hidden = false;
  }
  const first = form.querySelector('[aria-invalid=true]') || alert;
  first.focus();
}

/** Runs `call` with the scope's submit button disabled; its errors are shown in the scope (a form or a table row). */
async function send(form, call) {
  const button = form.querySelector('[data-submit]');
  button.disabled = true;
  try {
    const result = await call();
    clearErrors(form);
    return result;
  } catch (e) {
    if (e instanceof ApiError) showErrors(form, e);
    else throw e;
    return null;
  } finally {
    button.disabled = false;
  }
}

// ---- inputs ---------------------------------------------------------------------------------

let inputCount = 0;

/** A labelled input whose errors are those of the API's field paths in `fields`. */
function field(label, fields, attrs = {}) {
  const id = `f${++inputCount}`;
  const input = attrs.options
    ? h('select', { id, name: fields.split(' ')[0], 'data-fields': fields },
      attrs.options.map(([value, text]) => h('option', { value, selected: value === attrs.value }, text)))
    : h('input', { id, name: fields.split(' ')[0], 'data-fields': fields, type: attrs.type || 'text',
      value: attrs.value ?? '', placeholder: attrs.placeholder || null, autocomplete: attrs.autocomplete || 'off',
      checked: attrs.type === 'checkbox' ? !!attrs.value : null, size: attrs.size || null });
  if (attrs.type === 'checkbox') {
    return h('div', { class: 'field check' }, input, h('label', { for: id }, label));
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    attrs.hint ? h('p', { class: 'muted' }, attrs.hint) : null);
}

const valueOf = (form, name) => {
  const el = form.querySelector(`[name="${name}"]`);
  if (!el) return undefined;
  if (el.type === 'checkbox') return el.checked;
  return el.value.trim();
};
const numberOrText = (text) => (text === '' ? null : /^-?\d+$/.test(text) ? Number(text) : text);

// ---- register a cluster ---------------------------------------------------------------------

/** The registration page: cluster, replication, policy, credentials, and one row per node. */
export function registerPage(onRegistered) {
  const nodes = h('tbody', {});
  const form = h('form', { class: 'admin-form', novalidate: true, 'aria-label': 'Register a cluster' },
    h('p', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true }),
    h('fieldset', {}, h('legend', {}, 'Cluster'),
      h('div', { class: 'fields' },
        field('Id', 'id', { placeholder: 'orders-eu', hint: 'lower-case letters, digits and -, starting with a letter' }),
        field('Display name', 'displayName', { placeholder: 'Orders (EU)' }),
        field('Engine', 'engine', { options: [['POSTGRESQL', 'PostgreSQL'], ['MARIADB', 'MariaDB']] }),
        field('Replication', 'replication.mode', { options: [['ASYNC', 'asynchronous'], ['SYNC_ANY', 'synchronous (ANY n)']] }),
        field('Synchronous standbys', 'replication.syncCount replication.syncCountConsistent', { type: 'number', value: '0',
          hint: '0 for asynchronous; at least 1 for synchronous' }))),
    policyFieldset({ automatic: true, autoRejoin: true }),
    h('fieldset', {}, h('legend', {}, 'Database login for the agents (optional)'),
      h('div', { class: 'fields' },
        field('User', 'credentials.username', { autocomplete: 'off' }),
        field('Password', 'credentials.password', { type: 'password', autocomplete: 'new-password',
          hint: 'stored encrypted, never shown again' }),
        field('Or a reference', 'credentialsRef', { placeholder: 'a Kubernetes secret name' }))),
    h('fieldset', {}, h('legend', {}, 'Nodes'),
      h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'New nodes' },
        h('thead', {}, h('tr', {}, ['Name', 'Host', 'Port', 'Zone', 'Priority', 'Leader now', '']
          .map((c) => h('th', { scope: 'col' }, c)))), nodes)),
      h('button', { type: 'button', 'data-action': 'add-node-row', onclick: () => addNodeRow(nodes) }, 'Add a node')),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', 'data-action': 'register', 'data-submit': true }, 'Register')));
  addNodeRow(nodes, true);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = registration(form);
    const created = await send(form, () => api.createCluster(body));
    if (created) onRegistered(created.id || body.id);
  });
  return [h('h1', {}, 'Register a cluster'),
    h('p', { class: 'muted' }, 'Regent starts watching the nodes as soon as the cluster is registered; the leader you mark must be the node that takes writes now.'),
    form];
}

function addNodeRow(tbody, leader = false) {
  const i = tbody.children.length;
  const cell = (name, attrs = {}) => {
    const id = `f${++inputCount}`;
    return h('td', {}, h('input', { id, name: `nodes[${i}].${name}`, 'data-fields': `nodes[${i}].${name}`,
      'aria-label': `${name} of node ${i + 1}`, type: attrs.type || 'text', value: attrs.value ?? '', size: attrs.size || 12,
      autocomplete: 'off' }));
  };
  tbody.append(h('tr', { 'data-row': i },
    cell('name'), cell('host'), cell('port', { size: 6 }), cell('zone', { size: 8 }), cell('priority', { size: 4, value: '100' }),
    h('td', {}, h('input', { type: 'radio', name: 'leader', value: String(i), checked: leader,
      id: `f${++inputCount}`, 'data-fields': `nodes[${i}].role`, 'aria-label': `node ${i + 1} leads now` })),
    h('td', {}, h('button', { type: 'button', onclick: (e) => e.target.closest('tr').remove() }, 'Remove'))));
}

function registration(form) {
  const mode = valueOf(form, 'replication.mode');
  const rows = [...form.querySelectorAll('tbody tr[data-row]')];
  const leader = form.querySelector('input[name=leader]:checked');
  const user = valueOf(form, 'credentials.username');
  const password = form.querySelector('[name="credentials.password"]').value;
  return {
    id: valueOf(form, 'id'),
    displayName: valueOf(form, 'displayName') || valueOf(form, 'id'),
    engine: valueOf(form, 'engine'),
    replication: { mode, syncCount: numberOrText(valueOf(form, 'replication.syncCount')) ?? 0 },
    failoverPolicy: policy(form),
    credentialsRef: valueOf(form, 'credentialsRef') || null,
    credentials: user || password ? { username: user, password } : null,
    // the row's own index keeps the API's nodes[i] paths pointing at the inputs that made them
    nodes: rows.map((row) => {
      const i = row.getAttribute('data-row');
      const get = (name) => valueOf(form, `nodes[${i}].${name}`);
      return { name: get('name'), host: get('host'), port: numberOrText(get('port')), zone: get('zone') || null,
        priority: numberOrText(get('priority')), role: leader && leader.value === i ? 'LEADER' : 'FOLLOWER' };
    }),
  };
}

function policyFieldset(p) {
  return h('fieldset', {}, h('legend', {}, 'Failover policy'),
    h('div', { class: 'fields' },
      field('Fail over automatically', 'failoverPolicy.automatic', { type: 'checkbox', value: p.automatic }),
      field('Rejoin a replaced leader automatically', 'failoverPolicy.autoRejoin', { type: 'checkbox', value: p.autoRejoin }),
      field('Detection window (ms)', 'failoverPolicy.detectionWindowMillis', { type: 'number', value: p.detectionWindowMillis ?? '',
        hint: 'how long the leader must be unreachable (500-600000; empty: the default)' }),
      field('Agents that must agree', 'failoverPolicy.observerQuorum', { type: 'number', value: p.observerQuorum ?? '' }),
      field('Most lag a new leader may have (bytes)', 'failoverPolicy.maxLagOnFailoverBytes', { type: 'number',
        value: p.maxLagOnFailoverBytes ?? '' })));
}

function policy(form) {
  const number = (name) => numberOrText(valueOf(form, name));
  return {
    automatic: valueOf(form, 'failoverPolicy.automatic'),
    autoRejoin: valueOf(form, 'failoverPolicy.autoRejoin'),
    detectionWindowMillis: number('failoverPolicy.detectionWindowMillis'),
    observerQuorum: number('failoverPolicy.observerQuorum'),
    maxLagOnFailoverBytes: number('failoverPolicy.maxLagOnFailoverBytes'),
  };
}

// ---- a cluster's settings -------------------------------------------------------------------

/** The settings page of a registered cluster: its settings, its nodes, adding one, removing it. */
export async function settingsPage(id, { notice, confirm, onRemoved }) {
  let cluster;
  try {
    cluster = await api.cluster(id);
  } catch (e) {
    return [h('h1', {}, `${id}: settings`), h('p', { class: 'state error' }, `Cannot load ${id}: ${e.message}`)];
  }
  const settings = h('form', { class: 'admin-form', novalidate: true, 'aria-label': 'Cluster settings' },
    h('p', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true }),
    h('fieldset', {}, h('legend', {}, 'Cluster'),
      h('div', { class: 'fields' },
        field('Display name', 'displayName', { value: cluster.displayName }),
        field('Replication', 'replication.mode', { value: cluster.replication.mode,
          options: [['ASYNC', 'asynchronous'], ['SYNC_ANY', 'synchronous (ANY n)']] }),
        field('Synchronous standbys', 'replication.syncCount replication.syncCountConsistent', { type: 'number',
          value: String(cluster.replication.syncCount) }))),
    policyFieldset(cluster.failoverPolicy || {}),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', 'data-action': 'save-settings', 'data-submit': true }, 'Save settings')));
  settings.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await send(settings, () => api.updateCluster(id, {
      displayName: valueOf(settings, 'displayName'),
      replication: { mode: valueOf(settings, 'replication.mode'),
        syncCount: numberOrText(valueOf(settings, 'replication.syncCount')) ?? 0 },
      failoverPolicy: policy(settings),
    }));
    if (saved) notice(`Settings of ${id} saved.`);
  });

  const nodeRows = cluster.nodes.map((n) => nodeRow(id, n, cluster.leader, { notice, confirm }));
  const adding = addNodeForm(id, notice);
  const remove = h('button', { class: 'danger', 'data-action': 'remove-cluster', onclick: async () => {
    const ok = await confirm(`Remove ${id}`, [],
      `Regent stops watching ${id}: no failover, no routing. Its databases keep running. The cluster must be in maintenance.`,
      'Remove');
    if (!ok) return;
    try {
      await api.deleteCluster(id);
      notice(`${id} removed.`);
      onRemoved();
    } catch (e) {
      notice(`Removing ${id} failed: ${e.message}`, true);
    }
  } }, `Remove ${id}…`);
  return [h('h1', {}, `${id}: settings`),
    h('p', { class: 'muted' }, `${cluster.engine}, epoch ${cluster.epoch}, leader ${cluster.leader || 'none'}; `,
      cluster.credentialsStored ? 'a database login is stored' : 'no database login stored (the agents use their own)',
      ' – ', h('a', { href: `#/clusters/${id}` }, 'back to the cluster')),
    settings,
    h('h2', {}, 'Nodes'),
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Node settings' },
      h('thead', {}, h('tr', {}, ['Node', 'Role', 'Host', 'Port', 'Zone', 'Priority', '']
        .map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, nodeRows))),
    h('h2', {}, 'Add a node'), adding,
    h('h2', {}, 'Remove the cluster'), h('p', { class: 'muted' }, 'Only in maintenance, so that nothing fails it over meanwhile.'), remove];
}

function nodeRow(clusterId, n, leader, { notice, confirm }) {
  const input = (name, value, size) => h('input', { name, 'data-fields': name, value: value ?? '', size,
    id: `node-${n.name}-${name}`, 'aria-label': `${name} of ${n.name}`, autocomplete: 'off' });
  const inputs = { host: input('host', n.host, 14), port: input('port', String(n.port), 6), zone: input('zone', n.zone, 8),
    priority: input('priority', String(n.priority), 4) };
  // the row is the scope of its errors: its inputs, its alert and its Save button
  const row = h('tr', { 'data-node': n.name });
  const save = h('button', { type: 'button', 'data-action': 'save-node', 'data-node': n.name, 'data-submit': true, onclick: async () => {
    const saved = await send(row, () => api.updateNode(clusterId, n.name, {
      name: n.name, // the API takes the whole node: no renames, no role changes
      host: inputs.host.value.trim(), port: numberOrText(inputs.port.value.trim()), zone: inputs.zone.value.trim() || null,
      priority: numberOrText(inputs.priority.value.trim()), tags: n.tags,
    }));
    if (saved) notice(`${n.name} saved.`);
  } }, 'Save');
  const remove = n.name === leader ? h('span', { class: 'muted' }, 'leader') : h('button', {
    type: 'button', 'data-action': 'remove-node', 'data-node': n.name, onclick: async () => {
      const ok = await confirm(`Remove ${n.name} (${clusterId})`, [],
        `Regent stops watching and routing to ${n.name}. The database server keeps running.`, 'Remove');
      if (!ok) return;
      try {
        await api.deleteNode(clusterId, n.name);
        notice(`${n.name} removed.`);
        row.remove();
      } catch (e) {
        notice(`Removing ${n.name} failed: ${e.message}`, true);
      }
    } }, 'Remove…');
  row.append(h('th', { scope: 'row' }, n.name), h('td', {}, n.role.toLowerCase().replace('_', ' ')),
    h('td', {}, inputs.host), h('td', {}, inputs.port), h('td', {}, inputs.zone), h('td', {}, inputs.priority),
    h('td', {}, save, ' ', remove, h('p', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true })));
  return row;
}

function addNodeForm(clusterId, notice) {
  const form = h('form', { class: 'admin-form', novalidate: true, 'aria-label': 'Add a node' },
    h('p', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true }),
    h('div', { class: 'fields' },
      field('Name', 'name'), field('Host', 'host'), field('Port', 'port', { type: 'number' }),
      field('Zone', 'zone'), field('Priority', 'priority', { type: 'number', value: '100' })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', 'data-action': 'add-node', 'data-submit': true }, 'Add node')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: valueOf(form, 'name'), host: valueOf(form, 'host'), port: numberOrText(valueOf(form, 'port')),
      zone: valueOf(form, 'zone') || null, priority: numberOrText(valueOf(form, 'priority')) };
    const added = await send(form, () => api.addNode(clusterId, body));
    if (added) {
      notice(`${body.name} added to ${clusterId} as a follower.`);
      form.reset();
    }
  });
  return form;
}
