import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotAllowedError } from '../../core/errors/index.js';
import type { Authenticator } from '../identity/index.js';
import { authorize, GLOBAL_SCOPE } from '../rbac/index.js';
import './route-security.js';

/**
 * Authentication and authorisation for every route, declared in route config:
 * authenticate in `onRequest` (before a body is even parsed), authorise in
 * `preHandler` (after the input is validated, so a scope can read it). Must be
 * registered on the root instance before any route.
 */
export function registerAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', undefined);

  app.addHook('onRequest', async (request) => {
    const security = request.routeOptions.config;
    if (security.public || request.is404) return;
    request.principal = await authenticator.authenticate(request.headers.authorization);
  });

  app.addHook('preHandler', async (request) => {
    const security = request.routeOptions.config;
    if (security.public || request.is404) return;
    const principal = request.principal!;
    const permission = security.permission;
    if (!permission) {
      request.log.error({ route: request.routeOptions.url }, 'route declares no permission: refused');
      throw new NotAllowedError('FALAJ_PERMISSION_UNDECLARED', 'this route declares no permission, so it is closed to everyone');
    }
    if (permission === 'authenticated') return;
    authorize(principal, permission, await scopeOf(request));
  });
}

async function scopeOf(request: FastifyRequest): Promise<string> {
  const { scope } = request.routeOptions.config;
  if (scope) return scope(request);
  const params = request.params as { project?: string } | undefined;
  return params?.project ?? GLOBAL_SCOPE;
}
