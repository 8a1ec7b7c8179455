// A tiny element builder: text is always set as text (never parsed as HTML).

export function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'polyline', 'line', 'text', 'rect', 'g', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function bytes(n) {
  if (n == null) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function millis(n) {
  if (n == null) return '–';
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}

export function lsn(n) {
  if (n == null) return '–';
  const hi = Math.floor(n / 2 ** 32).toString(16).toUpperCase();
  const lo = (n % 2 ** 32).toString(16).toUpperCase();
  return `${hi}/${lo}`;
}

// Positions and lag in the engine's own unit: PostgreSQL counts WAL bytes (an LSN), MariaDB counts
// transactions (the sequence number of replication domain 0's last GTID).
export function position(engine, n) {
  if (engine !== 'MARIADB') return lsn(n);
  return n == null ? '–' : `GTID 0-…-${n}`;
}

export function lag(engine, n) {
  if (engine !== 'MARIADB' || n == null) return bytes(n);
  return `${n} trx`;
}

export function positionsHeading(engine) {
  return engine === 'MARIADB' ? 'GTID (binlog / applied)' : 'WAL (current / replayed)';
}

export function ago(iso) {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '–';
}
