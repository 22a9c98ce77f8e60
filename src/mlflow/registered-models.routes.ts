import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { InputError, NotAllowedError, NotFoundError } from '../core/errors/index.js';
import type { ModelAliases, ModelRegistry, ModelSearch, RegisteredModel } from '../registry/index.js';
import { contextOf } from '../security/index.js';
import { access, MLFLOW_TAGS } from './mlflow-access.js';
import { mlflowErrorResponses } from './mlflow-error.js';
import { mlflowProjectOf } from './mlflow-project.js';
import { EmptyJson, Int64, int64Of, KeyValue, MlflowBody, ModelVersionJson, RegisteredModelJson } from './mlflow-schemas.js';
import { parseRegistryFilter, unsupported } from './registry-filter.js';
import { deleteInput, deleteInputSchema, required, versionNumber } from './registry-input.js';
import { modelVersionJson, NO_STAGE, registeredModelJson } from './registry-json.js';

export interface MlflowRegistryOptions {
  registry: ModelRegistry;
  aliases: ModelAliases;
}

const Name = Type.String({ minLength: 1 });
const ModelAnswer = Type.Object({ registered_model: RegisteredModelJson });
const ORDER_FIELDS: Record<string, ModelSearch['orderBy']> = { name: 'name', last_updated_timestamp: 'updatedAt', timestamp: 'updatedAt', creation_timestamp: 'createdAt' };

/** SQL LIKE (`%`, `_`) as a case-insensitive regular expression, as Falaj's registry search matches. */
function likePattern(like: string): RegExp {
  const body = [...like].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'is');
}

/** `/api/2.0/mlflow/registered-models/*` (model_registry.proto). */
export const mlflowRegisteredModelRoutes: FastifyPluginAsyncTypebox<MlflowRegistryOptions> = async (app, { registry, aliases }) => {
  const project = (request: FastifyRequest) => mlflowProjectOf(request);
  /** The model named `name`, if it exists and passes the rest of the filter. */
  const exactly = async (where: string, name: string, search: ModelSearch): Promise<RegisteredModel[]> => {
    const model = await registry.getModel(where, name).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (!model) return [];
    const tagsMatch = Object.entries(search.tags ?? {}).every(([k, v]) => model.tags[k] === v);
    return tagsMatch && (search.nameLike === undefined || likePattern(search.nameLike).test(model.name)) ? [model] : [];
  };
  const withLatest = async (where: string, model: RegisteredModel) => registeredModelJson(model, await registry.getLatestVersions(where, model.name));

  app.post('/registered-models/create', {
    config: access('model:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow CreateRegisteredModel',
      body: MlflowBody({ name: Name, tags: Type.Optional(Type.Array(KeyValue)), description: Type.Optional(Type.String()) }),
      response: { 200: ModelAnswer, ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const { name, tags, description } = request.body;
    const model = await registry.createModel(contextOf(request), project(request), { name, description, tags: Object.fromEntries((tags ?? []).map((t) => [t.key, t.value])) });
    return { registered_model: registeredModelJson(model, []) };
  });

  app.get('/registered-models/get', {
    config: access('model:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetRegisteredModel', querystring: MlflowBody({ name: Name }), response: { 200: ModelAnswer, ...mlflowErrorResponses() } },
  }, async (request) => ({ registered_model: await withLatest(project(request), await registry.getModel(project(request), request.query.name)) }));

  app.get('/registered-models/search', {
    config: access('model:read'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: "MLflow SearchRegisteredModels (filter: name = / LIKE / ILIKE, tags.<key> = ; joined by AND)",
      querystring: MlflowBody({ filter: Type.Optional(Type.String()), max_results: Type.Optional(Type.Integer({ minimum: 1 })), order_by: Type.Optional(Type.Array(Type.String())), page_token: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ registered_models: Type.Optional(Type.Array(RegisteredModelJson)), next_page_token: Type.Optional(Type.String()) }), ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const where = project(request);
    const { filter, max_results, order_by, page_token } = request.query;
    const search: ModelSearch = { maxResults: Math.min(max_results ?? 100, 1000), pageToken: page_token || undefined };
    let exactName: string | undefined;
    for (const c of parseRegistryFilter(filter)) {
      if (c.field === 'name' && c.op === '=') exactName = c.values[0];
      else if (c.field === 'name' && (c.op === 'LIKE' || c.op === 'ILIKE')) search.nameLike = c.values[0];
      else if (c.field.startsWith('tags.') && c.op === '=') search.tags = { ...search.tags, [c.field.slice(5)]: c.values[0]! };
      else throw unsupported(c, "name = 'x', name LIKE/ILIKE 'pattern', tags.<key> = 'value'");
    }
    const [first] = order_by ?? [];
    if (first) {
      const [field, direction = 'ASC'] = first.trim().split(/\s+/);
      const orderBy = ORDER_FIELDS[field!.replace(/^attributes\./, '')];
      if (!orderBy || !/^(ASC|DESC)$/i.test(direction)) throw new InputError('FALAJ_FILTER_INVALID', `cannot order registered models by "${first}": use name, last_updated_timestamp or creation_timestamp, with ASC or DESC`);
      search.orderBy = orderBy;
      search.descending = direction.toUpperCase() === 'DESC';
    }
    // `name = 'x'` names at most one model: fetch it rather than pattern-match
    const page = exactName !== undefined ? { items: await exactly(where, exactName, search), nextPageToken: null } : await registry.searchModels(where, search);
    const models = await Promise.all(page.items.map((m) => withLatest(where, m)));
    return { ...(models.length ? { registered_models: models } : {}), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  });

  app.post('/registered-models/rename', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow RenameRegisteredModel', body: MlflowBody({ name: Name, new_name: Name }), response: { 200: ModelAnswer, ...mlflowErrorResponses() } },
  }, async (request) => {
    const model = await registry.renameModel(contextOf(request), project(request), request.body.name, request.body.new_name);
    return { registered_model: await withLatest(project(request), model) };
  });

  app.patch('/registered-models/update', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow UpdateRegisteredModel (description)', body: MlflowBody({ name: Name, description: Type.Optional(Type.String()) }), response: { 200: ModelAnswer, ...mlflowErrorResponses() } },
  }, async (request) => {
    const model = await registry.updateModel(contextOf(request), project(request), request.body.name, { description: request.body.description });
    return { registered_model: await withLatest(project(request), model) };
  });

  app.delete('/registered-models/delete', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteRegisteredModel (JSON body, or query parameters)', ...deleteInputSchema({ name: Name }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    await registry.deleteModel(contextOf(request), project(request), required(deleteInput(request), 'name'));
    return {};
  });

  app.post('/registered-models/set-tag', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow SetRegisteredModelTag', body: MlflowBody({ name: Name, key: Type.String(), value: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    await registry.setModelTag(contextOf(request), project(request), request.body.name, request.body.key, request.body.value);
    return {};
  });

  app.delete('/registered-models/delete-tag', {
    config: access('model:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteRegisteredModelTag', ...deleteInputSchema({ name: Name, key: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const input = deleteInput(request);
    await registry.deleteModelTag(contextOf(request), project(request), required(input, 'name'), required(input, 'key'));
    return {};
  });

  const LatestInput = { name: Name, stages: Type.Optional(Type.Array(Type.String())) };
  const LatestAnswer = Type.Object({ model_versions: Type.Optional(Type.Array(ModelVersionJson)) });
  const latest = async (request: FastifyRequest, input: { name: string; stages?: string[] | undefined }) => {
    const stages = input.stages ?? [];
    // Falaj has no stages: every version is in "None", so only that stage has a latest version
    if (stages.length > 0 && !stages.some((s) => s.toLowerCase() === NO_STAGE.toLowerCase())) {
      await registry.getModel(project(request), input.name); // still a 404 for an unknown model
      return {};
    }
    const versions = await registry.getLatestVersions(project(request), input.name);
    return versions.length ? { model_versions: versions.map(modelVersionJson) } : {};
  };

  // The client calls POST (the RPC's first endpoint); GET is documented too.
  app.post('/registered-models/get-latest-versions', {
    config: access('model:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetLatestVersions (every version is in stage "None")', body: MlflowBody(LatestInput), response: { 200: LatestAnswer, ...mlflowErrorResponses() } },
  }, async (request) => latest(request, request.body));

  app.get('/registered-models/get-latest-versions', {
    config: access('model:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetLatestVersions (query parameters)', querystring: MlflowBody(LatestInput), response: { 200: LatestAnswer, ...mlflowErrorResponses() } },
  }, async (request) => latest(request, request.query));

  // Aliases: the route lets any reader through; the alias service decides (model:write, or
  // model:promote for a protected alias such as `champion`) and audits refusals.
  app.post('/registered-models/alias', {
    config: access('model:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow SetRegisteredModelAlias (protected aliases need model:promote, and maybe an approval)', body: MlflowBody({ name: Name, alias: Type.String({ minLength: 1 }), version: Int64 }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const { name, alias, version } = request.body;
    const change = await aliases.setAlias(contextOf(request), project(request), name, alias, versionNumber(String(int64Of(version))));
    if (!change.applied) {
      // MLflow has no "accepted, pending" answer; saying 200 would tell the client the alias moved.
      throw new NotAllowedError('FALAJ_APPROVAL_REQUIRED', `moving ${name}@${alias} needs a second person's approval: request ${change.approval.id} is filed; a deployer other than you approves it with: falaj models approve ${change.approval.id}`, {
        details: { approvalId: change.approval.id },
      });
    }
    return {};
  });

  app.delete('/registered-models/alias', {
    config: access('model:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteRegisteredModelAlias (JSON body, or query parameters)', ...deleteInputSchema({ name: Name, alias: Type.String({ minLength: 1 }) }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const input = deleteInput(request);
    await aliases.deleteAlias(contextOf(request), project(request), required(input, 'name'), required(input, 'alias'));
    return {};
  });

  app.get('/registered-models/alias', {
    config: access('model:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetModelVersionByAlias', querystring: MlflowBody({ name: Name, alias: Type.String({ minLength: 1 }) }), response: { 200: Type.Object({ model_version: ModelVersionJson }), ...mlflowErrorResponses() } },
  }, async (request) => ({ model_version: modelVersionJson(await aliases.getByAlias(project(request), request.query.name, request.query.alias)) }));
};
