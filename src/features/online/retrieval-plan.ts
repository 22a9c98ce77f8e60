import { UnprocessableError } from '../../core/errors/index.js';
import type { ResolvedFeature, ResolvedFeatureService, ResolvedFeatureView } from '../definitions/resolved.js';

/** A prepared lookup: which views to read, which features to pick, under which names. */
export interface RetrievalPlan {
  views: { view: ResolvedFeatureView; features: ResolvedFeature[]; outputNames: string[] }[];
  viewNames: string[];
  /** request columns every entity row must carry (all views' join keys) */
  joinKeys: string[];
  /** output feature columns, in order (join keys not included) */
  featureNames: string[];
}

/**
 * Builds the plan once per (service version | feature list, naming) and caches it, so a
 * request does no resolution work. Feature names are prefixed `view__feature` when asked,
 * or when two views would otherwise give the same name.
 */
export function buildRetrievalPlan(groups: ResolvedFeatureService['views'], fullFeatureNames: boolean): RetrievalPlan {
  const counts = new Map<string, number>();
  for (const g of groups) for (const f of g.features) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
  const views = groups.map((g) => ({
    view: g.view,
    features: g.features,
    outputNames: g.features.map((f) => (fullFeatureNames || counts.get(f.name)! > 1 ? `${g.view.name}__${f.name}` : f.name)),
  }));
  const joinKeys = [...new Set(groups.flatMap((g) => g.view.joinKeys))];
  return { views, viewNames: views.map((v) => v.view.name), joinKeys, featureNames: views.flatMap((v) => v.outputNames) };
}

/** Groups `view:feature` references (as in a request's `features` list) by view. */
export function groupFeatureRefs(refs: readonly string[], views: ReadonlyMap<string, ResolvedFeatureView>): ResolvedFeatureService['views'] {
  const grouped = new Map<string, { view: ResolvedFeatureView; features: ResolvedFeature[] }>();
  const problems: string[] = [];
  for (const ref of refs) {
    const [viewName, featureName] = ref.split(':');
    const view = viewName ? views.get(viewName) : undefined;
    if (!view || !featureName) {
      problems.push(`${ref}: no such feature view`);
      continue;
    }
    const picked = featureName === '*' ? view.features : view.features.filter((f) => f.name === featureName);
    if (picked.length === 0) problems.push(`${ref}: view ${viewName} has no feature ${featureName}`);
    const group = grouped.get(view.name) ?? { view, features: [] };
    for (const f of picked) if (!group.features.includes(f)) group.features.push(f);
    grouped.set(view.name, group);
  }
  if (problems.length > 0) throw new UnprocessableError('FALAJ_FEATURE_VIEW_NOT_FOUND', `unknown features: ${problems.join('; ')}`);
  return [...grouped.values()];
}
