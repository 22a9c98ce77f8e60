import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../core/errors/index.js';
import type { AuditLog } from '../security/audit/index.js';
import { toProblem } from '../core/http/to-problem.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one error handler: every error becomes RFC 9457 problem details with a stable
 * code. Refused mutations (401/403) are also written to the audit log, so an auditor
 * sees attempts, not only successes.
 */
export function registerErrorHandling(app: FastifyInstance, audit: AuditLog): void {
  app.setErrorHandler(async (err, request, reply) => {
    const problem = toProblem(err, request.id, request.url.split('?')[0]!);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, problem.detail);
    if ((problem.status === 401 || problem.status === 403) && !SAFE_METHODS.has(request.method)) {
      await auditRefusal(audit, request, problem.code, problem.detail);
    }
    return reply.status(problem.status).type('application/problem+json').send(problem);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const problem = toProblem(
      new NotFoundError('FALAJ_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}: see /openapi.json`),
      request.id,
      request.url.split('?')[0]!,
    );
    return reply.status(404).type('application/problem+json').send(problem);
  });
}

async function auditRefusal(audit: AuditLog, request: FastifyRequest, code: string, detail: string): Promise<void> {
  const params = request.params as { project?: string } | undefined;
  try {
    await audit.record({
      actor: request.principal?.id ?? 'anonymous',
      action: `http.${request.method.toLowerCase()}`,
      resource: request.routeOptions.url ?? request.url.split('?')[0]!,
      project: params?.project ?? null,
      outcome: 'denied',
      requestId: request.id,
      details: { code, detail, ip: request.ip },
    });
  } catch (err) {
    request.log.error({ err }, 'could not write the audit event for a refused request');
  }
}
