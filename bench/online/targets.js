// bench/online: what one "request" is for each path measured. Falaj over HTTP (our
// route or Feast's), and the floors: the same store reads the server does for one
// request, from a bare client in the bench process.
import http from 'node:http';
import { PROJECT, userId, VIEWS } from './falaj-server.js';

const POOL = 1024; // distinct random requests, cycled

/** `POOL` lists of `n` distinct random user ids out of `users`. */
export function entityPool(n, users) {
  return Array.from({ length: POOL }, () => {
    const picked = new Set();
    while (picked.size < n) picked.add(userId(Math.floor(Math.random() * users)));
    return [...picked];
  });
}

/**
 * POSTs to Falaj over a keep-alive agent (`maxSockets` connections at most). `feast`
 * uses `POST /get-online-features` with Feast's field names. The answer body is read
 * to its end and dropped; a status other than 200 counts as an error.
 */
export function falajHttp({ port, token, pool, feast = false, maxSockets }) {
  const path = feast ? '/get-online-features' : `/api/v1/projects/${PROJECT}/features/online`;
  const bodies = pool.map((ids) => (feast ? { feature_service: 'bench', entities: { user_id: ids } } : { featureService: 'bench', entities: { user_id: ids } }));
  return jsonPost({ port, token, path, bodies, maxSockets });
}

/**
 * POSTs `bodies` (JSON values, serialised once and cycled) to `path` over a keep-alive
 * agent (`maxSockets` connections at most), with `token` as the bearer. The answer body
 * is read to its end and dropped; a status other than 200 counts as an error.
 * `close()` abandons what is still queued and destroys the agent.
 */
export function jsonPost({ port, token, path, bodies: values, maxSockets }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const bodies = values.map((v) => Buffer.from(JSON.stringify(v)));
  const headers = bodies.map((b) => ({ 'content-type': 'application/json', 'content-length': String(b.length), authorization: `Bearer ${token}` }));
  const live = new Set(); // sent or queued in the agent, not yet answered
  let k = 0;
  const op = () =>
    new Promise((resolve, reject) => {
      const i = k++ % bodies.length;
      const req = http.request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers: headers[i] }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          live.delete(req);
          if (res.statusCode === 200) resolve();
          else reject(new Error(`HTTP ${res.statusCode}`));
        });
        res.on('error', reject);
      });
      live.add(req);
      req.on('error', (err) => {
        live.delete(req);
        reject(err);
      });
      req.end(bodies[i]);
    });
  // Abandons what an overloaded run left queued: without this the agent would go on
  // sending its queue on fresh sockets into the next scenario.
  const close = () => {
    for (const req of live) req.destroy();
    live.clear();
    agent.destroy();
  };
  return { op, close };
}

/**
 * The Redis floor: exactly the reads of RedisOnlineStore.read for one request, i.e. a
 * plain HMGET of the 5 view fields for one entity, else one pipeline of one HMGET per
 * entity key (key `<prefix>:<project>:user_id=<id>`). The values are not decoded.
 */
export function redisFloor({ redis, keyPrefix, pool }) {
  const keys = pool.map((ids) => ids.map((id) => `${keyPrefix}:${PROJECT}:user_id=${id}`));
  let k = 0;
  const op = async () => {
    const batch = keys[k++ % keys.length];
    if (batch.length === 1) return redis.hmget(batch[0], ...VIEWS);
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.hmget(key, ...VIEWS);
    const results = await pipeline.exec();
    for (const [err] of results) if (err) throw err;
    return results;
  };
  return { op };
}

// The statements of src/storage/online/sqlite-online-store.ts, verbatim.
const READ_MANY = `
  SELECT entity_key, view, event_ts, value FROM online_features
  WHERE project = ? AND entity_key IN (SELECT value FROM json_each(?)) AND view IN (SELECT value FROM json_each(?))`;
const READ_ONE = `
  SELECT entity_key, view, event_ts, value FROM online_features
  WHERE project = ? AND entity_key = ? AND view IN (SELECT value FROM json_each(?))`;

/**
 * The SQLite floor: the server's prepared SELECT through better-sqlite3 in this process,
 * on the server's own online.db (WAL: a second reader is fine). Synchronous, like the
 * store's; the JSON values are not decoded.
 */
export function sqliteFloor({ db, pool }) {
  const readOne = db.prepare(READ_ONE).raw(true);
  const readMany = db.prepare(READ_MANY).raw(true);
  const views = JSON.stringify(VIEWS);
  const params = pool.map((ids) => (ids.length === 1 ? `user_id=${ids[0]}` : JSON.stringify(ids.map((id) => `user_id=${id}`))));
  const single = pool[0].length === 1;
  let k = 0;
  const op = () => {
    const p = params[k++ % params.length];
    const rows = single ? readOne.all(PROJECT, p, views) : readMany.all(PROJECT, p, views);
    if (rows.length === 0) throw new Error('the floor read found nothing');
  };
  return { op };
}

/**
 * The server's own view, from its Prometheus metrics: the request-duration histogram of
 * `route` (onRequest to the answer written, so without the network and the client) and
 * the time its garbage collector ran. Diff two scrapes to cover a scenario.
 */
export async function scrapeServer({ port, token, route }) {
  const text = await new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
  const buckets = [];
  let gcSeconds = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('falaj_nodejs_gc_duration_seconds_sum')) gcSeconds += Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!line.startsWith('falaj_http_request_duration_seconds_bucket') || !line.includes(`route="${route}",status="200"`)) continue;
    const le = /le="([^"]+)"/.exec(line)[1];
    buckets.push([le === '+Inf' ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(' ') + 1))]);
  }
  return { buckets, gcSeconds };
}

/** Between two scrapes: the bucket bound (ms) under which 99% of the requests were served, and GC milliseconds. */
export function serverSide(before, after) {
  const counts = after.buckets.map(([le, n]) => [le, n - (before.buckets.find(([l]) => l === le)?.[1] ?? 0)]);
  const total = counts.at(-1)?.[1] ?? 0;
  const p99 = total === 0 ? NaN : counts.find(([, n]) => n >= 0.99 * total)[0] * 1000;
  return { p99Bound: p99, gcMs: (after.gcSeconds - before.gcSeconds) * 1000 };
}
