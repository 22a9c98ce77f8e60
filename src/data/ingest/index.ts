export { ingestBatch, type IngestPlan } from './ingest-batch.js';
export { checkExpectations } from './check-expectations.js';
export { ingestRelation } from './ingest-relation.js';
export { PROFILE_QUANTILES, quantileKey } from './profile.js';
export { expectationName } from './expectation-rules.js';
