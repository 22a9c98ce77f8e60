import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { sha256File } from '../../core/crypto/index.js';
import { NotFoundError } from '../../core/errors/index.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../storage/metadata/index.js';
import { quoteLiteral, type LazyDuckDbEngine } from '../../storage/offline/index.js';
import { CLASSIFICATIONS, type AuditLog, type PolicyService, type ProjectService, type RequestContext } from '../../security/index.js';
import { pointInTimeJoin } from '../offline/index.js';
import type { FeatureRegistry } from '../registry/feature-registry.service.js';
import type { ResolvedFeatureService } from '../definitions/resolved.js';
import type { DatasetTable } from '../registry/feature-registry.table.js';
import * as repo from './dataset.repository.js';

/** A registered training set: enough to trace a model back to exactly the data it saw. */
export interface Dataset {
  id: string;
  project: string;
  featureService: string;
  featureServiceVersion: number;
  /** view name → version used */
  viewVersions: Record<string, number>;
  /** SHA-256 of the spine file as given */
  spineDigest: string;
  rowCount: number;
  /** SHA-256 of the Parquet file produced */
  sha256: string;
  bytes: number;
  createdAt: string;
  createdBy: string;
}

export interface BuildRequest {
  featureService: string;
  /** a Parquet or CSV file on the server with join key columns and `event_timestamp` */
  spinePath: string;
  fullFeatureNames?: boolean | undefined;
}

/**
 * Point-in-time-correct training sets: every feature of a service joined as of each
 * spine row's timestamp, written as Parquet under the data directory and registered.
 */
export class DatasetService {
  private readonly built: ((ctx: RequestContext, dataset: Dataset, service: ResolvedFeatureService) => void)[] = [];

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

  /** Called after each training set is built and registered (lineage). */
  onBuilt(listener: (ctx: RequestContext, dataset: Dataset, service: ResolvedFeatureService) => void): void {
    this.built.push(listener);
  }

  async build(ctx: RequestContext, project: string, request: BuildRequest): Promise<Dataset> {
    const proj = await this.projects.get(project);
    const service = await this.registry.featureService(project, request.featureService);
    // the training set holds the most protected data of any view it joins
    const classification = service.views.map((v) => v.view.classification).reduce((a, b) => (CLASSIFICATIONS.indexOf(a) >= CLASSIFICATIONS.indexOf(b) ? a : b));
    await this.policy.enforce(ctx, proj, classification, this.policy.store('offline')!, `FeatureService/${service.name}`);

    const now = this.clock.now();
    const id = newId('ds', now.getTime());
    const dir = join(this.dataDir, 'datasets', project);
    await mkdir(dir, { recursive: true });
    const outPath = join(dir, `${id}.parquet`);
    try {
      const spineDigest = await sha256File(request.spinePath);
      const result = await pointInTimeJoin(await this.offline.get(), {
        spinePath: request.spinePath,
        views: service.views,
        outPath,
        fullFeatureNames: request.fullFeatureNames ?? false,
      });
      const row: DatasetTable = {
        id,
        project,
        feature_service: service.name,
        feature_service_version: service.version,
        view_versions: JSON.stringify(Object.fromEntries(service.views.map((v) => [v.view.name, v.view.version]))),
        spine_digest: spineDigest,
        row_count: result.rows,
        sha256: await sha256File(outPath),
        path: outPath,
        bytes: (await stat(outPath)).size,
        created_at: now.toISOString(),
        created_by: ctx.principal.id,
      };
      await this.db.transaction().execute(async (tx) => {
        await repo.insertDataset(tx, row);
        await this.audit.append(tx, {
          actor: ctx.principal.id,
          action: 'dataset.build',
          resource: `dataset/${id}`,
          project,
          outcome: 'success',
          requestId: ctx.requestId,
          details: { featureService: service.name, version: service.version, rows: result.rows, sha256: row.sha256, spineDigest },
        });
      });
      const dataset = toDataset(row);
      for (const listener of this.built) listener(ctx, dataset, service);
      return dataset;
    } catch (err) {
      await rm(outPath, { force: true });
      throw err;
    }
  }

  async get(project: string, id: string): Promise<Dataset & { path: string }> {
    const row = await repo.findDataset(this.db, project, id);
    if (!row) throw new NotFoundError('FALAJ_DATASET_NOT_FOUND', `dataset ${id} does not exist in project ${project}`);
    return { ...toDataset(row), path: row.path };
  }

  async list(project: string, limit = 100): Promise<Dataset[]> {
    await this.projects.get(project);
    return (await repo.listDatasets(this.db, project, limit)).map(toDataset);
  }

  /**
   * The training set as CSV (with a header) or JSON lines, for readers without a Parquet
   * library (the standard-library Python SDK): converted by DuckDB into a temporary file
   * that `cleanup` removes.
   */
  async exportAs(project: string, id: string, format: 'csv' | 'jsonl'): Promise<{ path: string; cleanup: () => Promise<void> }> {
    const dataset = await this.get(project, id);
    const dir = join(this.dataDir, 'tmp', 'exports');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${id}-${Date.now()}.${format}`);
    const options = format === 'csv' ? 'FORMAT csv, HEADER' : 'FORMAT json';
    await (await this.offline.get()).query(`COPY (SELECT * FROM read_parquet(${quoteLiteral(dataset.path)})) TO ${quoteLiteral(path)} (${options})`);
    return { path, cleanup: () => rm(path, { force: true }) };
  }

  /** Records that a principal read a dataset's data (artifact reads are audited). */
  async recordDownload(ctx: RequestContext, project: string, id: string): Promise<void> {
    await this.audit.record({ actor: ctx.principal.id, action: 'dataset.read', resource: `dataset/${id}`, project, outcome: 'success', requestId: ctx.requestId });
  }
}

function toDataset(row: DatasetTable): Dataset {
  return {
    id: row.id,
    project: row.project,
    featureService: row.feature_service,
    featureServiceVersion: row.feature_service_version,
    viewVersions: JSON.parse(row.view_versions) as Record<string, number>,
    spineDigest: row.spine_digest,
    rowCount: Number(row.row_count),
    sha256: row.sha256,
    bytes: Number(row.bytes),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
