import { Type } from '@sinclair/typebox';
import { StrictObject } from '../../core/http/problem.schema.js';
import { PROJECT_NAME_PATTERN } from '../projects/index.js';
import { CLASSIFICATIONS } from '../policy/index.js';
import { ROLES } from '../rbac/index.js';

export const ProjectName = Type.String({ pattern: PROJECT_NAME_PATTERN, description: 'lower-case letters, digits and dashes' });
export const RegionName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const ClassificationSchema = Type.Union(CLASSIFICATIONS.map((c) => Type.Literal(c)));
export const ProjectParams = StrictObject({ project: ProjectName });

export const ProjectSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  allowedRegions: Type.Array(Type.String()),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
});

export const TokenInfoSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  project: Type.String(),
  role: Type.String(),
  principalId: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CreateTokenBody = StrictObject({
  role: RoleSchema,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' })),
  expiresIn: Type.Optional(Type.String({ pattern: '^[0-9]+(s|m|h|d|w)$', description: 'lifetime such as 30d; none = no expiry' })),
});

export const CreatedTokenSchema = Type.Object({
  token: Type.String({ description: 'the secret: shown once, store it now' }),
  info: TokenInfoSchema,
});

export const AuditEventSchema = Type.Object({
  seq: Type.Integer(),
  time: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  resource: Type.String(),
  project: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  requestId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  prevHash: Type.String(),
  hash: Type.String(),
});
