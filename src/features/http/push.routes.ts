import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { InputError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { PushService, PushTarget } from '../push/push.service.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
const Target = Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('online_and_offline'), Type.Literal('both')], { default: 'online' });
const PushResultSchema = Type.Object({
  accepted: Type.Integer(),
  quarantined: Type.Integer(),
  problems: Type.Array(Type.Object({ row: Type.Integer(), reason: Type.String() })),
  onlineWritten: Type.Integer(),
  onlineSkipped: Type.Integer(),
  offlineRows: Type.Integer(),
  ignoredColumns: Type.Array(Type.String()),
});

/** Column-major `{ col: [v0, v1…] }` (Feast's `df`) → rows. */
function columnsToRows(df: Record<string, unknown[]>): Record<string, unknown>[] {
  const columns = Object.keys(df);
  const lengths = new Set(columns.map((c) => df[c]!.length));
  if (lengths.size > 1) throw new InputError('FALAJ_BAD_REQUEST', 'every column of df must have the same number of values');
  const n = lengths.values().next().value ?? 0;
  const rows = new Array<Record<string, unknown>>(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c] = df[c]![i];
    rows[i] = row;
  }
  return rows;
}

const normalise = (to: string): PushTarget => (to === 'both' ? 'online_and_offline' : (to as PushTarget));

/** Pushing rows: ours under the project, and Feast's `POST /push` (project from `?project=`). */
export const pushRoutes: FastifyPluginAsyncTypebox<{ push: PushService }> = async (app, { push }) => {
  app.post('/api/v1/projects/:project/push', {
    config: { permission: 'feature:write' },
    schema: {
      tags: ['features'],
      summary: 'Push rows of a push source to the online and/or offline store; invalid rows are quarantined',
      params: ProjectParams,
      body: StrictObject({ pushSource: Type.String({ maxLength: 63 }), rows: Type.Array(Type.Record(Type.String(), Scalar), { maxItems: 100_000 }), to: Target }),
      response: { 200: PushResultSchema, ...problemResponses(404, 422) },
    },
  }, async (request) => push.push(contextOf(request), request.params.project, request.body.pushSource, request.body.rows, normalise(request.body.to)));

  app.post('/push', {
    config: { permission: 'feature:write', scope: (request) => (request.query as { project?: string }).project ?? 'default' },
    schema: {
      tags: ['feast-compatible'],
      summary: 'Feast feature server: push (df is column-major)',
      querystring: StrictObject({ project: Type.String({ default: 'default', pattern: '^[a-z][a-z0-9-]{0,62}$' }) }),
      body: Type.Object({
        push_source_name: Type.String({ maxLength: 63 }),
        df: Type.Record(Type.String(), Type.Array(Scalar, { maxItems: 100_000 })),
        to: Target,
      }),
      response: { 200: PushResultSchema, ...problemResponses(404, 422) },
    },
  }, async (request) => push.push(contextOf(request), request.query.project, request.body.push_source_name, columnsToRows(request.body.df), normalise(request.body.to)));
};
