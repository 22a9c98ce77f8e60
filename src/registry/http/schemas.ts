import { Type } from '@sinclair/typebox';
import { InputError } from '../../core/errors/index.js';
import { StrictObject } from '../../core/http/problem.schema.js';
import { ClassificationSchema, ProjectParams } from '../../security/index.js';
import { APPROVAL_STATUSES, MODEL_VERSION_STATUSES } from '../model-types.js';

export const ModelName = Type.String({ minLength: 1, maxLength: 256, description: 'registered model name' });
export const VersionNumber = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
export const AliasName = Type.String({ minLength: 1, maxLength: 255 });
export const TagKey = Type.String({ minLength: 1, maxLength: 250 });
const Tags = Type.Record(Type.String(), Type.String());
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const ModelParams = StrictObject({ project: ProjectParams.properties.project, model: ModelName });
export const VersionParams = StrictObject({ project: ProjectParams.properties.project, model: ModelName, version: VersionNumber });
export const ModelTagParams = StrictObject({ project: ProjectParams.properties.project, model: ModelName, key: TagKey });
export const VersionTagParams = StrictObject({ project: ProjectParams.properties.project, model: ModelName, version: VersionNumber, key: TagKey });
export const AliasParams = StrictObject({ project: ProjectParams.properties.project, model: ModelName, alias: AliasName });
export const ApprovalParams = StrictObject({ project: ProjectParams.properties.project, id: Type.String({ pattern: '^apr_[0-9a-z]{26}$' }) });

/** `?tag=key=value` (repeatable): every tag must match. */
export const TagFilter = Type.Optional(Type.Array(Type.String({ pattern: '^[^=]+=.*$', maxLength: 5300 }), { maxItems: 20, description: 'key=value; repeat for several' }));
export const Paging = {
  maxResults: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  pageToken: Type.Optional(Type.String({ maxLength: 200 })),
};

export const ModelSchema = Type.Object({
  project: Type.String(),
  name: Type.String(),
  description: Type.String(),
  tags: Tags,
  classification: Type.String(),
  aliases: Type.Array(Type.Object({ alias: Type.String(), version: Type.Integer() })),
  latestVersion: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
});

const Dim = Type.Union([Type.Integer(), Type.String(), Type.Null()]);
const ValueSpec = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  elemType: Type.Union([Type.String(), Type.Null()]),
  shape: Type.Union([Type.Array(Dim), Type.Null()]),
});
export const OnnxSignatureSchema = Type.Object({
  inputs: Type.Array(ValueSpec),
  outputs: Type.Array(ValueSpec),
  irVersion: Type.Integer(),
  opsetVersion: Type.Union([Type.Integer(), Type.Null()]),
  producer: Type.Union([Type.String(), Type.Null()]),
});

const DsseSchema = Type.Object({
  payloadType: Type.String(),
  payload: Type.String(),
  signatures: Type.Array(Type.Object({ keyid: Type.String(), sig: Type.String() })),
});

const LineageDataset = StrictObject({ id: Type.String({ minLength: 1, maxLength: 100 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) });
const FeatureServiceRef = StrictObject({ name: Type.String({ minLength: 1, maxLength: 63 }), version: Type.Integer({ minimum: 1 }) });

export const LineageSchema = Type.Object({
  runId: Nullable(Type.String()),
  datasets: Type.Array(Type.Object({ id: Type.String(), sha256: Type.String() })),
  featureService: Type.Union([Type.Object({ name: Type.String(), version: Type.Integer() }), Type.Null()]),
  codeVersion: Nullable(Type.String()),
});

export const VersionSchema = Type.Object({
  project: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  source: Type.String(),
  runId: Nullable(Type.String()),
  artifactPath: Nullable(Type.String()),
  status: Type.Union(MODEL_VERSION_STATUSES.map((s) => Type.Literal(s))),
  statusMessage: Nullable(Type.String()),
  description: Type.String(),
  tags: Tags,
  lineage: LineageSchema,
  classification: Type.String(),
  files: Type.Array(Type.Object({ name: Type.String(), sha256: Type.String(), bytes: Type.Integer() })),
  signature: Type.Union([DsseSchema, Type.Null()]),
  signatureKeyId: Nullable(Type.String()),
  onnxSignature: Type.Union([OnnxSignatureSchema, Type.Null()]),
  aliases: Type.Array(Type.String()),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
});

export const CreateVersionBody = StrictObject({
  source: Type.String({ minLength: 1, maxLength: 4096, description: 'runs:/<run_id>/<path> (files signed, ONNX signature read) or an external location' }),
  runId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  artifactPath: Type.Optional(Type.String({ maxLength: 1024 })),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  tags: Type.Optional(Tags),
  lineage: Type.Optional(
    StrictObject({
      runId: Type.Optional(Type.String({ maxLength: 256 })),
      datasets: Type.Optional(Type.Array(LineageDataset, { maxItems: 100 })),
      featureService: Type.Optional(FeatureServiceRef),
      codeVersion: Type.Optional(Type.String({ maxLength: 200 })),
    }),
  ),
  classification: Type.Optional(ClassificationSchema),
});

export const AliasSchema = Type.Object({
  model: Type.String(),
  alias: Type.String(),
  version: Type.Integer(),
  protected: Type.Boolean(),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
});

export const ApprovalSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  model: Type.String(),
  alias: Type.String(),
  version: Type.Integer(),
  status: Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s))),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  approvedBy: Nullable(Type.String()),
  approvedAt: Nullable(Type.String()),
  note: Nullable(Type.String()),
});

export const SettingsSchema = Type.Object({
  project: Type.String(),
  requireApproval: Type.Boolean(),
  protectedAliases: Type.Array(Type.String()),
});

export const VerificationSchema = Type.Object({
  model: Type.String(),
  version: Type.Integer(),
  verified: Type.Literal(true),
  files: Type.Integer(),
  keyId: Nullable(Type.String()),
  deep: Type.Boolean(),
});

/** `["a=b", "c=d=e"]` → `{ a: 'b', c: 'd=e' }`; one condition per key. */
export function parseTagFilter(tags: string[] | undefined): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const t of tags) {
    const key = t.slice(0, t.indexOf('='));
    if (key in out) throw new InputError('FALAJ_VALIDATION_FAILED', `tag filter names "${key}" twice: a tag has one value, give one condition per key`);
    out[key] = t.slice(t.indexOf('=') + 1);
  }
  return out;
}
