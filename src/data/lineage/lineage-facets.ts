import type { ColumnProfile, ColumnType, DataProfile } from '../contracts.js';
import { FALAJ_PRODUCER, type Facet, type Facets, type InputDataset, type OutputDataset } from './lineage-event.js';

/**
 * The standard OpenLineage facets Falaj writes. Each `_schemaURL` points at the facet's
 * own versioned schema in the spec repository (`spec/facets/*.json`).
 */
export const FACET_SCHEMA_URLS = {
  schema: 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  dataSource: 'https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet',
  dataQualityMetrics: 'https://openlineage.io/spec/facets/1-0-0/DataQualityMetricsDatasetFacet.json#/$defs/DataQualityMetricsDatasetFacet',
  inputDataQualityMetrics: 'https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet',
  outputStatistics: 'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  parent: 'https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet',
} as const;

const facet = (schemaURL: string, fields: Record<string, unknown>): Facet => ({ _producer: FALAJ_PRODUCER, _schemaURL: schemaURL, ...fields });

/** `schema` (SchemaDatasetFacet): `fields: [{ name, type }]`, from a profile or a column → type map. */
export function schemaFacet(columns: DataProfile | Record<string, ColumnType>): Facet {
  const fields = 'columns' in columns && Array.isArray(columns.columns)
    ? (columns as DataProfile).columns.map((c) => ({ name: c.column, type: c.type }))
    : Object.entries(columns as Record<string, ColumnType>).map(([name, type]) => ({ name, type }));
  return facet(FACET_SCHEMA_URLS.schema, { fields });
}

/** `dataSource` (DatasourceDatasetFacet): where the data physically lives. */
export function dataSourceFacet(name: string, uri: string): Facet {
  return facet(FACET_SCHEMA_URLS.dataSource, { name, uri });
}

/**
 * `dataQualityMetrics` from a profile: `rowCount` and per column `nullCount`,
 * `distinctCount` (approximate), `count`, `min`/`max` (numeric columns only: the spec
 * types them as numbers) and `quantiles` keyed by the quantile (`"0.5"`). As a dataset
 * facet (DataQualityMetricsDatasetFacet) by default, or as the input facet of the same
 * name (DataQualityMetricsInputDatasetFacet) that readers such as Marquez show for inputs.
 */
export function dataQualityMetricsFacet(profile: DataProfile, target: 'dataset' | 'input' = 'dataset'): Facet {
  const columnMetrics: Record<string, Record<string, unknown>> = {};
  for (const c of profile.columns) columnMetrics[c.column] = metricsOf(c);
  return facet(target === 'input' ? FACET_SCHEMA_URLS.inputDataQualityMetrics : FACET_SCHEMA_URLS.dataQualityMetrics, { rowCount: profile.rows, columnMetrics });
}

/** `outputStatistics` (OutputStatisticsOutputDatasetFacet): rows (and bytes) a run wrote. */
export function outputStatisticsFacet(rowCount: number, size?: number): Facet {
  return facet(FACET_SCHEMA_URLS.outputStatistics, { rowCount, ...(size !== undefined ? { size } : {}) });
}

/** `errorMessage` (ErrorMessageRunFacet) for a FAIL event; the stack only when asked (it may name paths). */
export function errorMessageFacet(error: unknown, options: { stackTrace?: boolean } = {}): Facet {
  const err = error instanceof Error ? error : new Error(String(error));
  return facet(FACET_SCHEMA_URLS.errorMessage, {
    message: err.message,
    programmingLanguage: 'JavaScript',
    ...(options.stackTrace && err.stack ? { stackTrace: err.stack } : {}),
  });
}

/** `parent` (ParentRunFacet): the run that started this one (a pipeline run starting its steps). */
export function parentRunFacet(parent: { runId: string; namespace: string; name: string }): Facet {
  return facet(FACET_SCHEMA_URLS.parent, { run: { runId: parent.runId }, job: { namespace: parent.namespace, name: parent.name } });
}

/**
 * A dataset with its profile attached where OpenLineage readers look for it: inputs get
 * `schema` and the input `dataQualityMetrics`; outputs get `schema`, the dataset
 * `dataQualityMetrics` and `outputStatistics`.
 *
 * @example
 * runEvent({ eventType: 'COMPLETE', project, job: jobName.ingest('trips'), runId,
 *   outputs: [profiledDataset(datasetName.source('trips'), outcome.profile, 'output')] });
 */
export function profiledDataset(name: string, profile: DataProfile, role: 'input'): Omit<InputDataset, 'namespace'>;
export function profiledDataset(name: string, profile: DataProfile, role: 'output'): Omit<OutputDataset, 'namespace'>;
export function profiledDataset(name: string, profile: DataProfile, role: 'input' | 'output'): Omit<InputDataset & OutputDataset, 'namespace'> {
  const facets: Facets = { schema: schemaFacet(profile) };
  if (role === 'input') return { name, facets, inputFacets: { dataQualityMetrics: dataQualityMetricsFacet(profile, 'input') } };
  return { name, facets: { ...facets, dataQualityMetrics: dataQualityMetricsFacet(profile) }, outputFacets: { outputStatistics: outputStatisticsFacet(profile.rows) } };
}

function metricsOf(c: ColumnProfile): Record<string, unknown> {
  const metrics: Record<string, unknown> = { nullCount: c.nulls, distinctCount: c.distinct, count: c.count };
  if (typeof c.min === 'number') metrics.min = c.min;
  if (typeof c.max === 'number') metrics.max = c.max;
  if (c.quantiles) metrics.quantiles = Object.fromEntries(Object.entries(c.quantiles).map(([k, v]) => [quantileKey(k), v]));
  return metrics;
}

/** Our profile names quantiles `p01` … `p99`; the spec keys them by the quantile itself (`0.01` … `0.99`). */
function quantileKey(key: string): string {
  const match = /^p(\d+)$/.exec(key);
  return match ? String(Number(match[1]) / 100) : key;
}
