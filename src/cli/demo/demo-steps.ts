import type { FalajClient } from '../../client/index.js';
import type { DeploymentView } from '../../serving/sdk/serving-client.js';
import type { JobView } from '../../training/sdk/training-client.js';

export type Print = (line?: string) => void;

/** Runs one step, printing its title and how long it took. */
export async function step<T>(print: Print, title: string, fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  print(`▸ ${title}`);
  const started = performance.now();
  const value = await fn();
  const seconds = (performance.now() - started) / 1000;
  print(`  done in ${seconds.toFixed(1)} s`);
  return { value, seconds };
}

/**
 * Trains with the built-in tabular trainer as a scheduled job (the training set is built
 * point-in-time by the job from the feature service and the spine), follows its log, and
 * returns the job with the registered version and its best validation AUC.
 */
export async function trainJob(
  client: FalajClient,
  project: string,
  print: Print,
  input: { name: string; model: 'linear' | 'mlp'; spine: string; epochs: number; register: string },
): Promise<{ job: JobView; version: number; auc: number }> {
  const submitted = await client.training.submit(project, {
    kind: 'TrainingJob',
    name: input.name,
    trainer: { type: 'tabular', task: 'binary', label: 'delayed_15m', model: input.model, epochs: input.epochs, ...(input.model === 'mlp' ? { hidden: [32, 16] } : {}) },
    inputs: { trainingData: { featureService: 'delay_model', spine: input.spine } },
    outputs: { registerModel: { name: input.register } },
    resources: { cpu: 1, memory: '1Gi' },
    retries: 0,
  } as never);
  print(`  job ${submitted.id} queued; its log:`);
  let pending = '';
  const show = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) print(`    │ ${line}`);
  };
  let job = submitted;
  for (let attempt = 1; ; ) {
    job = await client.training.get(project, submitted.id);
    if (job.attempts >= attempt) {
      await client.training.logs(project, submitted.id, show, { attempt, follow: true });
      attempt++;
      continue;
    }
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (pending.trim()) print(`    │ ${pending}`);
  if (job.status !== 'succeeded' || !job.model?.version) throw new Error(`training job ${job.id} ${job.status}: ${job.lastError ?? 'no model registered'}`);
  const run = await client.tracking.getRun(project, job.runId);
  const auc = Number(run.data.metrics['best_val_auc']?.value ?? NaN);
  return { job, version: job.model.version, auc };
}

/** Waits until this server has loaded every route's model. */
export async function waitReady(client: FalajClient, project: string, name: string): Promise<DeploymentView> {
  for (let i = 0; i < 600; i++) {
    const d = await client.serving.get(project, name);
    if (d.replica?.ready) return d;
    if (d.replica?.error) throw new Error(`deployment ${name} is not ready: ${d.replica.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`deployment ${name} did not become ready in 60 s`);
}
