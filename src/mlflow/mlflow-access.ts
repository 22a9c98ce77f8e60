import type { FastifyReply } from 'fastify';
import type { Permission } from '../security/index.js';
import { mlflowProjectOf } from './mlflow-project.js';

/**
 * Route config for an MLflow route: the permission, checked on the project the request
 * resolves to (header, token binding, or `default`), so the handler works in exactly the
 * project the caller was authorised on.
 */
export const access = (permission: Permission) => ({ permission, scope: mlflowProjectOf });

/** Tags for the OpenAPI document. */
export const MLFLOW_TAGS = ['mlflow'];

/**
 * Sends an answer already turned into MLflow JSON. Used for answers carrying runs or
 * metrics: a response schema with a number-or-string value union would make
 * fast-json-stringify try both branches for every metric of a search page (the schema is
 * still declared, for the OpenAPI document).
 */
export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body) as never);
}
