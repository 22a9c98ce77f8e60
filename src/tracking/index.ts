import './tracking.table.js';

export { TrackingService, DEFAULT_EXPERIMENT, SEARCH_MAX_RESULTS, SEARCH_DEFAULT_RESULTS, type CreateExperimentInput, type CreateRunInput, type UpdateRunInput } from './tracking.service.js';
export { HISTORY_PAGE_MAX } from './run-logging.js';
export { LIMITS } from './limits.js';
export { parseFilter, parseOrderBy, type FilterNode, type OrderByClause, type ComparisonOperator, type EntityType } from './search/search-filter.js';
export * from './tracking.types.js';
export { trackingRoutes } from './http/tracking.routes.js';
export { runArtifactRoutes } from './http/artifacts.routes.js';
