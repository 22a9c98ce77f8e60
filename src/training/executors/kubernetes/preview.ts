import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { InputError } from '../../../core/errors/index.js';
import type { Admission, AttemptLaunch } from '../../contracts.js';
import { jobRequirements, poolState } from '../../definitions/resolve.js';
import { attemptDirs } from '../../jobs/attempt-files.js';
import { jobEnvironment } from '../../jobs/job-env.js';
import type { JobView, PoolView } from '../../jobs/training-views.js';
import { resolveKubernetesPoolOptions } from './kubernetes-pool.js';
import { renderJobManifest } from './render-job.js';

/** Stands in for the attempt's token: the manifest only ever refers to it through the Secret. */
export const PLACEHOLDER_TOKEN = '<created-when-the-attempt-starts>';
export const PLACEHOLDER_TRACKING_URI = '<tracking-uri>';

/**
 * The Job the job's next attempt would get on `pool` (`falaj jobs render`): the same
 * rendering as a real start, with an admission of the job's request on the pool's first
 * node, and placeholders for what exists only at start (token, tracking URI, training data).
 */
export function renderJobPreview(job: JobView, pool: PoolView, dataDir: string, placeholders: { trackingUri?: string } = {}): IJob {
  if (pool.spec.executor !== 'kubernetes') {
    throw new InputError('FALAJ_KUBERNETES_MANIFEST_INVALID', `compute pool ${pool.name} runs jobs with the ${pool.spec.executor} executor: render a job on a kubernetes pool`);
  }
  const options = resolveKubernetesPoolOptions(pool.spec.kubernetes ?? {}, `ComputePool/${pool.name} kubernetes`);
  const spec = job.spec;
  // a named priority is the queue's business, not the manifest's
  const req = jobRequirements(spec, typeof spec.priority === 'string' ? { [spec.priority]: 0 } : {});
  const state = poolState(pool.spec);
  const gpus = pool.flavor.gpuModel ? req.resources.gpus : 0;
  const amount = gpus === 0 && req.cpuFallback ? req.cpuFallback : req.resources;
  const attempt = job.attempts + 1;
  const admission: Admission = {
    jobId: job.id,
    pool: pool.name,
    flavor: pool.flavor.name,
    node: state.nodes[0]?.name ?? pool.name,
    cpuMilli: amount.cpuMilli,
    memoryMiB: amount.memoryMiB,
    gpuIndices: Array.from({ length: gpus }, (_, i) => i),
    gpuMilli: req.resources.gpuMilli ?? 1000,
    borrowed: false,
  };
  const dirs = attemptDirs(dataDir, job.id, attempt);
  const env = jobEnvironment({
    spec,
    jobId: job.id,
    project: job.project,
    attempt,
    runId: job.runId,
    trackingUri: placeholders.trackingUri ?? PLACEHOLDER_TRACKING_URI,
    token: PLACEHOLDER_TOKEN,
    dirs,
    trainingData: spec.inputs?.trainingData ? '<built-when-the-job-is-admitted>' : null,
    admission,
    executor: 'kubernetes',
  });
  const launch: AttemptLaunch = {
    jobId: job.id,
    jobName: spec.name,
    project: job.project,
    attempt,
    command: spec.command ?? ['falaj', 'trainer', 'run'],
    env,
    image: spec.image,
    admission,
    pool: state,
    timeoutMs: req.timeoutMs,
    gracePeriodMs: req.gracePeriodMs,
    ...dirs,
  };
  return renderJobManifest(launch, options);
}
