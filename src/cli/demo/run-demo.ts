import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FalajClient } from '../../client/index.js';
import { loadConfig } from '../../core/config/index.js';
import { FalajError } from '../../core/errors/index.js';
import { startServer, type RunningServer } from '../../server/index.js';
import type { DeploymentSpec } from '../../serving/sdk/serving-client.js';
import { loadDefinitionFiles } from '../definition-files.js';
import { FLIGHTS_FEATURES, juneRoutes, writeSpine } from './demo-data.js';
import { step, trainJob, waitReady, type Print } from './demo-steps.js';
import { quantile, sendPredictions, type TrafficResult } from './demo-traffic.js';
import { printSummary, type DemoFacts } from './demo-summary.js';

export interface DemoOptions {
  dataDir: string;
  /** a smaller spine, fewer epochs, shorter canary steps: for tests */
  quick: boolean;
  port: number;
  /** keep the server up after the summary */
  keep: boolean;
  print: Print;
}

const PROJECT = 'default';
const DEPLOYMENT = 'flight-delays';
const MARKER = '.falaj-demo';

/**
 * `falaj demo`, the platform's main job end to end on embedded storage: the flights
 * feature definitions, materialization, a spine, two models trained as scheduled jobs,
 * registered and signed, a deployment, predictions over HTTP, a canary rollout of the
 * second model, and a summary. Everything goes through the HTTP API with the SDK, as a
 * user's code would.
 */
export async function runDemo(options: DemoOptions): Promise<{ server: RunningServer; facts: DemoFacts }> {
  const print = options.print;
  const dataDir = resolve(options.dataDir);
  await freshDataDir(dataDir);
  const q = options.quick;
  const { config } = loadConfig({
    env: {},
    flags: {
      dataDir, 'server.port': options.port, 'log.level': 'error',
      'training.intervalMs': 200, 'serving.refreshMs': 500, 'serving.rolloutIntervalMs': 500, 'serving.statsFlushMs': 500, 'serving.logFlushMs': 1000,
    },
  });
  print(`Falaj demo: flight delays, from raw data to a canary rollout, on embedded storage in ${dataDir}`);
  const server = await startServer(config, { logger: false });
  const client = new FalajClient({ baseUrl: server.url, token: server.services.bootstrapToken! });
  try {
    print(`  server ${server.url} (SQLite metadata and online store, Parquet offline store, encrypted artifacts)\n`);
    const facts = { dataDir, url: server.url, token: server.services.bootstrapToken! } as DemoFacts;

    facts.apply = await step(print, 'Apply the flights feature definitions (examples/flights/features)', async () => {
      const { objects } = await loadDefinitionFiles(FLIGHTS_FEATURES);
      // The flights are from 2001: served "as of today", windowed values would all be past their TTL.
      for (const o of objects) if (o.spec.kind === 'FeatureView') o.spec.ttl = '0';
      const plan = await client.features.apply(PROJECT, objects);
      print(`  ${plan.items.length} objects applied (entities, the Parquet source, 3 views, the delay_model service); view TTLs set to 0 for 2001 data`);
      return plan.items.length;
    });

    facts.materialize = await step(print, 'Materialize January–June 2001 into the online store', async () => {
      let rows = 0;
      await client.features.materialize(PROJECT, { start: '2001-01-01T00:00:00Z', end: '2001-07-01T00:00:00Z' }, (e) => {
        if (e.type === 'view-done') {
          const written = Number(e.written);
          rows += written;
          print(`  ${String(e.view)}: ${written.toLocaleString('en-US')} entities`);
        }
      });
      return rows;
    });

    const spinePath = join(dataDir, 'spine.parquet');
    facts.spine = await step(print, 'Sample a spine: flights of January–May, asked about two hours before departure', async () => {
      const rows = await writeSpine(server.services.offline, spinePath, q ? 6_000 : 200_000);
      print(`  ${rows.toLocaleString('en-US')} rows, label delayed_15m (left more than 15 minutes late)`);
      return rows;
    });

    facts.v1 = await step(print, 'Train v1 (logistic regression) as a scheduled job; the job builds its training set point-in-time', () =>
      trainJob(client, PROJECT, print, { name: 'delays-linear', model: 'linear', spine: spinePath, epochs: q ? 3 : 12, register: DEPLOYMENT }));
    print(`  registered and signed: ${DEPLOYMENT} v${facts.v1.value.version}, validation AUC ${facts.v1.value.auc.toFixed(4)}`);

    await step(print, `Deploy v${facts.v1.value.version} as ${DEPLOYMENT}`, async () => {
      await client.serving.apply(PROJECT, { kind: 'Deployment', name: DEPLOYMENT, model: DEPLOYMENT, routes: [{ name: 'stable', version: facts.v1.value.version }] } as DeploymentSpec);
      return waitReady(client, PROJECT, DEPLOYMENT);
    });

    const routes = await juneRoutes(server.services.offline, 2_000);
    facts.example = await client.serving.predict(PROJECT, DEPLOYMENT, { entities: { origin: 'LAX', destination: 'JFK' } });
    print(`  LAX → JFK: P(delayed > 15 min) = ${Number(facts.example.predictions[0]!.probability).toFixed(3)} (v${facts.example.modelVersion}, ${facts.example.latencyMs} ms in the server)`);

    facts.serving = (await step(print, `Send ${q ? 300 : 3_000} predictions for June's routes (8 at a time; the server looks the 15 features up itself)`, async () => {
      const r = await sendPredictions(client, PROJECT, DEPLOYMENT, routes, { concurrency: 8, count: q ? 300 : 3_000 });
      print(`  ${describeTraffic(r)}`);
      return r;
    })).value;

    facts.v2 = await step(print, 'Train v2 (an MLP, hidden layers 32 and 16) the same way', () =>
      trainJob(client, PROJECT, print, { name: 'delays-mlp', model: 'mlp', spine: spinePath, epochs: q ? 3 : 10, register: DEPLOYMENT }));
    print(`  registered and signed: ${DEPLOYMENT} v${facts.v2.value.version}, validation AUC ${facts.v2.value.auc.toFixed(4)}`);

    facts.canary = await step(print, `Roll v${facts.v2.value.version} out as a canary: 10 % → 50 % → 100 %, judged against v${facts.v1.value.version} at each step`, async () => {
      const interval = q ? '1s' : '5s';
      await client.serving.apply(PROJECT, {
        kind: 'Deployment', name: DEPLOYMENT, model: DEPLOYMENT, mode: 'canary',
        routes: [{ name: 'stable', version: facts.v1.value.version }, { name: 'canary', version: facts.v2.value.version }],
        canary: { steps: [10, 50, 100], interval, minRequests: q ? 10 : 50, maxErrorRateIncrease: 0.01, maxLatencyRatio: 2, latencyFloorMs: 25 },
      } as DeploymentSpec);
      await waitReady(client, PROJECT, DEPLOYMENT);
      let phase = 'progressing';
      let seen = 0;
      const deadline = Date.now() + (q ? 60_000 : 120_000);
      const watch = (async () => {
        while (phase === 'progressing' && Date.now() < deadline) {
          const d = await client.serving.get(PROJECT, DEPLOYMENT);
          for (const h of d.status.history.slice(seen)) if (seen > 0 || h.event !== 'created') print(`  ${h.at.slice(11, 23)} ${h.event}: ${h.detail}`);
          seen = d.status.history.length;
          phase = d.status.phase;
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const traffic = await sendPredictions(client, PROJECT, DEPLOYMENT, routes, { concurrency: 8, stop: () => phase !== 'progressing' || Date.now() > deadline });
      await watch;
      print(`  ${describeTraffic(traffic)}`);
      if (phase === 'progressing') throw new FalajError('FALAJ_INTERNAL', 'the canary did not finish in time');
      return { phase, traffic };
    });

    facts.final = await client.serving.get(PROJECT, DEPLOYMENT);
    await server.services.serving.runtime?.log?.flush();
    facts.logged = server.services.serving.runtime?.log?.stats().written ?? 0;
    facts.recent = await client.serving.predictions(PROJECT, DEPLOYMENT, { limit: 3 });
    facts.audit = await client.audit.verify();
    printSummary(print, facts);
    return { server, facts };
  } catch (err) {
    await server.close();
    throw err;
  } finally {
    client.close();
    if (!options.keep) await server.close().catch(() => undefined);
  }
}

function describeTraffic(r: TrafficResult): string {
  const variants = [...r.byVariant.values()].map((v) => `${v.variant} v${v.version}: ${v.answers}`).join(', ');
  return `${r.sent - r.errors} answered in ${r.seconds.toFixed(1)} s (${Math.round((r.sent - r.errors) / r.seconds)}/s), round trip p50 ${quantile(r.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(r.latencies, 0.99).toFixed(1)} ms; ${variants}${r.errors ? `; ${r.errors} errors (${r.firstError})` : ''}`;
}

/** The demo's own data directory: emptied when it is one (a marker file says so), refused otherwise. */
async function freshDataDir(dir: string): Promise<void> {
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    if (!existsSync(join(dir, MARKER))) throw new FalajError('FALAJ_VALIDATION_FAILED', `${dir} exists and is not a demo data directory: pick another with --data-dir`);
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MARKER), 'created by falaj demo; removed and rebuilt by the next run\n');
}
