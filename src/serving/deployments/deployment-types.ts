import type { CanaryAnalysis } from './canary-analysis.js';
import type { DeploymentSpec } from './deployment.schema.js';

/** Where a deployment stands: serving as specified, or in the middle of a canary rollout. */
export type DeploymentPhase = 'serving' | 'progressing' | 'promoted' | 'rolled-back';

export interface RolloutState {
  /** index into the canary's steps */
  step: number;
  /** the canary's share of traffic now, in percent */
  weight: number;
  stepStartedAt: string;
  /** the last analysis of the canary against the stable version */
  lastAnalysis: CanaryAnalysis | null;
}

export interface HistoryEntry {
  at: string;
  /** `applied`, `step`, `promoted`, `rolled-back`, `analysis-waiting`, … */
  event: string;
  detail: string;
  actor: string;
}

export interface DeploymentStatus {
  phase: DeploymentPhase;
  rollout: RolloutState | null;
  /** newest last, at most {@link MAX_HISTORY} */
  history: HistoryEntry[];
}

export const MAX_HISTORY = 50;

export interface Deployment {
  project: string;
  name: string;
  /** bumped by every change: replicas reload a deployment when it moves */
  revision: number;
  spec: DeploymentSpec;
  status: DeploymentStatus;
  /** the spec before the last apply or promotion, restored by `rollback` */
  previousSpec: DeploymentSpec | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** Appends to a status's history, keeping the newest {@link MAX_HISTORY}. */
export function withHistory(status: DeploymentStatus, entry: HistoryEntry): DeploymentStatus {
  return { ...status, history: [...status.history, entry].slice(-MAX_HISTORY) };
}
