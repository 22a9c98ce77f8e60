export { registerAuth } from './auth.plugin.js';
export { principalOf, contextOf, type RouteSecurity } from './route-security.js';
export { projectRoutes } from './projects.routes.js';
export { tokenRoutes } from './tokens.routes.js';
export { auditRoutes } from './audit.routes.js';
export { policyRoutes } from './policy.routes.js';
export { ProjectParams, ProjectName, ClassificationSchema } from './schemas.js';
