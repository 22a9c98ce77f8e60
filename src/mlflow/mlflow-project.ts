import type { FastifyRequest } from 'fastify';
import { InputError } from '../core/errors/index.js';
import { DEFAULT_PROJECT, GLOBAL_SCOPE, PROJECT_NAME_PATTERN } from '../security/index.js';

/**
 * The header that picks the Falaj project an MLflow request belongs to. MLflow's API has no
 * notion of a project, so the stock client cannot name one in the URL; it can send a header
 * through a `RequestHeaderProvider` plugin (see docs/mlflow-compatibility.md).
 */
export const PROJECT_HEADER = 'x-falaj-project';

const PROJECT_NAME = new RegExp(PROJECT_NAME_PATTERN);

/**
 * Which project an MLflow request works in: the `x-falaj-project` header; else, when the
 * caller's token is bound to exactly one project (global bindings aside), that project;
 * else `default`. Used both as the route's permission scope and by the handlers, so a
 * request is authorised on the very project it then reads or writes.
 */
export function mlflowProjectOf(request: FastifyRequest): string {
  const given = request.headers[PROJECT_HEADER];
  if (given !== undefined) {
    if (typeof given !== 'string' || !PROJECT_NAME.test(given)) {
      throw new InputError('FALAJ_BAD_REQUEST', `header ${PROJECT_HEADER} must be one project name matching ${PROJECT_NAME_PATTERN}`);
    }
    return given;
  }
  const bound = new Set((request.principal?.bindings ?? []).filter((b) => b.project !== GLOBAL_SCOPE).map((b) => b.project));
  if (bound.size === 1) return [...bound][0]!;
  return DEFAULT_PROJECT;
}
