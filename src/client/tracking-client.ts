import type { Transport } from './transport.js';
import type {
  DatasetInput,
  Experiment,
  ExperimentSearch,
  ExperimentsPage,
  LogBatch,
  Metric,
  MetricHistoryPage,
  Run,
  RunInfo,
  RunSearch,
  RunsPage,
  RunStatus,
} from './types.js';

const enc = encodeURIComponent;

// JSON has no NaN or Infinity: the API carries them as the strings "NaN", "Infinity", "-Infinity".
const toWire = (value: number): number | string => (Number.isFinite(value) ? value : String(value));
const fromWire = (value: number | string): number => (typeof value === 'string' ? Number(value) : value);

function decodeRun(run: Run): Run {
  for (const point of Object.values(run.data.metrics)) point.value = fromWire(point.value);
  return run;
}

/**
 * `client.tracking`: experiments, runs and their data. Metric values round-trip NaN and
 * ±Infinity. For logging during training, prefer {@link startRun} (run-logger.ts), which
 * batches in the background.
 */
export function trackingClient(transport: Transport) {
  const project = (name: string) => `/api/v1/projects/${enc(name)}`;
  const run = (p: string, runId: string) => `${project(p)}/runs/${enc(runId)}`;
  return {
    createExperiment: (p: string, input: { name: string; artifactLocation?: string; tags?: Record<string, string> }) =>
      transport.json<Experiment>('POST', `${project(p)}/experiments`, input),
    getExperiment: (p: string, experimentId: string) => transport.json<Experiment>('GET', `${project(p)}/experiments/${enc(experimentId)}`),
    getExperimentByName: (p: string, name: string) => transport.json<Experiment>('GET', `${project(p)}/experiments/by-name?name=${enc(name)}`),
    searchExperiments: (p: string, search: ExperimentSearch = {}) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(search)) for (const item of [v].flat()) if (item !== undefined) q.append(k, String(item));
      return transport.json<ExperimentsPage>('GET', `${project(p)}/experiments${q.size ? `?${q}` : ''}`);
    },
    deleteExperiment: (p: string, experimentId: string) => transport.json<Experiment>('DELETE', `${project(p)}/experiments/${enc(experimentId)}`),

    createRun: async (p: string, input: { experimentId: string; name?: string; startTime?: number; tags?: Record<string, string>; user?: string; sourceVersion?: string }) =>
      decodeRun(await transport.json<Run>('POST', `${project(p)}/runs`, input)),
    getRun: async (p: string, runId: string) => decodeRun(await transport.json<Run>('GET', run(p, runId))),
    updateRun: (p: string, runId: string, patch: { status?: RunStatus; endTime?: number; name?: string }) => transport.json<RunInfo>('PATCH', run(p, runId), patch),
    /** Ends a run: its status (default FINISHED) and end time (default now). */
    endRun: (p: string, runId: string, status: RunStatus = 'FINISHED', endTime: number = Date.now()) => transport.json<RunInfo>('PATCH', run(p, runId), { status, endTime }),
    deleteRun: (p: string, runId: string) => transport.json<RunInfo>('DELETE', run(p, runId)),
    restoreRun: (p: string, runId: string) => transport.json<RunInfo>('POST', `${run(p, runId)}/restore`),
    /** Up to 1,000 metrics, 100 params and 100 tags (1,000 items in all), written all or nothing. */
    logBatch: async (p: string, runId: string, batch: LogBatch) => {
      const metrics = (batch.metrics ?? []).map((m) => ({ ...m, value: toWire(m.value) }));
      await transport.json<void>('POST', `${run(p, runId)}/log-batch`, { metrics, params: batch.params ?? [], tags: batch.tags ?? [] });
    },
    logInputs: async (p: string, runId: string, datasets: DatasetInput[]) => {
      await transport.json<void>('POST', `${run(p, runId)}/inputs`, { datasets });
    },
    deleteTag: async (p: string, runId: string, key: string) => {
      await transport.json<void>('DELETE', `${run(p, runId)}/tags?key=${enc(key)}`);
    },
    /** Runs matching an MLflow filter (plus `or` and parentheses), ordered, a page at a time. */
    searchRuns: async (p: string, search: RunSearch = {}) => {
      const page = await transport.json<RunsPage>('POST', `${project(p)}/runs/search`, search);
      page.runs.forEach(decodeRun);
      return page;
    },
    /** Uploads a local file as `path` under the run (streamed; stored encrypted, content-addressed). */
    logArtifact: (p: string, runId: string, path: string, filePath: string) =>
      transport.upload<{ path: string; sha256: string; bytes: number }>('PUT', `${run(p, runId)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`, filePath),
    listArtifacts: async (p: string, runId: string, prefix = '') =>
      (await transport.json<{ files: { path: string; sha256: string; bytes: number }[] }>('GET', `${run(p, runId)}/artifacts?prefix=${encodeURIComponent(prefix)}`)).files,
    /** Downloads a run file (audited; the server checks its SHA-256 as it streams). */
    downloadArtifact: (p: string, runId: string, path: string, filePath: string) =>
      transport.download(`${run(p, runId)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`, filePath),
    /** A metric's points in step order; pass `nextPageToken` back for the next page. */
    metricHistory: async (p: string, runId: string, key: string, paging: { maxResults?: number; pageToken?: string } = {}) => {
      const q = new URLSearchParams({ key });
      if (paging.maxResults !== undefined) q.set('maxResults', String(paging.maxResults));
      if (paging.pageToken !== undefined) q.set('pageToken', paging.pageToken);
      const page = await transport.json<MetricHistoryPage>('GET', `${run(p, runId)}/metrics/history?${q}`);
      for (const m of page.metrics as (Metric & { value: number | string })[]) m.value = fromWire(m.value);
      return page;
    },
  };
}

export type TrackingClient = ReturnType<typeof trackingClient>;
