import type { AuditVerification } from '../../client/index.js';
import type { DeploymentView, PredictResponse } from '../../serving/sdk/serving-client.js';
import type { JobView } from '../../training/sdk/training-client.js';
import type { Print } from './demo-steps.js';
import { quantile, type TrafficResult } from './demo-traffic.js';

type Timed<T> = { value: T; seconds: number };
type Trained = Timed<{ job: JobView; version: number; auc: number }>;

/** What the demo did, for its summary. */
export interface DemoFacts {
  dataDir: string;
  url: string;
  token: string;
  apply: Timed<number>;
  materialize: Timed<number>;
  spine: Timed<number>;
  v1: Trained;
  v2: Trained;
  example: PredictResponse;
  serving: TrafficResult;
  canary: Timed<{ phase: string; traffic: TrafficResult }>;
  final: DeploymentView;
  logged: number;
  /** the newest rows of the prediction log, as the API reads them back */
  recent: Record<string, unknown>[];
  audit: AuditVerification;
}

const n = (x: number) => x.toLocaleString('en-US');
const ms = (values: number[]) => `p50 ${quantile(values, 0.5).toFixed(1)} ms, p99 ${quantile(values, 0.99).toFixed(1)} ms`;

function describeLogged(row: Record<string, unknown> | undefined): string {
  if (!row) return 'none yet';
  const entities = Object.values(row.entities as Record<string, unknown>).join(' → ');
  const p = Number((row.outputs as { probability?: number }).probability);
  return `${entities} ${p.toFixed(3)} by ${String(row.variant)} v${String(row.modelVersion)} with ${Object.keys(row.features as object).length} features`;
}

export function printSummary(print: Print, f: DemoFacts): void {
  const serving = f.final.traffic.filter((t) => !t.mirror).map((t) => `${t.variant} v${t.version} ${t.weight}%`).join(', ');
  const canaryVariants = [...f.canary.value.traffic.byVariant.values()].map((v) => `${v.variant} v${v.version} ${n(v.answers)} (${ms(v.latencies)})`).join('; ');
  const steps = f.final.status.history.filter((h) => ['step', 'promoted', 'rolled-back'].includes(h.event)).map((h) => h.event).join(' → ');
  const lines: [string, string][] = [
    ['features', `${f.apply.value} definitions; ${n(f.materialize.value)} entities materialized from 3 million flights in ${f.materialize.seconds.toFixed(1)} s`],
    ['training data', `a spine of ${n(f.spine.value)} flights (January–May 2001), joined point-in-time by each job`],
    ['v1 (linear)', `validation AUC ${f.v1.value.auc.toFixed(4)}, job ${f.v1.value.job.id} in ${f.v1.seconds.toFixed(1)} s`],
    ['v2 (MLP)', `validation AUC ${f.v2.value.auc.toFixed(4)}, job ${f.v2.value.job.id} in ${f.v2.seconds.toFixed(1)} s`],
    ['predictions', `${n(f.serving.sent - f.serving.errors)} at 8 concurrent: ${Math.round((f.serving.sent - f.serving.errors) / f.serving.seconds)}/s, round trip ${ms(f.serving.latencies)}`],
    ['canary', `${steps || 'no transition'} in ${f.canary.seconds.toFixed(1)} s; ${canaryVariants}`],
    ['now serving', `${f.final.name}: ${serving} (phase ${f.final.status.phase})`],
    ['prediction log', `${n(f.logged)} rows in Parquet under ${f.dataDir}/offline/default/predictions/${f.final.name}; newest: ${describeLogged(f.recent[0])}`],
    ['audit log', `${n(f.audit.checked)} events, hash chain ${f.audit.ok ? 'verified' : `BROKEN: ${f.audit.reason}`}`],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  print('\nSummary');
  for (const [k, v] of lines) print(`  ${k.padEnd(width)}  ${v}`);
  print('\nWhere to look next');
  print(`  npx falaj up --data-dir ${f.dataDir} --port 8080        # the same platform, with everything the demo made`);
  print(`  export FALAJ_SERVER=http://127.0.0.1:8080 FALAJ_TOKEN=${f.token}`);
  print(`  npx falaj deployments show ${f.final.name}               # traffic, canary history, loaded models`);
  print(`  npx falaj predict ${f.final.name} --entity origin=SFO,destination=ORD`);
  print(`  npx falaj deployments predictions ${f.final.name}        # the prediction log`);
  print('  npx falaj jobs list; npx falaj models list; npx falaj audit verify');
  print('  curl -H "authorization: Bearer $FALAJ_TOKEN" http://127.0.0.1:8080/metrics | grep falaj_predictions_total');
  print('  docs/serving.md, docs/training.md, examples/flights/README.md');
}
