import type { RunEvent } from '../lineage/lineage-event.js';
import type { LineageDirection, LineageGraph } from '../lineage/lineage-graph.js';
import type { EmitResult, StoredLineageEvent } from '../lineage/lineage.service.js';

/**
 * The lineage part of the typed SDK (`FalajClient.lineage`): the graph around a node,
 * stored run events, and reporting an OpenLineage event. Type-only imports: loading it
 * loads no server code.
 */
export interface LineageTransport {
  json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export type { EmitResult, LineageDirection, LineageGraph, RunEvent, StoredLineageEvent };

const enc = encodeURIComponent;
const base = (project: string) => `/api/v1/projects/${enc(project)}/lineage`;

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
  return entries.length ? '?' + entries.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&') : '';
}

/** The lineage calls over a transport (the `FalajClient`'s, or any with `json`). */
export function lineageClient(t: LineageTransport) {
  return {
    /**
     * The lineage around `node` (`<kind>/<name>`: `source/trips`, `view/trip_stats`, `model/fraud/3`).
     *
     * @example
     * const up = await falaj.lineage.graph('default', 'model/fraud/3', { direction: 'up' }); // which sources feed it
     */
    graph: (project: string, node: string, options: { direction?: LineageDirection; depth?: number } = {}) =>
      t.json<LineageGraph>('GET', `${base(project)}${query({ node, direction: options.direction, depth: options.depth })}`),
    /** Stored run events, newest first; `job` is a job name such as `materialize/trip_stats`. */
    events: async (project: string, options: { job?: string; limit?: number } = {}) =>
      (await t.json<{ events: StoredLineageEvent[] }>('GET', `${base(project)}/events${query({ job: options.job, limit: options.limit })}`)).events,
    /** Reports an OpenLineage RunEvent from outside Falaj (needs `run:write`). */
    report: (project: string, event: RunEvent) => t.json<EmitResult>('POST', base(project), event),
  };
}

export type LineageClient = ReturnType<typeof lineageClient>;
