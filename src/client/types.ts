/**
 * Wire types of the Falaj API, as the client sees them. Where the server's own type is
 * exactly what goes over the wire it is re-exported (type-only: the SDK loads no server
 * code); the rest are the JSON shapes of answers.
 */
export type { Role } from '../security/rbac/roles.js';
export type { Classification } from '../security/policy/classification.js';
export type { Project } from '../security/projects/project.service.js';
export type { TokenInfo } from '../security/identity/token.service.js';
export type { AuditEvent } from '../security/audit/audit-event.js';
export type { AuditVerification } from '../security/audit/audit-log.js';
export type { PlanItem, Plan as FeaturePlan } from '../features/registry/plan.js';
export type { PushResult } from '../features/push/push.service.js';
export type { Dataset } from '../features/datasets/dataset.service.js';
export type { OnlineFeaturesResponse as OnlineFeatures } from '../features/online/online-features.service.js';
export type { DatasetInput, Experiment, LogBatch, Metric, Param, Run, RunData, RunInfo, RunSearch, ExperimentSearch, RunStatus, Tag, ViewType } from '../tracking/tracking.types.js';
import type { Role } from '../security/rbac/roles.js';
import type { TokenInfo } from '../security/identity/token.service.js';
import type { Experiment as TrackedExperiment, Metric as MetricPoint, Run as TrackedRun } from '../tracking/tracking.types.js';

export interface CreatedToken {
  /** the secret: shown once */
  token: string;
  info: TokenInfo;
}

export interface WhoAmI {
  id: string;
  name: string;
  kind: string;
  via: string;
  tokenId?: string;
  bindings: { project: string; role: Role }[];
}

/** A placement decision (`ResidencyDecision` on the server; `target` as a plain object). */
export interface ResidencyDecision {
  allowed: boolean;
  reason?: string;
  target: { store: string; region: string };
  inCountry: boolean;
}

export interface DefinitionObject {
  spec: Record<string, unknown>;
  origin?: string;
}

export interface FeatureObject {
  kind: string;
  name: string;
  version: number;
  createdAt: string;
  createdBy: string;
  spec: Record<string, unknown>;
}

export type MaterializeEvent = Record<string, unknown> & { type: string };

/** A page of run search results; `nextPageToken` is absent on the last page. */
export interface RunsPage {
  runs: TrackedRun[];
  nextPageToken?: string;
}

export interface ExperimentsPage {
  experiments: TrackedExperiment[];
  nextPageToken?: string;
}

export interface MetricHistoryPage {
  metrics: MetricPoint[];
  nextPageToken?: string;
}
