import type { ModelVersion, RegisteredModel } from '../registry/index.js';
import type { KeyValue, ModelVersionJson, RegisteredModelJson } from './mlflow-schemas.js';

/**
 * Falaj registry entities → MLflow's JSON (model_registry.proto). Falaj has aliases, not
 * stages: every version's `current_stage` is `"None"`, the stage MLflow gives a version
 * that was never transitioned.
 */

export const NO_STAGE = 'None';

const keyValues = (record: Record<string, string>): KeyValue[] => Object.entries(record).map(([key, value]) => ({ key, value }));

export function modelVersionJson(v: ModelVersion): ModelVersionJson {
  return {
    name: v.model,
    version: String(v.version),
    creation_timestamp: Date.parse(v.createdAt),
    last_updated_timestamp: Date.parse(v.updatedAt),
    user_id: v.createdBy,
    current_stage: NO_STAGE,
    description: v.description,
    source: v.source,
    ...(v.runId ? { run_id: v.runId } : {}),
    status: v.status,
    ...(v.statusMessage ? { status_message: v.statusMessage } : {}),
    tags: keyValues(v.tags),
    aliases: v.aliases,
  };
}

/** `latest`: the newest version (MLflow's latest version per stage, all being "None"). */
export function registeredModelJson(m: RegisteredModel, latest: readonly ModelVersion[]): RegisteredModelJson {
  return {
    name: m.name,
    creation_timestamp: Date.parse(m.createdAt),
    last_updated_timestamp: Date.parse(m.updatedAt),
    user_id: m.createdBy,
    description: m.description,
    ...(latest.length ? { latest_versions: latest.map(modelVersionJson) } : {}),
    tags: keyValues(m.tags),
    aliases: m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  };
}
