import { NotFoundError } from '../../core/errors/index.js';
import { type Classification, isClassification } from '../../security/index.js';
import { type ClassificationOf, mostRestrictive } from './lineage.js';

/** What this needs of the feature store's datasets (a `DatasetService` fits). */
export interface DatasetLookup {
  get(project: string, id: string): Promise<{ viewVersions: Record<string, number> }>;
}

/** What this needs of the feature registry (a `FeatureRegistry` fits). */
export interface FeatureDefinitionLookup {
  describe(project: string, kind: string, name: string): Promise<{ versions: { version: number; spec: object }[] }>;
}

/**
 * {@link ClassificationOf} from the feature store: each dataset's classification is the
 * most protected of the feature view versions it was built from (as recorded in the
 * dataset). A view version that can no longer be found (the view was pruned) counts as
 * `sensitive-personal`: when the registry cannot prove the data was less sensitive, it
 * assumes the worst. An unknown dataset id is an error (`FALAJ_DATASET_NOT_FOUND`).
 */
export function classificationFromDatasets(datasets: DatasetLookup, features: FeatureDefinitionLookup): ClassificationOf {
  return async (project, datasetIds) => {
    const levels: Classification[] = [];
    for (const id of new Set(datasetIds)) {
      const dataset = await datasets.get(project, id);
      for (const [view, version] of Object.entries(dataset.viewVersions)) levels.push(await viewClassification(features, project, view, version));
    }
    return mostRestrictive(...levels);
  };
}

async function viewClassification(features: FeatureDefinitionLookup, project: string, view: string, version: number): Promise<Classification> {
  try {
    const { versions } = await features.describe(project, 'FeatureView', view);
    const spec = versions.find((v) => v.version === version)?.spec as { classification?: string } | undefined;
    if (spec?.classification && isClassification(spec.classification)) return spec.classification;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  return 'sensitive-personal';
}
