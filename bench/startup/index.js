// bench/startup: how fast an idle `falaj up` is ready and how much memory it holds,
// beside the physical floor (a bare Node.js HTTP server started the same way).
// Targets (issue 2): ready in under 2 s, under 150 MB resident when idle.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, median, printTable, rssMiB, sleep } from '../lib.js';

const ROOT = resolve(import.meta.dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000);

function get(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
  });
}

async function measure(args, port, readyPath, env) {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`process exited before it was ready: ${args.join(' ')}`);
    if ((await get(port, readyPath)) === 200) break;
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  await sleep(IDLE_MS);
  const rss = rssMiB(child.pid);
  const stopStarted = performance.now();
  const exitCode = await new Promise((r) => {
    child.on('exit', (code) => r(code));
    child.kill('SIGINT');
  });
  return { readyMs, rss, stopMs: performance.now() - stopStarted, exitCode };
}

export async function run() {
  const home = mkdtempSync(join(tmpdir(), 'falaj-bench-home-'));
  const env = { ...process.env, HOME: home, FALAJ_CREDENTIALS_FILE: join(home, 'credentials.json') };
  const results = { first: [], warm: [], floor: [] };
  for (let i = 0; i < RUNS; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'falaj-bench-data-'));
    const args = (port) => ['bin/falaj.js', 'up', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];
    let port = await freePort();
    results.first.push(await measure(args(port), port, '/readyz', env)); // migrations, keys, bootstrap
    port = await freePort();
    results.warm.push(await measure(args(port), port, '/readyz', env)); // an existing data dir
    rmSync(dataDir, { recursive: true, force: true });
    port = await freePort();
    const floor = `require('http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1');process.on('SIGINT',()=>process.exit(0))`;
    results.floor.push(await measure(['-e', floor], port, '/', env));
  }
  rmSync(home, { recursive: true, force: true });

  const floorReady = median(results.floor.map((r) => r.readyMs));
  const floorRss = median(results.floor.map((r) => r.rss));
  const row = (name, rs) => {
    const ready = median(rs.map((r) => r.readyMs));
    const rss = median(rs.map((r) => r.rss));
    return [name, ready, ready / floorReady, rss, rss / floorRss, median(rs.map((r) => r.stopMs)), rs.every((r) => r.exitCode === 0) ? 'yes' : 'NO'];
  };
  printTable(
    `startup: median of ${RUNS} runs, RSS after ${IDLE_MS} ms idle (targets: ready < 2000 ms, RSS < 150 MiB)`,
    ['process', 'ready ms', 'x floor', 'RSS MiB', 'x floor', 'stop ms', 'clean exit'],
    [row('falaj up, first start (SQLite)', results.first), row('falaj up, restart (SQLite)', results.warm), row('floor: bare node http server', results.floor)],
  );
}
