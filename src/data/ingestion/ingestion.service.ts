import { mkdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { sha256File } from '../../core/crypto/index.js';
import { InputError, NotFoundError } from '../../core/errors/index.js';
import { newId } from '../../core/ids.js';
import type { FeatureRegistry, PushSource } from '../../features/index.js';
import type { AuditLog, PolicyService, ProjectService, RequestContext } from '../../security/index.js';
import type { Db } from '../../storage/metadata/index.js';
import { quoteLiteral, type LazyDuckDbEngine, type OfflineFileFormat } from '../../storage/offline/index.js';
import type { DataProfile, SourceContract } from '../contracts.js';
import { ingestBatch, ingestRelation } from '../ingest/index.js';
import * as repo from './ingestion.repository.js';
import type { Ingestion } from './ingestion-types.js';

export interface IngestInput {
  /** a file on the server (an upload lands in a temporary file first) */
  path: string;
  format: OfflineFileFormat;
  /** what the user called it (the uploaded file's name), for the report */
  name?: string | undefined;
}

/** Called after each ingestion (lineage, metrics); failures are the hook's own business. */
export type IngestionHook = (ctx: RequestContext, ingestion: Ingestion, source: PushSource) => void;

/**
 * Batch ingestion into a push or stream source's offline store: the rows are validated
 * against the source's contract (types, required columns, allowed values, expectations)
 * in DuckDB, valid rows are written as Parquet where the source's feature views read
 * them, invalid rows go to a quarantine file with the rule and value that failed, and a
 * quality report with a profile is kept. `accepted + quarantined = received`, always.
 * Classification and residency are checked before a byte is written.
 */
export class IngestionService {
  private readonly hooks: IngestionHook[] = [];

  constructor(
    private readonly db: Kysely<Db>,
    private readonly registry: FeatureRegistry,
    private readonly projects: ProjectService,
    private readonly policy: PolicyService,
    private readonly audit: AuditLog,
    private readonly offline: LazyDuckDbEngine,
    private readonly dataDir: string,
    private readonly clock: Clock = systemClock,
  ) {}

  onIngested(hook: IngestionHook): void {
    this.hooks.push(hook);
  }

  async ingest(ctx: RequestContext, project: string, sourceName: string, input: IngestInput): Promise<Ingestion> {
    const proj = await this.projects.get(project);
    const source = await this.source(project, sourceName);
    await this.policy.enforce(ctx, proj, source.classification, this.policy.store('offline')!, `${source.stream ? 'StreamSource' : 'PushSource'}/${source.name}`);
    const started = performance.now();
    const now = this.clock.now();
    const id = newId('ing', now.getTime());
    const inputInfo = { name: input.name ?? input.path.split('/').pop()!, format: input.format, sha256: await sha256File(input.path), bytes: (await stat(input.path)).size };
    const quarantineDir = join(this.dataDir, 'offline', project, 'quarantine', source.name);
    const tempDir = join(this.dataDir, 'tmp', 'ingest', id);
    await mkdir(quarantineDir, { recursive: true });
    await mkdir(tempDir, { recursive: true });
    try {
      const reference = await this.latestProfile(project, source.name);
      const outcome = await ingestBatch(await this.offline.get(), {
        relation: ingestRelation(input.path, input.format),
        contract: contractOf(source),
        reference,
        now,
        outDir: source.path,
        quarantineFile: join(quarantineDir, `${id}.parquet`),
        tempDir,
      });
      const status = outcome.rejected ? 'rejected' : outcome.quarantined > 0 ? 'partial' : 'accepted';
      const ingestion = await this.db.transaction().execute(async (tx) => {
        const datasetVersion = outcome.accepted > 0 ? (await repo.lastDatasetVersion(tx, project, source.name)) + 1 : null;
        const row = {
          id, project, source: source.name, source_version: source.version, dataset_version: datasetVersion, status,
          received: outcome.received, accepted: outcome.accepted, quarantined: outcome.quarantined, rejected_reason: outcome.rejected,
          results: JSON.stringify(outcome.results), profile: JSON.stringify(outcome.profile), sha256: outcome.sha256,
          files: JSON.stringify(outcome.files), quarantine_file: outcome.quarantineFile ? relative(this.dataDir, outcome.quarantineFile) : null,
          input: JSON.stringify(inputInfo), duration_ms: Math.round(performance.now() - started), created_at: now.toISOString(), created_by: ctx.principal.id,
        };
        await repo.insertIngestion(tx, row);
        await this.audit.append(tx, {
          actor: ctx.principal.id, action: 'data.ingest', resource: `source/${source.name}`, project, outcome: 'success', requestId: ctx.requestId ?? null,
          details: { id, status, received: row.received, accepted: row.accepted, quarantined: row.quarantined, sha256: row.sha256, input: inputInfo, rejected: row.rejected_reason },
        });
        return repo.toIngestion(row);
      });
      for (const hook of this.hooks) hook(ctx, ingestion, source);
      return ingestion;
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  }

  async list(project: string, query: { source?: string | undefined; limit?: number | undefined } = {}): Promise<Ingestion[]> {
    await this.projects.get(project);
    return (await repo.listIngestions(this.db, project, query.source, query.limit ?? 100)).map(repo.toIngestion);
  }

  async get(project: string, id: string): Promise<Ingestion> {
    const row = await repo.findIngestion(this.db, project, id);
    if (!row) throw new NotFoundError('FALAJ_INGESTION_NOT_FOUND', `ingestion ${id} not found in project ${project}`);
    return repo.toIngestion(row);
  }

  /** The rows an ingestion set aside, with the rule and value that failed (raw values as given). */
  async quarantined(project: string, id: string, limit = 100): Promise<Record<string, unknown>[]> {
    const ingestion = await this.get(project, id);
    if (!ingestion.quarantineFile || ingestion.quarantined === 0) return [];
    const engine = await this.offline.get();
    const rows = await engine.query(`SELECT * FROM read_parquet(${quoteLiteral(join(this.dataDir, ingestion.quarantineFile))}) ORDER BY __row LIMIT ${Math.max(1, Math.min(10_000, Math.floor(limit)))}`);
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  }

  /** The newest accepted profile of a source: the reference for distribution checks (and drift monitoring). */
  async latestProfile(project: string, source: string): Promise<DataProfile | null> {
    const row = await repo.latestAccepted(this.db, project, source);
    return row ? (JSON.parse(row.profile) as DataProfile) : null;
  }

  private async source(project: string, name: string): Promise<PushSource> {
    const source = (await this.registry.definitions(project)).sources.get(name);
    if (!source) throw new NotFoundError('FALAJ_PUSH_SOURCE_NOT_FOUND', `source ${name} is not registered in project ${project}: declare a PushSource or StreamSource`);
    if (source.kind !== 'push') throw new InputError('FALAJ_INGEST_SOURCE_INVALID', `source ${name} is a BatchSource, read in place where it lies: ingest into a PushSource or StreamSource`);
    return source;
  }
}

/** The contract a resolved push or stream source declares. */
export function contractOf(source: PushSource): SourceContract {
  return { schema: source.schema, timestampField: source.timestampField, required: source.required, allowedValues: source.allowedValues, expectations: source.expectations };
}
