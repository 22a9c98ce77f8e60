import type { FastifyRequest } from 'fastify';
import type { Permission, Principal } from '../rbac/index.js';

/**
 * What a route declares about access, in its Fastify `config`. A route that declares
 * neither `permission` nor `public: true` is refused to everyone (deny by default).
 */
export interface RouteSecurity {
  /** anyone may call it, unauthenticated (liveness, readiness, the OpenAPI document) */
  public?: boolean;
  /** the permission needed; `authenticated` = any signed-in principal (the handler filters) */
  permission?: Permission | 'authenticated';
  /**
   * Which project the permission is checked on. Default: the `project` path parameter,
   * else `*` (platform-wide). May look a resource up (a token's project).
   */
  scope?: (request: FastifyRequest) => string | Promise<string>;
}

declare module 'fastify' {
  interface FastifyContextConfig extends RouteSecurity {}
  interface FastifyRequest {
    /** set on every non-public route before its handler runs */
    principal: Principal | undefined;
  }
}

/** The request's principal; throws if a handler runs on a route that skipped auth. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} has no authenticated principal`);
  return request.principal;
}

/** The context services take: who, and which request (for the audit log). */
export function contextOf(request: FastifyRequest): { principal: Principal; requestId: string } {
  return { principal: principalOf(request), requestId: request.id };
}
