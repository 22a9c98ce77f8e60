import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { UnprocessableError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import type { PolicyService } from '../policy/index.js';
import type { ProjectService } from '../projects/index.js';
import { ClassificationSchema, ProjectParams } from './schemas.js';

/** A dry run of the residency rule: may data of this classification go to that store? */
export const policyRoutes: FastifyPluginAsyncTypebox<{ policy: PolicyService; projects: ProjectService }> = async (app, { policy, projects }) => {
  app.post('/api/v1/projects/:project/policy/residency-check', {
    config: { permission: 'policy:check' },
    schema: {
      tags: ['policy'],
      summary: 'Check the residency rule for a classification and a store (no side effects)',
      params: ProjectParams,
      body: StrictObject({ classification: ClassificationSchema, store: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: {
        200: Type.Object({
          allowed: Type.Boolean(),
          reason: Type.Optional(Type.String()),
          target: Type.Object({ store: Type.String(), region: Type.String() }),
          inCountry: Type.Boolean(),
        }),
        ...problemResponses(404, 422),
      },
    },
  }, async (request) => {
    const project = await projects.get(request.params.project);
    const target = policy.store(request.body.store);
    if (!target) {
      throw new UnprocessableError('FALAJ_VALIDATION_FAILED', `unknown store "${request.body.store}": use one of ${policy.storeNames().join(', ')}`);
    }
    return policy.evaluate(project, request.body.classification, target);
  });
};
