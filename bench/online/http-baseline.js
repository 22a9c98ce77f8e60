// bench/online: what HTTP alone costs on this machine. A bare node:http server in its own
// process that reads the request body and answers with a fixed body the size and shape
// of Falaj's answer for 1 entity, measured with the same load generator and client.
import { spawn } from 'node:child_process';
import { freePort, sleep } from '../lib.js';
import { falajHttp } from './targets.js';

const SERVER = `
const http = require('node:http');
const ts = new Date(Date.now() - 3600e3).toISOString();
const results = [{ values: ['u00042'], statuses: ['PRESENT'], eventTimestamps: ['1970-01-01T00:00:00.000Z'] }];
for (let f = 0; f < 50; f++) results.push({ values: [Math.random() * 100], statuses: ['PRESENT'], eventTimestamps: [ts] });
const names = ['user_id', ...results.slice(1).map((_, f) => 'f' + f)];
// argv[2], when given, is the body to answer instead (another benchmark's answer)
const body = Buffer.from(process.argv[2] ?? JSON.stringify({ featureNames: names, results }));
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, headers); res.end(body); });
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('ready ' + body.length));
process.on('SIGINT', () => process.exit(0));
`;

/**
 * Starts the bare server; resolves with its port, answer size and a stop function.
 * `body` (a string) replaces the default answer, Falaj's 1-entity online answer.
 */
export async function startHttpBaseline({ body } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', SERVER, String(port), ...(body === undefined ? [] : [body])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  while (!out.includes('ready')) {
    if (child.exitCode !== null) throw new Error('the bare HTTP server exited before it was ready');
    await sleep(5);
  }
  return {
    port,
    pid: child.pid,
    bytes: Number(/ready (\d+)/.exec(out)[1]),
    stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGINT')))),
  };
}

/** A request op against the bare server (same client code as for Falaj). */
export function baselineTarget(baseline, pool, maxSockets) {
  return falajHttp({ port: baseline.port, token: 'none', pool, maxSockets });
}
