import type { ResolvedFeatureView } from '../../../features/index.js';

const CANDIDATES = [3_600_000, 1_800_000, 900_000, 300_000, 60_000, 30_000, 10_000, 1000];

/**
 * The default tile for a stream source's windowed views: the largest of 1 h, 30 min,
 * 15 min, 5 min, 1 min, 30 s, 10 s, 1 s that divides every window (so windows are whole
 * tiles and streaming equals the offline computation), else 1 ms.
 */
export function defaultTileMs(views: readonly ResolvedFeatureView[]): number {
  const windows = views.flatMap((v) => v.features.flatMap((f) => (f.aggregation ? [f.aggregation.windowMs] : [])));
  if (windows.length === 0) return 60_000;
  return CANDIDATES.find((c) => windows.every((w) => w % c === 0)) ?? 1;
}

/** Windows a tile size does not divide (a definition problem: the streamed value would differ from the offline one). */
export function windowsNotDividedBy(tileMs: number, views: readonly ResolvedFeatureView[]): string[] {
  return views.flatMap((v) => v.features.flatMap((f) => (f.aggregation && f.aggregation.windowMs % tileMs !== 0 ? [`${v.name}:${f.name} (${f.aggregation.window})`] : [])));
}
