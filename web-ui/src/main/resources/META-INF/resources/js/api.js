// Calls to the gateway with the dashboard's session cookie. Errors become ApiError with the
// problem+json detail, so the page can show what the server said.

export class ApiError extends Error {
  constructor(status, title, detail, errors) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
    this.errors = errors || []; // [{field, message}] of a refused request body
  }
}

async function call(method, path, body) {
  const headers = { Accept: 'application/json', 'X-Requested-With': 'JavaScript' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'Network error', 'The gateway cannot be reached. Check your connection; the page retries.');
  }
  const text = await response.text();
  const json = text ? safeJson(text) : null;
  if (!response.ok) {
    // 499: the session ended (Quarkus answers scripts this way instead of redirecting)
    const status = response.status === 499 ? 401 : response.status;
    throw new ApiError(status, json && json.title, json && json.detail, json && json.errors);
  }
  return json;
}

function safeJson(text) {
  try { return JSON.parse(text); } catch (e) { return null; }
}

export const api = {
  me: () => call('GET', '/api/v1/me'),
  clusters: () => call('GET', '/api/v1/clusters'),
  operations: (id, size = 20) => call('GET', `/api/v1/clusters/${encodeURIComponent(id)}/operations?size=${size}`),
  observations: (id) => call('GET', `/api/v1/clusters/${encodeURIComponent(id)}/observations`),
  lagHistory: (id) => call('GET', `/api/v1/clusters/${encodeURIComponent(id)}/lag-history`),
  switchover: (id, body) => call('POST', `/api/v1/clusters/${encodeURIComponent(id)}/switchover`, body),
  failover: (id, body) => call('POST', `/api/v1/clusters/${encodeURIComponent(id)}/failover`, body),
  maintenance: (id, body) => call('PUT', `/api/v1/clusters/${encodeURIComponent(id)}/maintenance`, body),
  // action: 'rejoin' (rewind, a fresh copy if it cannot) or 'rebuild' (a fresh copy of the leader)
  repair: (id, node, action, body) => call('POST',
    `/api/v1/clusters/${encodeURIComponent(id)}/nodes/${encodeURIComponent(node)}/${action}`, body),
  // the inventory (regent-admin): the registry's answers, forwarded by the gateway
  cluster: (id) => call('GET', `/api/v1/clusters/${encodeURIComponent(id)}`),
  createCluster: (body) => call('POST', '/api/v1/clusters', body),
  updateCluster: (id, body) => call('PUT', `/api/v1/clusters/${encodeURIComponent(id)}`, body),
  deleteCluster: (id) => call('DELETE', `/api/v1/clusters/${encodeURIComponent(id)}`),
  addNode: (id, body) => call('POST', `/api/v1/clusters/${encodeURIComponent(id)}/nodes`, body),
  updateNode: (id, node, body) => call('PUT', `/api/v1/clusters/${encodeURIComponent(id)}/nodes/${encodeURIComponent(node)}`, body),
  deleteNode: (id, node) => call('DELETE', `/api/v1/clusters/${encodeURIComponent(id)}/nodes/${encodeURIComponent(node)}`),
};
