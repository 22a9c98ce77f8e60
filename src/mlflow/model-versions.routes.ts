import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ModelRegistry, ModelVersion, VersionSearch } from '../registry/index.js';
import { contextOf } from '../security/index.js';
import type { TrackingService } from '../tracking/index.js';
import { access, MLFLOW_TAGS } from './mlflow-access.js';
import { mlflowErrorResponses } from './mlflow-error.js';
import { mlflowProjectOf } from './mlflow-project.js';
import { EmptyJson, KeyValue, MlflowBody, ModelVersionJson } from './mlflow-schemas.js';
import { versionOrigin } from './model-source.js';
import { parseRegistryFilter, unsupported } from './registry-filter.js';
import { modelVersionJson } from './registry-json.js';
import { deleteInput, deleteInputSchema, required, versionNumber } from './registry-input.js';

export interface MlflowModelVersionOptions {
  registry: ModelRegistry;
  tracking: TrackingService;
}

const Name = Type.String({ minLength: 1 });
const Version = Type.String({ minLength: 1, maxLength: 12, description: 'version number, as a string' });
const VersionAnswer = Type.Object({ model_version: ModelVersionJson });

/** `/api/2.0/mlflow/model-versions/*` (model_registry.proto). */
export const mlflowModelVersionRoutes: FastifyPluginAsyncTypebox<MlflowModelVersionOptions> = async (app, { registry, tracking }) => {
  const project = (request: FastifyRequest) => mlflowProjectOf(request);

  app.post('/model-versions/create', {
    config: access('model:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow CreateModelVersion (from run artifacts: files listed, SHA-256 checked, signed; READY at once)',
      body: MlflowBody({
        name: Name,
        source: Type.String({ minLength: 1 }),
        run_id: Type.Optional(Type.String()),
        tags: Type.Optional(Type.Array(KeyValue)),
        run_link: Type.Optional(Type.String()),
        description: Type.Optional(Type.String()),
      }),
      response: { 200: VersionAnswer, ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const { name, source, run_id, tags, description } = request.body;
    const version = await registry.createVersion(contextOf(request), project(request), name, {
      ...versionOrigin(source, run_id || undefined),
      description,
      tags: Object.fromEntries((tags ?? []).map((t) => [t.key, t.value])),
    });
    return { model_version: modelVersionJson(version) };
  });

  app.get('/model-versions/get', {
    config: access('model:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetModelVersion', querystring: MlflowBody({ name: Name, version: Version }), response: { 200: VersionAnswer, ...mlflowErrorResponses() } },
  }, async (request) => ({ model_version: modelVersionJson(await registry.getVersion(project(request), request.query.name, versionNumber(request.query.version))) }));

  app.get('/model-versions/search', {
    config: access('model:read'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: "MLflow SearchModelVersions (filter: name = / LIKE / ILIKE, run_id = / IN, tags.<key> = ; joined by AND)",
      querystring: MlflowBody({ filter: Type.Optional(Type.String()), max_results: Type.Optional(Type.Integer({ minimum: 1 })), order_by: Type.Optional(Type.Array(Type.String())), page_token: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ model_versions: Type.Optional(Type.Array(ModelVersionJson)), next_page_token: Type.Optional(Type.String()) }), ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const where = project(request);
    const { filter, max_results, page_token } = request.query;
    const search: VersionSearch = { maxResults: Math.min(max_results ?? 1000, 1000), pageToken: page_token || undefined };
    let runIds: string[] | undefined;
    for (const c of parseRegistryFilter(filter)) {
      if (c.field === 'name' && c.op === '=') search.model = c.values[0];
      else if (c.field === 'name' && (c.op === 'LIKE' || c.op === 'ILIKE')) search.modelLike = c.values[0];
      else if (c.field === 'run_id' && (c.op === '=' || c.op === 'IN')) runIds = c.values;
      else if (c.field.startsWith('tags.') && c.op === '=') search.tags = { ...search.tags, [c.field.slice(5)]: c.values[0]! };
      else throw unsupported(c, "name = 'x', name LIKE/ILIKE 'pattern', run_id = 'r' or IN ('r1', 'r2'), tags.<key> = 'value'");
    }
    let items: ModelVersion[];
    let nextPageToken: string | null = null;
    if (runIds && runIds.length > 1) {
      // several runs: one search each (a run registers few versions), merged, unpaged
      const pages = await Promise.all(runIds.map((runId) => registry.searchVersions(where, { ...search, runId, pageToken: undefined })));
      items = pages.flatMap((p) => p.items);
    } else {
      const page = await registry.searchVersions(where, { ...search, ...(runIds ? { runId: runIds[0] } : {}) });
      items = page.items;
      nextPageToken = page.nextPageToken;
    }
    return { ...(items.length ? { model_versions: items.map(modelVersionJson) } : {}), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
  });

  app.patch('/model-versions/update', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow UpdateModelVersion (description)', body: MlflowBody({ name: Name, version: Version, description: Type.Optional(Type.String()) }), response: { 200: VersionAnswer, ...mlflowErrorResponses() } },
  }, async (request) => {
    const { name, version, description } = request.body;
    return { model_version: modelVersionJson(await registry.updateVersion(contextOf(request), project(request), name, versionNumber(version), { description })) };
  });

  app.delete('/model-versions/delete', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteModelVersion (JSON body, or query parameters)', ...deleteInputSchema({ name: Name, version: Version }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const input = deleteInput(request);
    await registry.deleteVersion(contextOf(request), project(request), required(input, 'name'), versionNumber(required(input, 'version')));
    return {};
  });

  app.post('/model-versions/set-tag', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow SetModelVersionTag', body: MlflowBody({ name: Name, version: Version, key: Type.String(), value: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const { name, version, key, value } = request.body;
    await registry.setVersionTag(contextOf(request), project(request), name, versionNumber(version), key, value);
    return {};
  });

  app.delete('/model-versions/delete-tag', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteModelVersionTag', ...deleteInputSchema({ name: Name, version: Version, key: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const input = deleteInput(request);
    await registry.deleteVersionTag(contextOf(request), project(request), required(input, 'name'), versionNumber(required(input, 'version')), required(input, 'key'));
    return {};
  });

  app.get('/model-versions/get-download-uri', {
    config: access('model:read'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: "MLflow GetModelVersionDownloadUri (a version from run artifacts downloads through the proxy)",
      querystring: MlflowBody({ name: Name, version: Version }),
      response: { 200: Type.Object({ artifact_uri: Type.String() }), ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const where = project(request);
    const version = await registry.getVersion(where, request.query.name, versionNumber(request.query.version));
    if (!version.runId || version.artifactPath === null) return { artifact_uri: version.source };
    // the run's proxied artifact root, so the client downloads through Falaj's checked reads
    const run = await tracking.getRun(where, version.runId);
    return { artifact_uri: version.artifactPath ? `${run.info.artifactUri}/${version.artifactPath}` : run.info.artifactUri };
  });
};
