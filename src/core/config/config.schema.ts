import { Type, type Static } from '@sinclair/typebox';

/**
 * The one configuration schema. Every key here can be set in the config file (YAML or
 * JSON), by a `FALAJ_*` environment variable derived from its path (`server.port` →
 * `FALAJ_SERVER_PORT`), or by a CLI flag; flags win over the environment, which wins
 * over the file. Keys marked `secret` are redacted by `falaj config show` and in logs.
 */
const Secret = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Unsafe<string>({ ...t, secret: true });

const RegionLabel = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'region label' });

const StorageRegion = { region: Type.String({ ...RegionLabel, default: 'local' }) };

export const OidcSchema = Type.Object(
  {
    issuer: Type.String({ minLength: 1, description: 'issuer URL, as in the tokens iss claim' }),
    audience: Type.String({ minLength: 1 }),
    jwksUri: Type.Optional(Type.String({ minLength: 1 })),
    clockSkewSeconds: Type.Integer({ minimum: 0, maximum: 600, default: 60 }),
    groupsClaim: Type.String({ default: 'groups' }),
    usernameClaim: Type.String({ default: 'preferred_username' }),
    groupRoles: Type.Array(
      Type.Object(
        {
          group: Type.String({ minLength: 1 }),
          role: Type.Union([
            Type.Literal('viewer'),
            Type.Literal('editor'),
            Type.Literal('deployer'),
            Type.Literal('admin'),
            Type.Literal('auditor'),
          ]),
          project: Type.String({ minLength: 1, default: '*', description: "project name, or '*' for all projects" }),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: './.falaj' }),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    server: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
        publicUrl: Type.Optional(Type.String()),
        tlsCert: Type.Optional(Type.String({ minLength: 1, description: 'PEM certificate file' })),
        tlsKey: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key file' })),
        tlsClientCa: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA file: enables mutual TLS' })),
        shutdownGraceMs: Type.Integer({ minimum: 0, default: 10_000 }),
        role: Type.Union(
          ['all', 'api', 'serving', 'worker', 'ingest'].map((r) => Type.Literal(r)),
          { default: 'all', description: 'all: everything in one process; api: the API without inference or background loops; serving: predictions and OIP only; worker: the training scheduler and rollout controller; ingest: stream consumers' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    metadata: Type.Object(
      {
        url: Type.Optional(
          Secret(Type.String({ minLength: 1, description: 'postgres://… or a SQLite file path; default <dataDir>/metadata.db' })),
        ),
        poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
        ...StorageRegion,
      },
      { additionalProperties: false, default: {} },
    ),
    blob: Type.Object(
      {
        url: Type.Optional(
          Secret(
            Type.String({
              minLength: 1,
              description: 's3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true for S3-compatible storage, or a directory path; default <dataDir>/blobs',
            }),
          ),
        ),
        ...StorageRegion,
      },
      { additionalProperties: false, default: {} },
    ),
    online: Type.Object(
      {
        url: Type.Optional(Secret(Type.String({ minLength: 1, description: 'redis://… for Redis, or a SQLite file path; default <dataDir>/online.db' }))),
        keyPrefix: Type.String({ minLength: 1, default: 'falaj', description: 'Redis key prefix (several platforms may share one Redis)' }),
        ...StorageRegion,
      },
      { additionalProperties: false, default: {} },
    ),
    offline: Type.Object(
      {
        threads: Type.Integer({ minimum: 1, maximum: 256, default: 2, description: 'DuckDB worker threads' }),
        memoryLimit: Type.String({ default: '2GB', description: 'DuckDB memory limit (spills to disk beyond it)' }),
        ...StorageRegion,
      },
      { additionalProperties: false, default: {} },
    ),
    regions: Type.Record(
      RegionLabel,
      Type.Object(
        {
          inCountry: Type.Boolean({ description: 'data centre is inside the UAE (may hold sensitive personal data)' }),
          description: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      { default: { local: { inCountry: true, description: 'this machine' } }, additionalProperties: false },
    ),
    registry: Type.Object(
      {
        protectedAliases: Type.Array(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,62}$' }), {
          default: ['champion'],
          description: 'aliases that need the deployer role (and, when the project asks, a second approver) to move',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    training: Type.Object(
      {
        scheduler: Type.Boolean({ default: true, description: 'run the training scheduling loop in this process (one replica holds its lease)' }),
        intervalMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 1000, description: 'ms between scheduling passes' }),
        localPool: Type.Boolean({ default: true, description: 'offer this machine as the `local` compute pool' }),
        localPoolName: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', default: 'local' }),
        localCpus: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'cores offered to jobs (default: all)' })),
        localMemoryMiB: Type.Optional(Type.Integer({ minimum: 1, description: 'MiB offered to jobs (default: 80 % of the machine)' })),
        localCostPerHour: Type.Number({ minimum: 0, default: 0 }),
        kubeconfig: Type.Optional(Type.String({ minLength: 1, description: 'kubeconfig file: enables the Kubernetes executor' })),
        kubeContext: Type.Optional(Type.String({ minLength: 1 })),
        trackingUri: Type.Optional(Type.String({ minLength: 1, description: 'the URL jobs use to reach this API (default: the address it listens on)' })),
      },
      { additionalProperties: false, default: {} },
    ),
    serving: Type.Object(
      {
        workers: Type.Integer({ minimum: 1, maximum: 256, default: 1, description: 'inference worker threads (ONNX Runtime sessions run off the event loop)' }),
        intraOpThreads: Type.Integer({ minimum: 1, maximum: 256, default: 1, description: 'ONNX Runtime threads per session' }),
        executionProviders: Type.Array(Type.String({ pattern: '^[a-z]+$' }), { default: ['cpu'], description: 'e.g. [cuda, cpu] where the machine has them' }),
        refreshMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 1000, description: 'ms between checks for deployment changes made by other replicas' }),
        rolloutIntervalMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 1000, description: 'ms between canary analyses' }),
        statsFlushMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 2000, description: 'ms between writes of per-variant counts (canary analysis reads them)' }),
        idleUnloadMs: Type.Integer({ minimum: 0, default: 600_000, description: 'a version no deployment routes to is unloaded after this long unused' }),
        maxShadowInFlight: Type.Integer({ minimum: 0, maximum: 100_000, default: 64, description: 'mirrored requests in flight at most; more are skipped and counted' }),
        predictionLog: Type.Boolean({ default: true, description: 'log predictions to the offline store as Parquet' }),
        logFlushMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 2000 }),
        logBufferRecords: Type.Integer({ minimum: 1, default: 10_000, description: 'predictions held in memory before spilling to disk' }),
      },
      { additionalProperties: false, default: {} },
    ),
    lineage: Type.Object(
      {
        url: Type.Optional(Type.String({ minLength: 1, description: 'OpenLineage HTTP endpoint to forward run events to, e.g. http://marquez:5000/api/v1/lineage' })),
        apiKey: Type.Optional(Secret(Type.String({ minLength: 1, description: 'sent as a Bearer token to the lineage endpoint' }))),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000, description: 'ms before a forwarding request is abandoned (and retried)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    streams: Type.Object(
      {
        brokers: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,62}$' }), Type.String({ minLength: 1, description: 'nats://…, redis://… or kafka://host:port[,host:port]' }), {
          default: {},
          secret: true,
          description: 'brokers StreamSources name (stream.broker), as JSON in FALAJ_STREAMS_BROKERS; credentials stay here, never in definitions',
        }),
        consumers: Type.Boolean({ default: true, description: 'run stream consumers in this process (roles all and ingest)' }),
        batchSize: Type.Integer({ minimum: 1, maximum: 100_000, default: 2000, description: 'most messages per fetch' }),
        flushMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 200, description: 'longest a message waits before it is written and acknowledged' }),
        flushRows: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000, description: 'write and acknowledge early at this many buffered rows' }),
        refreshMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000, description: 'ms between looks for new or changed stream sources' }),
        ackWaitMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000, description: 'a message not acknowledged within this long is delivered again (to any replica of the group)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    security: Type.Object(
      {
        masterKey: Type.Optional(Secret(Type.String({ minLength: 1, description: 'base64 32-byte master key' }))),
        keyringFile: Type.Optional(Type.String({ minLength: 1, description: 'default <dataDir>/keys/keyring.json' })),
        signingKeyFile: Type.Optional(Type.String({ minLength: 1, description: 'default <dataDir>/keys/signing-key.pem' })),
        defaultTokenTtl: Type.Optional(Type.String({ pattern: '^[0-9]+[smhdw]$' })),
        oidc: Type.Optional(OidcSchema),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type FalajConfig = Static<typeof ConfigSchema>;
export type OidcConfig = Static<typeof OidcSchema>;
