import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../core/errors/index.js';
import type { AuditLog } from '../security/index.js';
import { toMlflowError } from './mlflow-error.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * MLflow's error format on the MLflow routes only: an error handler and a not-found
 * handler scoped to this (prefixed, encapsulated) instance, so the rest of the API keeps
 * RFC 9457 problem details. Like the server's own handler, refused mutations (401/403)
 * are written to the audit log.
 */
export function useMlflowErrors(app: FastifyInstance, audit: AuditLog): void {
  app.setErrorHandler(async (err, request, reply) => {
    const path = request.url.split('?')[0]!;
    const { status, body, falajCode } = toMlflowError(err, request.id, path);
    if (status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: body.error_code, falajCode, status }, body.message);
    if ((status === 401 || status === 403) && !SAFE_METHODS.has(request.method)) {
      await auditRefusal(audit, request, falajCode, body.message);
    }
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });

  // ENDPOINT_NOT_FOUND is what the client's `call_endpoints` falls through on when an RPC
  // has several endpoints; anything else stops it.
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const err = new NotFoundError('FALAJ_ROUTE_NOT_FOUND', `no MLflow endpoint ${request.method} ${path}: see docs/mlflow-compatibility.md for the covered surface`);
    const { status, body } = toMlflowError(err, request.id, path);
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });

  // MLflow's server reads a missing body as `{}`; so do we, so that a bare `POST
  // /experiments/search` is a search, not a validation error.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });
}

async function auditRefusal(audit: AuditLog, request: FastifyRequest, code: string, detail: string): Promise<void> {
  try {
    await audit.record({
      actor: request.principal?.id ?? 'anonymous',
      action: `http.${request.method.toLowerCase()}`,
      resource: request.routeOptions.url ?? request.url.split('?')[0]!,
      project: null,
      outcome: 'denied',
      requestId: request.id,
      details: { code, detail, ip: request.ip },
    });
  } catch (err) {
    request.log.error({ err }, 'could not write the audit event for a refused request');
  }
}
