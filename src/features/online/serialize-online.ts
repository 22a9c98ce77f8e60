import type { OnlineFeaturesResponse } from './online-features.service.js';

/**
 * The online answer as JSON text, written by hand because it is the hot path: values go
 * through the native `JSON.stringify`, and a status or timestamp array shared by several
 * columns (all features of one view, usually) is serialised once. `feast` gives Feast's
 * field names (`metadata.feature_names`, `event_timestamps`).
 */
export function serializeOnlineFeatures(response: OnlineFeaturesResponse, feast: boolean): string {
  const cache = new Map<unknown[], string>();
  const shared = (array: unknown[]) => {
    let text = cache.get(array);
    if (text === undefined) cache.set(array, (text = JSON.stringify(array)));
    return text;
  };
  const tsField = feast ? '"event_timestamps":' : '"eventTimestamps":';
  const names = JSON.stringify(response.featureNames);
  let out = feast ? `{"metadata":{"feature_names":${names}},"results":[` : `{"featureNames":${names},"results":[`;
  response.results.forEach((column, i) => {
    if (i > 0) out += ',';
    out += `{"values":${JSON.stringify(column.values)},"statuses":${shared(column.statuses)},${tsField}${shared(column.eventTimestamps)}}`;
  });
  return out + ']}';
}
