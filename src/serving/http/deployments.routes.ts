import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { InputError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import { DeploymentSpec } from '../deployments/deployment.schema.js';
import type { DeploymentService } from '../deployments/deployment.service.js';
import type { Deployment } from '../deployments/deployment-types.js';
import type { RolloutController } from '../deployments/rollout-controller.js';
import type { LiveDeployments } from '../live/live-deployments.js';
import type { ServedModels } from '../live/served-models.js';
import { deploymentView } from './deployment-view.js';

const Open = Type.Object({}, { additionalProperties: true });
const Name = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });
const DeploymentParams = StrictObject({ project: ProjectParams.properties.project, name: Name });
const Reason = Type.Optional(Type.String({ minLength: 1, maxLength: 1000 }));

export interface DeploymentRouteOptions {
  deployments: DeploymentService;
  controller: RolloutController;
  /** this replica's serving state (absent on roles that do not serve) */
  live: LiveDeployments | undefined;
  models: ServedModels | undefined;
}

/**
 * Deployments over HTTP: apply (create or update from a spec), list, show (with the
 * traffic split in force, the canary's analysis so far and this replica's loaded
 * models), promote, roll back, delete. Applying and moving traffic need the deployer
 * role (`deployment:write`); every change is audited.
 */
export const deploymentRoutes: FastifyPluginAsyncTypebox<DeploymentRouteOptions> = async (app, { deployments, controller, live, models }) => {
  const view = async (d: Deployment) =>
    deploymentView(
      d,
      d.status.phase === 'progressing' && d.status.rollout ? await controller.analyse(d, new Date()) : null,
      live?.find(d.project, d.name),
      (model, version) => models?.get(d.project, model, version),
    );

  app.put('/api/v1/projects/:project/deployments/:name', {
    config: { permission: 'deployment:write' },
    schema: { tags: ['serving'], summary: 'Create or update a deployment (routes, mode, canary steps, batching)', params: DeploymentParams, body: DeploymentSpec, response: { 200: Open, ...problemResponses(404, 409, 422) } },
  }, async (request) => {
    if (request.body.name !== request.params.name) throw new InputError('FALAJ_VALIDATION_FAILED', `the body names deployment ${request.body.name}, the path ${request.params.name}`);
    const result = await deployments.apply(contextOf(request), request.params.project, request.body);
    return { action: result.action, deployment: await view(result.deployment) };
  });

  app.get('/api/v1/projects/:project/deployments', {
    config: { permission: 'deployment:read' },
    schema: { tags: ['serving'], summary: 'List deployments with their traffic split', params: ProjectParams, response: { 200: Type.Object({ deployments: Type.Array(Open) }), ...problemResponses(404) } },
  }, async (request) => ({ deployments: await Promise.all((await deployments.list(request.params.project)).map(view)) }));

  app.get('/api/v1/projects/:project/deployments/:name', {
    config: { permission: 'deployment:read' },
    schema: { tags: ['serving'], summary: 'Show a deployment: spec, status and history, traffic, canary analysis, loaded models', params: DeploymentParams, response: { 200: Open, ...problemResponses(404) } },
  }, async (request) => view(await deployments.get(request.params.project, request.params.name)));

  app.post('/api/v1/projects/:project/deployments/:name/promote', {
    config: { permission: 'deployment:write' },
    schema: {
      tags: ['serving'],
      summary: 'End a rollout in favour of a variant (the canary by default): it takes all traffic',
      params: DeploymentParams,
      body: Type.Union([StrictObject({ variant: Type.Optional(Name), reason: Reason }), Type.Null()]),
      response: { 200: Open, ...problemResponses(404, 409) },
    },
  }, async (request) => view(await deployments.promote(contextOf(request), request.params.project, request.params.name, request.body?.variant, request.body?.reason)));

  app.post('/api/v1/projects/:project/deployments/:name/rollback', {
    config: { permission: 'deployment:write' },
    schema: {
      tags: ['serving'],
      summary: 'Stop a canary (stable takes all traffic), or restore the spec before the last change',
      params: DeploymentParams,
      body: Type.Union([StrictObject({ reason: Reason }), Type.Null()]),
      response: { 200: Open, ...problemResponses(404, 409) },
    },
  }, async (request) => view(await deployments.rollback(contextOf(request), request.params.project, request.params.name, request.body?.reason)));

  app.delete('/api/v1/projects/:project/deployments/:name', {
    config: { permission: 'deployment:write' },
    schema: { tags: ['serving'], summary: 'Delete a deployment', params: DeploymentParams, response: { 204: Type.Null(), ...problemResponses(404) } },
  }, async (request, reply) => {
    await deployments.delete(contextOf(request), request.params.project, request.params.name);
    return reply.code(204).send(null);
  });
};
