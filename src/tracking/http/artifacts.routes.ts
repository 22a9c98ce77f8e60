import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { UnsupportedMediaTypeError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import type { ArtifactStore } from '../../registry/artifact-contracts.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { TrackingService } from '../tracking.service.js';

const FileParams = StrictObject({ project: ProjectParams.properties.project, run: Type.String({ pattern: '^[0-9a-f]{32}$' }), '*': Type.String({ minLength: 1, maxLength: 1024 }) });
const ArtifactSchema = Type.Object({ path: Type.String(), sha256: Type.String(), bytes: Type.Integer() });
/** Largest artifact accepted in one upload. */
export const MAX_ARTIFACT_BYTES = 8 * 1024 ** 3;

/**
 * A run's artifacts in our own API (the MLflow proxy under `/api/2.0/mlflow-artifacts`
 * reaches the same store): upload as a raw streamed body, list, and download, which is
 * audited and checked against the recorded SHA-256 as it streams.
 */
export const runArtifactRoutes: FastifyPluginAsyncTypebox<{ tracking: TrackingService; artifacts: ArtifactStore }> = async (app, { tracking, artifacts }) => {
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  const RUN = '/api/v1/projects/:project/runs/:run/artifacts';

  app.put(`${RUN}/*`, {
    config: { permission: 'run:write' },
    bodyLimit: MAX_ARTIFACT_BYTES,
    schema: { tags: ['tracking'], summary: 'Upload a file under the run (raw body, application/octet-stream)', params: FileParams, response: { 201: ArtifactSchema, ...problemResponses(404, 422) } },
  }, async (request, reply) => {
    if (!String(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/octet-stream')) {
      throw new UnsupportedMediaTypeError('FALAJ_UNSUPPORTED_MEDIA_TYPE', 'send the file as the body with content-type application/octet-stream');
    }
    const { project, run } = request.params;
    await tracking.getRun(project, run); // 404 for an unknown run, before a byte is stored
    const info = await artifacts.put(contextOf(request), project, run, request.params['*'], request.body as Readable);
    return reply.status(201).send(info);
  });

  app.get(RUN, {
    config: { permission: 'run:read' },
    schema: {
      tags: ['tracking'],
      summary: "The run's files (under a prefix)",
      params: StrictObject({ project: ProjectParams.properties.project, run: Type.String({ pattern: '^[0-9a-f]{32}$' }) }),
      querystring: StrictObject({ prefix: Type.String({ default: '', maxLength: 1024 }) }),
      response: { 200: Type.Object({ files: Type.Array(ArtifactSchema) }), ...problemResponses(404) },
    },
  }, async (request) => {
    await tracking.getRun(request.params.project, request.params.run);
    return { files: await artifacts.list(request.params.project, request.params.run, request.query.prefix) };
  });

  app.get(`${RUN}/*`, {
    config: { permission: 'artifact:read' },
    schema: { tags: ['tracking'], summary: 'Download a file (audited; verified against its SHA-256 while streaming)', params: FileParams, response: { 200: Type.String(), ...problemResponses(404, 422) } },
  }, async (request, reply) => {
    const { info, stream } = await artifacts.open(contextOf(request), request.params.project, request.params.run, request.params['*']);
    reply.type('application/octet-stream').header('content-length', info.bytes).header('x-falaj-sha256', info.sha256);
    return reply.send(stream as unknown as string);
  });
};
