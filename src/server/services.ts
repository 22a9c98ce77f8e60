import type { FalajConfig } from '../core/config/index.js';
import { type Clock, systemClock } from '../core/clock.js';
import { Keyring, loadOrCreateKeyring, loadOrCreateSigningKey, type SigningKey } from '../core/crypto/index.js';
import { join } from 'node:path';
import { DatasetService, FeatureRegistry, Materializer, offlineLatestValues, OnlineFeatures, parquetAppender, PushService, sourceInspector } from '../features/index.js';
import { LazyDuckDbEngine } from '../storage/offline/index.js';
import { TrackingService } from '../tracking/index.js';
import { createArtifactStore } from '../tracking/artifacts/index.js';
import { AliasRules, classificationFromDatasets, createModelSigner, ModelAliases, ModelRegistry, type ArtifactStore } from '../registry/index.js';
import { createBlobStore, type BlobStore } from '../storage/blob/index.js';
import { buildTraining, type Training } from './training-wiring.js';
import { buildServing, type Serving } from './serving-wiring.js';
import { createMetrics, type Metrics } from './metrics.js';
import { IngestionService } from '../data/ingestion/ingestion.service.js';
import { StreamManager } from '../data/streaming/stream-manager.js';
import { LineageService } from '../data/lineage/index.js';
import { lineageEmitters } from './lineage-wiring.js';
import { createBroker } from '../storage/stream/index.js';
import { createOnlineStore, type OnlineStore } from '../storage/online/index.js';
import { migrateToLatest, openMetadataDatabase, type MetadataDatabase } from '../storage/metadata/index.js';
import {
  AuditLog,
  Authenticator,
  createOidcVerifier,
  OidcPrincipals,
  PolicyService,
  ProjectService,
  SYSTEM_PRINCIPAL,
  TokenService,
} from '../security/index.js';

/** Every service of the platform, built once from config (the composition root's first half). */
export interface Services {
  database: MetadataDatabase;
  signingKey: SigningKey;
  keyring: Keyring;
  audit: AuditLog;
  projects: ProjectService;
  tokens: TokenService;
  policy: PolicyService;
  authenticator: Authenticator;
  registry: FeatureRegistry;
  onlineStore: OnlineStore;
  online: OnlineFeatures;
  offline: LazyDuckDbEngine;
  push: PushService;
  materializer: Materializer;
  datasets: DatasetService;
  tracking: TrackingService;
  blobs: BlobStore;
  artifacts: ArtifactStore;
  models: ModelRegistry;
  modelAliases: ModelAliases;
  training: Training;
  serving: Serving;
  ingestions: IngestionService;
  /** stream consumers; undefined on roles that run none (api, serving, worker) or when `streams.consumers` is off */
  streams: StreamManager | undefined;
  /** OpenLineage run events, the lineage graph, forwarding to lineage.url */
  lineage: LineageService;
  /** the Prometheus registry and HTTP metrics every domain registers into */
  metrics: Metrics;
  /** set on first start only: the new admin token, to print once */
  bootstrapToken: string | undefined;
  migrationsApplied: string[];
}

export interface ServiceOptions {
  clock?: Clock;
  /** PostgreSQL schema to use (tests give each its own) */
  metadataSchema?: string;
}

/** Opens storage, runs migrations, loads keys, wires services, bootstraps the first start. */
export async function buildServices(config: FalajConfig, options: ServiceOptions = {}): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const database = await openMetadataDatabase({
    url: config.metadata.url!,
    poolSize: config.metadata.poolSize,
    ...(options.metadataSchema ? { schema: options.metadataSchema } : {}),
  });
  let onlineStore: OnlineStore | undefined;
  let blobs: BlobStore | undefined;
  try {
    const migrationsApplied = await migrateToLatest(database.db);
    const signingKey = await loadOrCreateSigningKey(config.security.signingKeyFile!);
    const keyring = config.security.masterKey ? Keyring.fromMasterKey(config.security.masterKey) : await loadOrCreateKeyring(config.security.keyringFile!);

    const audit = new AuditLog(database.db, database.dialect, signingKey, clock);
    await audit.init();
    const projects = new ProjectService(database.db, audit, Object.keys(config.regions), clock);
    const tokens = new TokenService(database.db, audit, clock);
    const oidcConfig = config.security.oidc;
    const authenticator = new Authenticator(
      tokens,
      oidcConfig
        ? {
            verifier: createOidcVerifier({
              issuer: oidcConfig.issuer,
              audience: oidcConfig.audience,
              ...(oidcConfig.jwksUri ? { jwksUri: oidcConfig.jwksUri } : {}),
              clockSkewSeconds: oidcConfig.clockSkewSeconds,
              groupsClaim: oidcConfig.groupsClaim,
              usernameClaim: oidcConfig.usernameClaim,
            }),
            principals: new OidcPrincipals(database.db, oidcConfig, clock),
          }
        : undefined,
    );
    const policy = new PolicyService(audit, config.regions, {
      metadata: { store: 'metadata', region: config.metadata.region },
      blob: { store: 'blob', region: config.blob.region },
      online: { store: 'online', region: config.online.region },
      offline: { store: 'offline', region: config.offline.region },
    });

    const offline = new LazyDuckDbEngine({ threads: config.offline.threads, memoryLimit: config.offline.memoryLimit, tempDirectory: join(config.dataDir, 'tmp', 'duckdb') });
    const registry = new FeatureRegistry(database.db, audit, projects, policy, {
      pushPath: (project, source) => join(config.dataDir, 'offline', project, 'push', source),
      inspectSource: sourceInspector(offline),
      clock,
    });

    onlineStore = await createOnlineStore(config.online.url, { dataDir: config.dataDir, keyPrefix: config.online.keyPrefix });
    const online = new OnlineFeatures(registry, onlineStore, clock);
    const push = new PushService(database.db, registry, projects, policy, onlineStore, parquetAppender(offline), clock);
    const materializer = new Materializer(database.db, registry, projects, policy, audit, onlineStore, offlineLatestValues(offline), clock);
    const datasets = new DatasetService(database.db, registry, projects, policy, audit, offline, config.dataDir, clock);
    const tracking = new TrackingService(database.db, database.dialect, audit, projects, clock);
    blobs = await createBlobStore(config.blob.url, { dataDir: config.dataDir, region: config.blob.region });
    const artifacts = createArtifactStore({ db: database.db, blobs, keyring, audit, policy, projects, clock });
    const aliasRules = new AliasRules(config.registry.protectedAliases);
    const models = new ModelRegistry(database.db, database.dialect, audit, projects, {
      artifacts, signer: createModelSigner(signingKey), runs: tracking, classificationOf: classificationFromDatasets(datasets, registry), rules: aliasRules, clock,
    });
    const modelAliases = new ModelAliases(database.db, database.dialect, audit, models, aliasRules, clock);

    const system = { principal: SYSTEM_PRINCIPAL };
    await projects.ensureDefault(system);
    const bootstrap = await tokens.bootstrapAdmin(system);
    const lineage = new LineageService(database.db, projects, audit, {
      clock,
      forward: config.lineage.url ? { url: config.lineage.url, apiKey: config.lineage.apiKey, timeoutMs: config.lineage.timeoutMs } : undefined,
      onError: (err) => process.emitWarning(err, { code: 'FALAJ_LINEAGE_WARNING' } as never),
    });
    const lineageEvents = lineageEmitters(lineage);
    const training = await buildTraining(config, { db: database.db, audit, projects, tracking, artifacts, datasets, models, tokens, clock, onJobEnd: (job) => lineageEvents.jobEnded(job) });
    const metrics = createMetrics();
    const ingestions = new IngestionService(database.db, registry, projects, policy, audit, offline, config.dataDir, clock);
    lineageEvents.wire({ ingestions, materializer, datasets, models });
    const s = config.streams;
    const streams = s.consumers && ['all', 'ingest'].includes(config.server.role)
      ? new StreamManager(database.db, database.dialect, projects, registry, onlineStore, offline, metrics.registry, {
          brokers: s.brokers, refreshMs: s.refreshMs, batchSize: s.batchSize, flushMs: s.flushMs, flushRows: s.flushRows, dataDir: config.dataDir,
          openBroker: (url) => createBroker(url, { ackWaitMs: s.ackWaitMs }),
          onError: (err) => process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: 'FALAJ_STREAM_WARNING' } as never),
        })
      : undefined;
    const serving = buildServing(config, { db: database.db, audit, projects, models, aliases: modelAliases, features: registry, online, offline, metrics: metrics.registry, clock });
    return {
      database,
      signingKey,
      keyring,
      audit,
      projects,
      tokens,
      policy,
      authenticator,
      registry,
      onlineStore,
      online,
      offline,
      push,
      materializer,
      datasets,
      tracking,
      blobs,
      artifacts,
      models,
      modelAliases,
      training,
      serving,
      ingestions,
      streams,
      lineage,
      metrics,
      bootstrapToken: bootstrap?.token,
      migrationsApplied,
    };
  } catch (err) {
    await onlineStore?.close();
    await blobs?.close();
    await database.close();
    throw err;
  }
}
