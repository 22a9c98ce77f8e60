import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { UnsupportedMediaTypeError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { byteLimit } from '../../core/http/byte-limit.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { DatasetService } from '../datasets/dataset.service.js';

/** Largest spine accepted (a 1M-row Parquet spine is ~10–20 MB). */
export const MAX_SPINE_BYTES = 2 * 1024 ** 3;

const DatasetSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  featureService: Type.String(),
  featureServiceVersion: Type.Integer(),
  viewVersions: Type.Record(Type.String(), Type.Integer()),
  spineDigest: Type.String(),
  rowCount: Type.Integer(),
  sha256: Type.String(),
  bytes: Type.Integer(),
  createdAt: Type.String(),
  createdBy: Type.String(),
});
const DatasetParams = StrictObject({ project: ProjectParams.properties.project, id: Type.String({ pattern: '^ds_[0-9a-z]{26}$' }) });

/**
 * Training sets. The spine is uploaded as the raw body (`application/octet-stream`,
 * Parquet or CSV), streamed to disk, never held in memory; the result is downloaded from
 * `…/datasets/{id}/data`. Works the same whether the CLI runs beside the server or not.
 */
export const datasetRoutes: FastifyPluginAsyncTypebox<{ datasets: DatasetService; dataDir: string }> = async (app, { datasets, dataDir }) => {
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.post('/api/v1/projects/:project/datasets', {
    config: { permission: 'dataset:write' },
    bodyLimit: MAX_SPINE_BYTES,
    schema: {
      tags: ['features'],
      summary: 'Build a point-in-time-correct training set; body = the spine file (Parquet or CSV)',
      params: ProjectParams,
      querystring: StrictObject({
        featureService: Type.String({ maxLength: 63 }),
        format: Type.Union([Type.Literal('parquet'), Type.Literal('csv')], { default: 'parquet' }),
        fullFeatureNames: Type.Boolean({ default: false }),
      }),
      response: { 201: DatasetSchema, ...problemResponses(404, 422) },
    },
  }, async (request, reply) => {
    // the media type alone: `application/octet-stream; charset=binary` is the same thing
    if (request.headers['content-type']?.split(';')[0]!.trim().toLowerCase() !== 'application/octet-stream') {
      throw new UnsupportedMediaTypeError('FALAJ_UNSUPPORTED_MEDIA_TYPE', 'send the spine file as the body with content-type application/octet-stream');
    }
    const dir = join(dataDir, 'tmp', 'spines');
    await mkdir(dir, { recursive: true });
    const spinePath = join(dir, `${randomUUID()}.${request.query.format}`);
    try {
      await pipeline(request.body as NodeJS.ReadableStream, byteLimit(MAX_SPINE_BYTES, 'the spine'), createWriteStream(spinePath));
      const dataset = await datasets.build(contextOf(request), request.params.project, {
        featureService: request.query.featureService,
        spinePath,
        fullFeatureNames: request.query.fullFeatureNames,
      });
      return reply.status(201).send(dataset);
    } finally {
      await rm(spinePath, { force: true });
    }
  });

  app.get('/api/v1/projects/:project/datasets', {
    config: { permission: 'dataset:read' },
    schema: { tags: ['features'], summary: 'Registered training sets, newest first', params: ProjectParams, response: { 200: Type.Object({ datasets: Type.Array(DatasetSchema) }), ...problemResponses(404) } },
  }, async (request) => ({ datasets: await datasets.list(request.params.project) }));

  app.get('/api/v1/projects/:project/datasets/:id', {
    config: { permission: 'dataset:read' },
    schema: { tags: ['features'], summary: 'One training set', params: DatasetParams, response: { 200: DatasetSchema, ...problemResponses(404) } },
  }, async (request) => {
    const { path: _path, ...dataset } = await datasets.get(request.params.project, request.params.id);
    return dataset;
  });

  app.get('/api/v1/projects/:project/datasets/:id/data', {
    config: { permission: 'dataset:read' },
    schema: {
      tags: ['features'],
      summary: 'The training set (audited read): Parquet as registered, or converted to CSV / JSON lines',
      params: DatasetParams,
      querystring: StrictObject({ format: Type.Union([Type.Literal('parquet'), Type.Literal('csv'), Type.Literal('jsonl')], { default: 'parquet' }) }),
      response: { 200: Type.String({ description: 'application/vnd.apache.parquet, text/csv or application/x-ndjson' }), ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const dataset = await datasets.get(request.params.project, request.params.id);
    await datasets.recordDownload(contextOf(request), request.params.project, dataset.id);
    // the registered SHA-256 is of the Parquet file; a conversion says so rather than lying
    reply.header('x-falaj-sha256', dataset.sha256);
    if (request.query.format === 'parquet') {
      reply.type('application/vnd.apache.parquet').header('content-length', dataset.bytes);
      return reply.send(createReadStream(dataset.path) as unknown as string);
    }
    const exported = await datasets.exportAs(request.params.project, dataset.id, request.query.format);
    const stream = createReadStream(exported.path);
    stream.on('close', () => void exported.cleanup());
    reply.type(request.query.format === 'csv' ? 'text/csv' : 'application/x-ndjson').header('x-falaj-converted-from', 'parquet');
    return reply.send(stream as unknown as string);
  });
};

/** Fails the upload with 413 as soon as it passes `max` bytes. */
