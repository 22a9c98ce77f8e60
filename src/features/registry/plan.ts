import { canonicalJson } from '../../core/crypto/index.js';
import { isBreakingTypeChange } from '../definitions/feature-rules.js';
import type { FeatureServiceSpec, FeatureViewSpec, ObjectSpec } from '../definitions/spec.schema.js';
import type { DefinitionError } from '../definitions/check-spec.js';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete';

/** What `apply` would do to one object. */
export interface PlanItem {
  kind: ObjectSpec['kind'];
  name: string;
  action: PlanAction;
  fromVersion: number | null;
  toVersion: number | null;
  /** human-readable changes, e.g. `feature delay_mean_7d added` */
  changes: string[];
  /** the subset of changes that breaks existing consumers (type changes, removals) */
  breaking: string[];
  origin?: string | undefined;
}

export interface Plan {
  project: string;
  items: PlanItem[];
  errors: DefinitionError[];
  applied: boolean;
}

export interface CurrentObject {
  spec: ObjectSpec;
  version: number;
}

/** Compares one submitted object with the registered one. */
export function diffObject(current: CurrentObject | undefined, next: ObjectSpec, origin?: string): PlanItem {
  const base = { kind: next.kind, name: next.name, origin };
  if (!current) return { ...base, action: 'create', fromVersion: null, toVersion: 1, changes: [], breaking: [] };
  if (canonicalJson(current.spec) === canonicalJson(next)) {
    return { ...base, action: 'unchanged', fromVersion: current.version, toVersion: current.version, changes: [], breaking: [] };
  }
  const { changes, breaking } = describeChanges(current.spec, next);
  return { ...base, action: 'update', fromVersion: current.version, toVersion: current.version + 1, changes, breaking };
}

function describeChanges(before: ObjectSpec, after: ObjectSpec): { changes: string[]; breaking: string[] } {
  const changes: string[] = [];
  const breaking: string[] = [];
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'features') continue;
    if (canonicalJson(a[key] ?? null) !== canonicalJson(b[key] ?? null)) changes.push(`${key} changed`);
  }
  if (before.kind === 'FeatureView' && after.kind === 'FeatureView') viewFeatureChanges(before, after, changes, breaking);
  if (before.kind === 'FeatureService' && after.kind === 'FeatureService') serviceChanges(before, after, changes, breaking);
  if (before.kind === 'Entity' && after.kind === 'Entity' && canonicalJson(before.joinKeys) !== canonicalJson(after.joinKeys)) breaking.push('join keys changed');
  if (before.kind === 'FeatureView' && after.kind === 'FeatureView' && canonicalJson(before.entities) !== canonicalJson(after.entities)) breaking.push('entities changed');
  return { changes, breaking };
}

function viewFeatureChanges(before: FeatureViewSpec, after: FeatureViewSpec, changes: string[], breaking: string[]): void {
  const old = new Map(before.features.map((f) => [f.name, f]));
  const now = new Map(after.features.map((f) => [f.name, f]));
  for (const [name, f] of now) {
    const prev = old.get(name);
    if (!prev) changes.push(`feature ${name} added`);
    else if (prev.type !== f.type) {
      const change = `feature ${name} type ${prev.type} → ${f.type}`;
      changes.push(change);
      if (isBreakingTypeChange(prev.type, f.type)) breaking.push(change);
    } else if (canonicalJson(prev) !== canonicalJson(f)) changes.push(`feature ${name} definition changed`);
  }
  for (const name of old.keys()) {
    if (!now.has(name)) {
      changes.push(`feature ${name} removed`);
      breaking.push(`feature ${name} removed`);
    }
  }
}

function serviceChanges(before: FeatureServiceSpec, after: FeatureServiceSpec, changes: string[], breaking: string[]): void {
  for (const ref of after.features) if (!before.features.includes(ref)) changes.push(`${ref} added`);
  for (const ref of before.features) {
    if (!after.features.includes(ref)) {
      changes.push(`${ref} removed`);
      breaking.push(`${ref} removed`);
    }
  }
}
