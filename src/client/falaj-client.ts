import { problemError, Transport, type TransportOptions } from './transport.js';
import { trackingClient, type TrackingClient } from './tracking-client.js';
import { modelsClient, type ModelsClient } from '../registry/sdk/models-client.js';
import { trainingClient, type TrainingClient } from '../training/sdk/training-client.js';
import { servingClient, type ServingClient } from '../serving/sdk/serving-client.js';
import { ingestionClient, type IngestionClient } from '../data/sdk/ingestion-client.js';
import { lineageClient, type LineageClient } from '../data/sdk/lineage-client.js';
import type {
  AuditEvent,
  AuditVerification,
  Classification,
  CreatedToken,
  Dataset,
  DefinitionObject,
  FeatureObject,
  FeaturePlan,
  MaterializeEvent,
  OnlineFeatures,
  PushResult,
  Project,
  ResidencyDecision,
  Role,
  TokenInfo,
  WhoAmI,
} from './types.js';

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
  return entries.length ? '?' + entries.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&') : '';
}

/**
 * Typed client for the Falaj HTTP API; the CLI and the tests use it. Errors are thrown
 * as `FalajApiError` with the server's stable `code`.
 *
 * @example
 * const falaj = new FalajClient({ baseUrl: 'http://127.0.0.1:8080', token: process.env.FALAJ_TOKEN });
 * await falaj.projects.create({ name: 'fraud', allowedRegions: ['ae-dxb-1'] });
 */
export class FalajClient {
  readonly transport: Transport;

  constructor(options: TransportOptions) {
    this.transport = new Transport(options);
    this.tracking = trackingClient(this.transport);
    this.models = modelsClient(this.transport);
    this.training = trainingClient(this.transport);
    this.serving = servingClient(this.transport);
    this.ingestion = ingestionClient(this.transport);
    this.lineage = lineageClient(this.transport);
  }

  health = () => this.transport.json<{ status: string }>('GET', '/healthz');
  ready = () => this.transport.json<{ status: string; checks: Record<string, string> }>('GET', '/readyz');
  whoami = () => this.transport.json<WhoAmI>('GET', '/api/v1/whoami');
  openapi = () => this.transport.json<Record<string, unknown>>('GET', '/openapi.json');

  /** Prometheus text (needs `metrics:read`). */
  async metrics(): Promise<string> {
    const res = await this.transport.request('GET', '/metrics');
    if (res.status !== 200) await this.transport.json('GET', '/metrics');
    return res.body;
  }

  readonly projects = {
    list: async () => (await this.transport.json<{ projects: Project[] }>('GET', '/api/v1/projects')).projects,
    get: (name: string) => this.transport.json<Project>('GET', `/api/v1/projects/${enc(name)}`),
    create: (input: { name: string; description?: string; allowedRegions?: string[] }) => this.transport.json<Project>('POST', '/api/v1/projects', input),
    update: (name: string, patch: { description?: string; allowedRegions?: string[] }) =>
      this.transport.json<Project>('PATCH', `/api/v1/projects/${enc(name)}`, patch),
  };

  readonly tokens = {
    /** `project: '*'` creates a platform-wide token (global admins only). */
    create: (input: { project: string; role: Role; name?: string; expiresIn?: string }) => {
      const { project, ...body } = input;
      return this.transport.json<CreatedToken>('POST', project === '*' ? '/api/v1/tokens' : `/api/v1/projects/${enc(project)}/tokens`, body);
    },
    list: async (project?: string) =>
      (await this.transport.json<{ tokens: TokenInfo[] }>('GET', project ? `/api/v1/projects/${enc(project)}/tokens` : '/api/v1/tokens')).tokens,
    revoke: (id: string) => this.transport.json<TokenInfo>('DELETE', `/api/v1/tokens/${enc(id)}`),
  };

  readonly audit = {
    list: (q: { project?: string; afterSeq?: number; action?: string; actor?: string; limit?: number } = {}) =>
      this.transport.json<{ events: AuditEvent[]; nextAfterSeq: number | null }>('GET', `/api/v1/audit${query(q)}`),
    verify: () => this.transport.json<AuditVerification>('GET', '/api/v1/audit/verify'),
  };

  readonly policy = {
    residencyCheck: (project: string, input: { classification: Classification; store: string }) =>
      this.transport.json<ResidencyDecision>('POST', `/api/v1/projects/${enc(project)}/policy/residency-check`, input),
  };

  readonly features = {
    plan: (project: string, objects: DefinitionObject[], prune = false) =>
      this.transport.json<FeaturePlan>('POST', `/api/v1/projects/${enc(project)}/features/plan`, { objects, prune }),
    apply: (project: string, objects: DefinitionObject[], prune = false) =>
      this.transport.json<FeaturePlan>('POST', `/api/v1/projects/${enc(project)}/features/apply`, { objects, prune }),
    list: async (project: string, kind?: string) =>
      (await this.transport.json<{ objects: FeatureObject[] }>('GET', `/api/v1/projects/${enc(project)}/features${query({ kind })}`)).objects,
    describe: (project: string, kind: string, name: string) =>
      this.transport.json<{ latest: FeatureObject; versions: FeatureObject[] }>('GET', `/api/v1/projects/${enc(project)}/features/${enc(kind)}/${enc(name)}`),
    /** Online values for entity rows given column-major: `{ origin: ['LAX', 'JFK'] }`. */
    online: (project: string, request: { featureService?: string; features?: string[]; entities: Record<string, (string | number | boolean)[]>; fullFeatureNames?: boolean }) =>
      this.transport.json<OnlineFeatures>('POST', `/api/v1/projects/${enc(project)}/features/online`, request),
    push: (project: string, pushSource: string, rows: Record<string, unknown>[], to: 'online' | 'offline' | 'online_and_offline' = 'online') =>
      this.transport.json<PushResult>('POST', `/api/v1/projects/${enc(project)}/push`, { pushSource, rows, to }),
    /** Runs a materialization, calling `onEvent` with each progress event; throws on an `error` event. */
    materialize: async (project: string, request: { start?: string; end?: string; views?: string[]; incremental?: boolean }, onEvent: (e: MaterializeEvent) => void = () => undefined) => {
      let failure: Record<string, unknown> | undefined;
      await this.transport.ndjson('POST', `/api/v1/projects/${enc(project)}/materialize`, request, (e) => {
        if (e.type === 'error') failure = e.problem as Record<string, unknown>;
        else onEvent(e as MaterializeEvent);
      });
      if (failure) throw problemError(Number(failure.status ?? 500), JSON.stringify(failure));
    },
  };

  readonly datasets = {
    /** Uploads a spine (Parquet or CSV) and builds a point-in-time-correct training set. */
    build: (project: string, request: { featureService: string; spinePath: string; fullFeatureNames?: boolean }) =>
      this.transport.upload<Dataset>(
        'POST',
        `/api/v1/projects/${enc(project)}/datasets${query({ featureService: request.featureService, format: request.spinePath.toLowerCase().endsWith('.csv') ? 'csv' : 'parquet', fullFeatureNames: request.fullFeatureNames ? 'true' : undefined })}`,
        request.spinePath,
      ),
    list: async (project: string) => (await this.transport.json<{ datasets: Dataset[] }>('GET', `/api/v1/projects/${enc(project)}/datasets`)).datasets,
    get: (project: string, id: string) => this.transport.json<Dataset>('GET', `/api/v1/projects/${enc(project)}/datasets/${enc(id)}`),
    /** Downloads the Parquet file; returns the SHA-256 the server registered. */
    download: async (project: string, id: string, filePath: string) =>
      (await this.transport.download(`/api/v1/projects/${enc(project)}/datasets/${enc(id)}/data`, filePath))['x-falaj-sha256'] as string | undefined,
  };

  /** Experiments, runs, params, metrics: see tracking-client.ts (and run-logger.ts for training loops). */
  readonly tracking: TrackingClient;

  /** Registered models, versions (signed), aliases and approvals: see registry/sdk/models-client.ts. */
  readonly models: ModelsClient;
  readonly training: TrainingClient;
  readonly serving: ServingClient;
  /** Batch ingestion with validation and quarantine: see data/sdk/ingestion-client.ts. */
  readonly ingestion: IngestionClient;
  /** The lineage graph and OpenLineage events: see data/sdk/lineage-client.ts. */
  readonly lineage: LineageClient;

  close(): void {
    this.transport.close();
  }
}
