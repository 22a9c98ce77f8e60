import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import type { AuditLog } from '../audit/index.js';
import { GLOBAL_SCOPE } from '../rbac/index.js';
import { AuditEventSchema, ProjectName } from './schemas.js';

const TAGS = ['audit'];

/** Reading and verifying the audit chain (auditors and admins). */
export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditLog }> = async (app, { audit }) => {
  app.get('/api/v1/audit', {
    // a project auditor reads its project's events; the whole log needs a global binding
    config: { permission: 'audit:read', scope: (request) => (request.query as { project?: string }).project ?? GLOBAL_SCOPE },
    schema: {
      tags: TAGS,
      summary: 'List audit events, oldest first; page with afterSeq',
      querystring: StrictObject({
        project: Type.Optional(ProjectName),
        afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
        action: Type.Optional(Type.String({ maxLength: 100 })),
        actor: Type.Optional(Type.String({ maxLength: 100 })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: Type.Object({ events: Type.Array(AuditEventSchema), nextAfterSeq: Type.Union([Type.Integer(), Type.Null()]) }), ...problemResponses() },
    },
  }, async (request) => {
    const events = await audit.list(request.query);
    const last = events[events.length - 1];
    return { events, nextAfterSeq: events.length === request.query.limit && last ? last.seq : null };
  });

  app.get('/api/v1/audit/verify', {
    config: { permission: 'audit:verify' },
    schema: {
      tags: TAGS,
      summary: 'Recompute the hash chain and check the signed head',
      response: {
        200: Type.Object({
          ok: Type.Boolean(),
          checked: Type.Integer(),
          headSeq: Type.Integer(),
          firstBrokenSeq: Type.Optional(Type.Integer()),
          reason: Type.Optional(Type.String()),
        }),
        ...problemResponses(),
      },
    },
  }, async () => audit.verify());
};
