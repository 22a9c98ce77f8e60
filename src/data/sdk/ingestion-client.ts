import type { Ingestion } from '../ingestion/ingestion-types.js';

/**
 * The ingestion half of the typed SDK (`FalajClient.data`): batch ingestion, quality
 * reports, quarantined rows. Type-only imports: loading it loads no server code.
 */
export interface IngestionTransport {
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  upload<T>(method: string, path: string, filePath: string): Promise<T>;
}

export type { Ingestion };

const enc = encodeURIComponent;

export function ingestionClient(t: IngestionTransport) {
  return {
    /** Uploads a Parquet, CSV or JSON-lines file into a push or stream source; answers the quality report. */
    ingest: (project: string, source: string, filePath: string, options: { format: 'parquet' | 'csv' | 'jsonl'; name?: string }) =>
      t.upload<Ingestion>('POST', `/api/v1/projects/${enc(project)}/sources/${enc(source)}/ingest?format=${options.format}${options.name ? `&name=${enc(options.name)}` : ''}`, filePath),
    list: async (project: string, q: { source?: string; limit?: number } = {}) => {
      const params = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`);
      return (await t.json<{ ingestions: Ingestion[] }>('GET', `/api/v1/projects/${enc(project)}/ingestions${params.length ? `?${params.join('&')}` : ''}`)).ingestions;
    },
    get: (project: string, id: string) => t.json<Ingestion>('GET', `/api/v1/projects/${enc(project)}/ingestions/${enc(id)}`),
    quarantine: async (project: string, id: string, limit = 100) =>
      (await t.json<{ rows: Record<string, unknown>[] }>('GET', `/api/v1/projects/${enc(project)}/ingestions/${enc(id)}/quarantine?limit=${limit}`)).rows,
  };
}

export type IngestionClient = ReturnType<typeof ingestionClient>;
