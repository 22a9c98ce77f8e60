import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { UnsupportedMediaTypeError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { byteLimit } from '../../core/http/byte-limit.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { IngestionService } from '../ingestion/ingestion.service.js';

/** Largest file one ingestion takes (the 3 million flights are 30 MB of Parquet). */
export const MAX_INGEST_BYTES = 8 * 1024 ** 3;

const Open = Type.Object({}, { additionalProperties: true });
const SourceName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' });
const SourceParams = StrictObject({ project: ProjectParams.properties.project, source: SourceName });
const IngestionParams = StrictObject({ project: ProjectParams.properties.project, id: Type.String({ pattern: '^ing_[0-9a-z]{26}$' }) });

export interface IngestionRouteOptions {
  ingestions: IngestionService;
  dataDir: string;
}

/**
 * Batch ingestion over HTTP. The file is the raw body (`application/octet-stream`,
 * Parquet, CSV or JSON lines), streamed to disk, never held in memory; the answer is the
 * ingestion's quality report. Ingesting needs `feature:write`; reading reports,
 * quarantined rows and dataset versions needs `feature:read`.
 */
export const ingestionRoutes: FastifyPluginAsyncTypebox<IngestionRouteOptions> = async (app, { ingestions, dataDir }) => {
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.post('/api/v1/projects/:project/sources/:source/ingest', {
    config: { permission: 'feature:write' },
    bodyLimit: MAX_INGEST_BYTES,
    schema: {
      tags: ['data'],
      summary: 'Ingest a file into a push or stream source: validated, invalid rows quarantined, a quality report kept',
      params: SourceParams,
      querystring: StrictObject({
        format: Type.Union([Type.Literal('parquet'), Type.Literal('csv'), Type.Literal('jsonl')], { default: 'parquet' }),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'the file name, for the report' })),
      }),
      response: { 201: Open, ...problemResponses(404, 413, 415, 422) },
    },
  }, async (request, reply) => {
    if (request.headers['content-type']?.split(';')[0]!.trim().toLowerCase() !== 'application/octet-stream') {
      throw new UnsupportedMediaTypeError('FALAJ_UNSUPPORTED_MEDIA_TYPE', 'send the file as the body with content-type application/octet-stream');
    }
    const dir = join(dataDir, 'tmp', 'uploads');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${randomUUID()}.${request.query.format}`);
    try {
      await pipeline(request.body as NodeJS.ReadableStream, byteLimit(MAX_INGEST_BYTES, 'the file'), createWriteStream(path));
      const ingestion = await ingestions.ingest(contextOf(request), request.params.project, request.params.source, { path, format: request.query.format, name: request.query.name });
      return reply.status(201).send(ingestion);
    } finally {
      await rm(path, { force: true });
    }
  });

  app.get('/api/v1/projects/:project/ingestions', {
    config: { permission: 'feature:read' },
    schema: {
      tags: ['data'],
      summary: 'Ingestions, newest first',
      params: ProjectParams,
      querystring: StrictObject({ source: Type.Optional(SourceName), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }),
      response: { 200: Type.Object({ ingestions: Type.Array(Open) }), ...problemResponses(404) },
    },
  }, async (request) => ({ ingestions: await ingestions.list(request.params.project, request.query) }));

  app.get('/api/v1/projects/:project/ingestions/:id', {
    config: { permission: 'feature:read' },
    schema: { tags: ['data'], summary: 'One ingestion: counts, expectation results, profile, dataset version', params: IngestionParams, response: { 200: Open, ...problemResponses(404) } },
  }, async (request) => ingestions.get(request.params.project, request.params.id));

  app.get('/api/v1/projects/:project/ingestions/:id/quarantine', {
    config: { permission: 'feature:read' },
    schema: {
      tags: ['data'],
      summary: 'The rows an ingestion set aside, each with the rule and value that failed',
      params: IngestionParams,
      querystring: StrictObject({ limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }) }),
      response: { 200: Type.Object({ rows: Type.Array(Open) }), ...problemResponses(404) },
    },
  }, async (request) => ({ rows: await ingestions.quarantined(request.params.project, request.params.id, request.query.limit) }));
};
