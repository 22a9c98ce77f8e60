import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { InputError, NotFoundError, UnavailableError } from '../../core/errors/index.js';
import { StrictObject } from '../../core/http/problem.schema.js';
import type { LiveDeployments } from '../live/live-deployments.js';
import { routeOfVersion, OipInference, type BinaryBody } from '../predict/oip-inference.js';
import type { PredictionService } from '../predict/prediction.service.js';
import { INFERENCE_HEADER_CONTENT_LENGTH, modelMetadata, OipError, OipInferRequest, OipModelMetadata, OipServerMetadata, serverMetadata } from '../oip/index.js';

const VERSION = '0.1.0';
/** The project an OIP call addresses (OIP URLs have no room for one); default `default`. */
export const PROJECT_HEADER = 'x-falaj-project';
const PROJECT = /^[a-z][a-z0-9-]{0,62}$/;

const ModelParams = StrictObject({ model: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) });
const VersionParams = StrictObject({ model: ModelParams.properties.model, version: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) });
/** The protocol's `{ error }`, with our stable code beside it. */
const ErrorBody = Type.Object({ error: OipError.properties.error, code: Type.String() });
const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody };
const Ready = Type.Object({ ready: Type.Boolean() });

export interface OipRouteOptions {
  predictions: PredictionService;
  live: LiveDeployments;
  isShuttingDown: () => boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    oipBinary?: BinaryBody;
  }
}

/**
 * The Open Inference Protocol (KServe V2) REST API: health, server and model metadata,
 * readiness and inference, with Triton's binary tensor data extension. A model is a
 * deployment; `/versions/{v}` addresses one of the versions it serves. The project comes
 * from the `X-Falaj-Project` header (default `default`). Errors answer the protocol's
 * `{"error": "…"}` body, with our stable `code` beside it.
 */
export const oipRoutes: FastifyPluginAsyncTypebox<OipRouteOptions> = async (app, { predictions, live, isShuttingDown }) => {
  const inference = new OipInference(live, predictions);
  const projectOf = (request: FastifyRequest): string => {
    const given = request.headers[PROJECT_HEADER];
    const project = (Array.isArray(given) ? given[0] : given) ?? 'default';
    if (!PROJECT.test(project)) throw new InputError('FALAJ_VALIDATION_FAILED', `${PROJECT_HEADER} "${project}" is not a project name`);
    return project;
  };
  const scope = { scope: projectOf };

  // The protocol's error body instead of problem details (the shared handler still logs and audits).
  app.addHook('preSerialization', async (_request, reply, payload) => {
    const problem = payload as { type?: unknown; detail?: unknown; code?: unknown } | null;
    if (!problem || typeof problem !== 'object' || typeof problem.detail !== 'string' || typeof problem.code !== 'string' || !('type' in problem)) return payload;
    reply.type('application/json');
    return { error: problem.detail, code: problem.code };
  });

  // Triton's binary extension: a JSON header, then raw tensor bytes.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: app.initialConfig.bodyLimit }, (_request, body, done) => done(null, body));
  app.addHook('preValidation', async (request) => {
    if (!Buffer.isBuffer(request.body)) return;
    const raw = request.body;
    const given = request.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    const headerLength = given === undefined ? raw.length : Number(given);
    if (!Number.isSafeInteger(headerLength) || headerLength <= 0 || headerLength > raw.length) {
      throw new InputError('FALAJ_INFERENCE_BINARY_INVALID', `${INFERENCE_HEADER_CONTENT_LENGTH} is ${String(given)}; it must be the JSON header's length, at most the body's ${raw.length} bytes`);
    }
    try {
      request.body = JSON.parse(raw.subarray(0, headerLength).toString('utf8'));
    } catch {
      throw new InputError('FALAJ_INFERENCE_BINARY_INVALID', `the first ${headerLength} bytes of the body are not a JSON inference request`);
    }
    request.oipBinary = { body: raw, headerLength };
  });

  app.get('/v2/health/live', { config: { public: true }, schema: { tags: ['oip'], summary: 'OIP liveness', response: { 200: Type.Object({ live: Type.Boolean() }) } } }, async () => ({ live: true }));

  app.get('/v2/health/ready', { config: { public: true }, schema: { tags: ['oip'], summary: 'OIP readiness: every deployment\'s models are loaded', response: { 200: Ready, 400: Ready } } }, async (_request, reply) => {
    const ready = !isShuttingDown() && live.initialized && live.list().every((l) => l.ready);
    return reply.code(ready ? 200 : 400).send({ ready });
  });

  app.get('/v2', { config: { permission: 'authenticated' }, schema: { tags: ['oip'], summary: 'OIP server metadata', response: { 200: OipServerMetadata, ...Errors } } }, async () => serverMetadata('falaj', VERSION));

  const metadata = async (project: string, model: string, version: string | undefined) => {
    const l = live.find(project, model);
    if (!l) throw new NotFoundError('FALAJ_DEPLOYMENT_NOT_FOUND', `no deployment ${model} in project ${project}`);
    if (!l.ready) throw new UnavailableError('FALAJ_DEPLOYMENT_NOT_READY', `deployment ${model} is not ready: ${l.error ?? 'loading'}`);
    const route = version === undefined ? l.split.reduce((a, b) => (b.weight > a.weight ? b : a)).route : routeOfVersion(l, Number(version));
    const served = predictions.modelOf(l, route);
    const versions = [...new Set([...l.routes.values()].map((r) => r.version))].sort((a, b) => a - b);
    return modelMetadata(model, versions, served.inputs, served.outputs);
  };
  const ready = (project: string, model: string, version: string | undefined) => {
    const l = live.find(project, model);
    if (!l?.ready) return false;
    return version === undefined || [...l.routes.values()].some((r) => r.version === Number(version));
  };

  app.get('/v2/models/:model', { config: { permission: 'deployment:read', ...scope }, schema: { tags: ['oip'], summary: 'OIP model metadata (the version taking most traffic)', params: ModelParams, response: { 200: OipModelMetadata, ...Errors } } },
    async (request) => metadata(projectOf(request), request.params.model, undefined));
  app.get('/v2/models/:model/versions/:version', { config: { permission: 'deployment:read', ...scope }, schema: { tags: ['oip'], summary: 'OIP model version metadata', params: VersionParams, response: { 200: OipModelMetadata, ...Errors } } },
    async (request) => metadata(projectOf(request), request.params.model, request.params.version));
  app.get('/v2/models/:model/ready', { config: { permission: 'deployment:read', ...scope }, schema: { tags: ['oip'], summary: 'OIP model readiness', params: ModelParams, response: { 200: Ready, 400: Ready } } },
    async (request, reply) => {
      const ok = ready(projectOf(request), request.params.model, undefined);
      return reply.code(ok ? 200 : 400).send({ ready: ok });
    });
  app.get('/v2/models/:model/versions/:version/ready', { config: { permission: 'deployment:read', ...scope }, schema: { tags: ['oip'], summary: 'OIP model version readiness', params: VersionParams, response: { 200: Ready, 400: Ready } } },
    async (request, reply) => {
      const ok = ready(projectOf(request), request.params.model, request.params.version);
      return reply.code(ok ? 200 : 400).send({ ready: ok });
    });

  const infer = async (request: FastifyRequest, reply: import('fastify').FastifyReply, model: string, version: number | undefined) => {
    const answer = await inference.infer(projectOf(request), model, version, request.body as typeof OipInferRequest.static, request.oipBinary, request.headers);
    if ('json' in answer) return reply.type('application/json').send(answer.json);
    return reply.header(INFERENCE_HEADER_CONTENT_LENGTH, answer.headerLength).type('application/octet-stream').send(answer.binary);
  };
  app.post('/v2/models/:model/infer', {
    config: { permission: 'deployment:read', ...scope },
    schema: { tags: ['oip'], summary: 'OIP inference (JSON tensors, or Triton\'s binary tensor data extension)', params: ModelParams, body: OipInferRequest, response: { ...Errors } },
  }, async (request, reply) => infer(request, reply, request.params.model, undefined));
  app.post('/v2/models/:model/versions/:version/infer', {
    config: { permission: 'deployment:read', ...scope },
    schema: { tags: ['oip'], summary: 'OIP inference on one version the deployment serves', params: VersionParams, body: OipInferRequest, response: { ...Errors } },
  }, async (request, reply) => infer(request, reply, request.params.model, Number(request.params.version)));
};
