import { InputError } from '../../core/errors/index.js';
import type { ResolvedFeature, ResolvedFeatureView } from '../definitions/resolved.js';

/** The features asked of one view, as a feature service lists them. */
export interface ViewRequest {
  view: ResolvedFeatureView;
  features: ResolvedFeature[];
}

/** One feature column of a training set. */
export interface TrainingColumn {
  /** index into the request's `views` */
  viewIndex: number;
  feature: ResolvedFeature;
  /** the output column: `feature`, or `view__feature` */
  name: string;
}

/**
 * Names the feature columns of a training set: `feature`, or `view__feature` when
 * `fullFeatureNames` is set, and always `view__feature` for a name that two views share
 * (so no feature silently shadows another). Refuses malformed features and names that
 * still collide (DuckDB compares column names without regard to case).
 */
export function trainingColumns(views: readonly ViewRequest[], fullFeatureNames: boolean): TrainingColumn[] {
  const viewsByName = new Map<string, Set<number>>();
  views.forEach(({ view, features }, viewIndex) => {
    for (const feature of features) {
      checkFeature(view, feature);
      const seen = viewsByName.get(feature.name.toLowerCase()) ?? new Set<number>();
      seen.add(viewIndex);
      viewsByName.set(feature.name.toLowerCase(), seen);
    }
  });
  const columns: TrainingColumn[] = [];
  const taken = new Set<string>();
  views.forEach(({ view, features }, viewIndex) => {
    for (const feature of features) {
      const shared = (viewsByName.get(feature.name.toLowerCase())?.size ?? 0) > 1;
      const name = fullFeatureNames || shared ? `${view.name}__${feature.name}` : feature.name;
      if (taken.has(name.toLowerCase())) {
        throw new InputError('FALAJ_TRAINING_SET_INVALID', `feature column ${name} is requested twice: list each feature of a view once`, { details: { column: name } });
      }
      taken.add(name.toLowerCase());
      columns.push({ viewIndex, feature, name });
    }
  });
  return columns;
}

function checkFeature(view: ResolvedFeatureView, feature: ResolvedFeature): void {
  const agg = feature.aggregation;
  if (view.joinKeys.length === 0) {
    throw new InputError('FALAJ_TRAINING_SET_INVALID', `feature view ${view.name} has no join keys`, { details: { view: view.name } });
  }
  if (agg && !(Number.isInteger(agg.windowMs) && agg.windowMs > 0)) {
    throw new InputError('FALAJ_TRAINING_SET_INVALID', `feature ${view.name}:${feature.name} has window ${agg.window}: a window must be a positive whole number of milliseconds`, {
      details: { view: view.name, feature: feature.name },
    });
  }
  if (!(Number.isInteger(view.ttlMs) && view.ttlMs >= 0)) {
    throw new InputError('FALAJ_TRAINING_SET_INVALID', `feature view ${view.name} has ttl ${view.ttlMs} ms: use 0 (unbounded) or a positive duration`, { details: { view: view.name } });
  }
}
