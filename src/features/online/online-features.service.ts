import { type Clock, systemClock } from '../../core/clock.js';
import { InputError, UnprocessableError } from '../../core/errors/index.js';
import type { OnlineStore } from '../../storage/online/index.js';
import { entityKey } from '../definitions/resolved.js';
import type { FeatureRegistry } from '../registry/feature-registry.service.js';
import { buildRetrievalPlan, groupFeatureRefs, type RetrievalPlan } from './retrieval-plan.js';

/** Feast's field statuses. */
export type FeatureStatus = 'PRESENT' | 'NOT_FOUND' | 'NULL_VALUE' | 'OUTSIDE_MAX_AGE';

export interface OnlineFeaturesRequest {
  featureService?: string | undefined;
  features?: string[] | undefined;
  /** join key column → one value per entity row (column-major, as in Feast) */
  entities: Record<string, unknown[]>;
  fullFeatureNames?: boolean | undefined;
}

/** Column-major answer: `results[i]` holds column `featureNames[i]` for every entity row. */
export interface OnlineFeaturesResponse {
  featureNames: string[];
  results: { values: unknown[]; statuses: FeatureStatus[]; eventTimestamps: string[] }[];
}

export const MAX_ENTITY_ROWS = 10_000;
const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * Online retrieval: one pipelined read from the online store for every view and every
 * entity row of a request, TTL enforced at read time (`OUTSIDE_MAX_AGE`).
 */
export class OnlineFeatures {
  /** Plans per resolved definitions: a new apply re-resolves them, so a plan never outlives its views. */
  private readonly plans = new WeakMap<object, Map<string, RetrievalPlan>>();

  constructor(
    private readonly registry: FeatureRegistry,
    private readonly store: OnlineStore,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(project: string, request: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
    const plan = await this.plan(project, request);
    const rows = rowCount(request.entities, plan.joinKeys);
    const keysPerView = plan.views.map((v) => {
      const columns = v.view.joinKeys.map((k) => request.entities[k]!);
      const keys = new Array<string>(rows);
      for (let r = 0; r < rows; r++) keys[r] = entityKey(v.view.joinKeys, columns.map((c) => c[r]));
      return keys;
    });
    const unique = [...new Set(keysPerView.flat())];
    const index = new Map(unique.map((k, i) => [k, i]));
    const stored = await this.store.read(project, unique, plan.viewNames);

    const now = this.clock.now().getTime();
    // Join key columns share one status and one timestamp array; the features of a view
    // share theirs unless a feature has a null where others have a value. Fewer arrays to
    // build, and `serializeOnlineFeatures` writes a shared array once.
    const keyStatuses = new Array<FeatureStatus>(rows).fill('PRESENT');
    const keyTimestamps = new Array<string>(rows).fill(EPOCH);
    const results: OnlineFeaturesResponse['results'] = plan.joinKeys.map((k) => ({ values: request.entities[k]!, statuses: keyStatuses, eventTimestamps: keyTimestamps }));
    const iso = new Map<number, string>();
    const isoOf = (ms: number) => {
      let text = iso.get(ms);
      if (text === undefined) iso.set(ms, (text = new Date(ms).toISOString()));
      return text;
    };
    plan.views.forEach((v, vi) => {
      const keys = keysPerView[vi]!;
      const found = new Array<Record<string, unknown> | undefined>(rows);
      const base = new Array<FeatureStatus>(rows);
      const timestamps = new Array<string>(rows);
      for (let r = 0; r < rows; r++) {
        const value = stored[index.get(keys[r]!)!]![v.view.name];
        // expired at exactly ttl, as offline: a training row uses feature_ts > row_ts - ttl
        const stale = value !== undefined && v.view.ttlMs > 0 && now - value.eventTs >= v.view.ttlMs;
        found[r] = value && !stale ? value.values : undefined;
        base[r] = !value ? 'NOT_FOUND' : stale ? 'OUTSIDE_MAX_AGE' : 'PRESENT';
        timestamps[r] = value ? isoOf(value.eventTs) : EPOCH;
      }
      for (const f of v.features) {
        const values = new Array<unknown>(rows);
        let statuses = base;
        for (let r = 0; r < rows; r++) {
          const value = found[r]?.[f.name] ?? null;
          values[r] = value;
          if (value === null && base[r] === 'PRESENT') {
            if (statuses === base) statuses = base.slice();
            statuses[r] = 'NULL_VALUE';
          }
        }
        results.push({ values, statuses, eventTimestamps: timestamps });
      }
    });
    return { featureNames: [...plan.joinKeys, ...plan.featureNames], results };
  }

  private async plan(project: string, request: OnlineFeaturesRequest): Promise<RetrievalPlan> {
    if (!request.featureService === !request.features) {
      throw new InputError('FALAJ_BAD_REQUEST', 'give either featureService or features (a list of view:feature), not both or neither');
    }
    const defs = await this.registry.definitions(project);
    let plans = this.plans.get(defs);
    if (!plans) this.plans.set(defs, (plans = new Map()));
    const key = `${request.featureService ? `s:${request.featureService}` : `f:${request.features!.join(',')}`}\n${request.fullFeatureNames ? 1 : 0}`;
    let plan = plans.get(key);
    if (!plan) {
      const groups = request.featureService ? (await this.registry.featureService(project, request.featureService)).views : groupFeatureRefs(request.features!, defs.views);
      const offline = groups.filter((g) => !g.view.online).map((g) => g.view.name);
      if (offline.length > 0) throw new UnprocessableError('FALAJ_BAD_REQUEST', `feature view(s) ${offline.join(', ')} are not online (online: false)`);
      plan = buildRetrievalPlan(groups, request.fullFeatureNames ?? false);
      if (plans.size > 1000) plans.clear();
      plans.set(key, plan);
    }
    return plan;
  }
}

function rowCount(entities: Record<string, unknown[]>, joinKeys: string[]): number {
  const missing = joinKeys.filter((k) => !Array.isArray(entities[k]));
  if (missing.length > 0) throw new UnprocessableError('FALAJ_ENTITY_ROWS_INVALID', `entities must include the join key column(s) ${missing.join(', ')}`);
  const lengths = new Set(joinKeys.map((k) => entities[k]!.length));
  if (lengths.size > 1) throw new UnprocessableError('FALAJ_ENTITY_ROWS_INVALID', 'every entity column must have the same number of values');
  const rows = lengths.values().next().value ?? 0;
  if (rows === 0) throw new UnprocessableError('FALAJ_ENTITY_ROWS_INVALID', 'give at least one entity row');
  if (rows > MAX_ENTITY_ROWS) throw new UnprocessableError('FALAJ_ENTITY_ROWS_INVALID', `at most ${MAX_ENTITY_ROWS} entity rows per request`);
  for (const k of joinKeys) {
    for (const v of entities[k]!) {
      if (v === null || (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')) {
        throw new UnprocessableError('FALAJ_ENTITY_ROWS_INVALID', `join key ${k} values must be strings, numbers or booleans`);
      }
    }
  }
  return rows;
}
