import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ConflictError, NotFoundError } from '../core/errors/index.js';
import type { ArtifactStore } from '../registry/index.js';
import { contextOf } from '../security/index.js';
import type { Run, TrackingService } from '../tracking/index.js';
import { downloadContentType, parseArtifactLocation, type ArtifactLocation } from './artifact-location.js';
import { access, MLFLOW_TAGS } from './mlflow-access.js';
import { mlflowErrorResponses } from './mlflow-error.js';
import { mlflowProjectOf } from './mlflow-project.js';
import { EmptyJson, FileInfoJson, type FileInfoJson as FileInfo } from './mlflow-schemas.js';

export interface MlflowArtifactOptions {
  tracking: TrackingService;
  artifacts: ArtifactStore;
}

/**
 * The proxied artifact service (`mlflow/protos/mlflow_artifacts.proto`), mounted at
 * `/api/2.0/mlflow-artifacts`: upload (PUT, the raw body streamed into the encrypted,
 * content-addressed ArtifactStore), download (GET, verified against its SHA-256 as it
 * streams) and list (GET `?path=`). Only run artifact paths are served.
 */
export const mlflowArtifactRoutes: FastifyPluginAsyncTypebox<MlflowArtifactOptions> = async (app, { tracking, artifacts }) => {
  // Uploads are bytes whatever their content type (the client sends the guessed MIME type,
  // application/json included): hand the raw stream to the handler, parse nothing, and
  // apply no body limit (models are large; the store streams). This instance only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  /** The run a location names, in the request's project, under the experiment it claims. */
  async function runAt(request: FastifyRequest, where: ArtifactLocation): Promise<Run> {
    const project = mlflowProjectOf(request);
    const run = await tracking.getRun(project, where.runId);
    const experiment = await tracking.getExperiment(project, run.info.experimentId);
    if (experiment.mlflowId !== where.experimentId) {
      throw new NotFoundError('FALAJ_RUN_NOT_FOUND', `run ${where.runId} is not in experiment ${where.experimentId} of project ${project}: use the run's artifact_uri`);
    }
    return run;
  }

  const FilePath = Type.Object({ '*': Type.String({ minLength: 1, maxLength: 2048 }) });

  app.put('/artifacts/*', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow UploadArtifact (raw body, any content type)', params: FilePath, response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const where = parseArtifactLocation(request.params['*']);
    const run = await runAt(request, where);
    if (run.info.lifecycleStage !== 'active') {
      throw new ConflictError('FALAJ_RUN_NOT_ACTIVE', `run ${where.runId} is deleted: restore it before logging artifacts to it`);
    }
    const body = request.body instanceof Readable ? request.body : Readable.from([Buffer.alloc(0)]);
    await artifacts.put(contextOf(request), run.info.project, where.runId, where.path, body);
    return {};
  });

  app.get('/artifacts/*', {
    config: access('artifact:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DownloadArtifact (bytes, checked against their SHA-256 as they stream)', params: FilePath, response: { 200: Type.Unknown({ description: 'the file bytes' }), ...mlflowErrorResponses() } },
  }, async (request, reply) => {
    const where = parseArtifactLocation(request.params['*']);
    const run = await runAt(request, where);
    const { info, stream } = await artifacts.open(contextOf(request), run.info.project, where.runId, where.path);
    const name = where.path.slice(where.path.lastIndexOf('/') + 1);
    return reply
      .type(downloadContentType(where.path))
      .header('content-length', info.bytes)
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
      .header('x-content-type-options', 'nosniff')
      .header('x-falaj-artifact-sha256', info.sha256)
      .send(stream);
  });

  app.get('/artifacts', {
    config: access('run:read'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow ListArtifacts (the immediate children of path)',
      querystring: Type.Object({ path: Type.Optional(Type.String({ maxLength: 2048 })) }, { additionalProperties: true }),
      response: { 200: Type.Object({ files: Type.Optional(Type.Array(FileInfoJson)) }), ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const where = parseArtifactLocation(request.query.path);
    const run = await runAt(request, where);
    const files = childrenOf(await artifacts.list(run.info.project, where.runId, where.path), where.path);
    // proto3 JSON leaves out an empty repeated field: the client reads `{}` as "no files"
    return files.length ? { files } : {};
  });
};

/**
 * MLflow lists one level: files directly under `dir` with their size, and each
 * subdirectory once (no size), named by base name. A file's own path lists as empty,
 * which is how the client tells a file from a directory.
 */
export function childrenOf(all: readonly { path: string; bytes: number }[], dir: string): FileInfo[] {
  const out = new Map<string, FileInfo>();
  for (const file of all) {
    const rest = dir === '' ? file.path : file.path.slice(dir.length + 1);
    if (file.path === dir || rest === '') continue;
    const slash = rest.indexOf('/');
    if (slash < 0) out.set(rest, { path: rest, is_dir: false, file_size: file.bytes });
    else out.set(rest.slice(0, slash), { path: rest.slice(0, slash), is_dir: true });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
