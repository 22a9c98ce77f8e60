export { falajPolicy, fifoFirstFitPolicy, greedyFirstFitPolicy, FALAJ_POLICY_DEFAULTS, type FalajPolicyOptions } from './policies.js';
export { QuotaLedger, type QuotaCheck } from './quota.js';
export { eligibleFlavors, type Eligibility, type FlavorCandidate } from './eligibility.js';
export { byPriorityThenSubmission, bySubmission } from './ordering.js';
export type { NodeNeed, QuotaAmount } from './need.js';
export type { PlacementStrategy } from './placement.js';
