export * from './classification.js';
export { residencyViolation, type RegionInfo, type StoreLocation, type ResidencyQuestion } from './residency.js';
export { PolicyService, type ResidencyDecision } from './policy.service.js';
