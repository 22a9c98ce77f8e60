import type { ResolvedFeature } from '../../../features/index.js';

/** One tile's partial aggregate of one column: enough to compute count, sum, mean, min, max, stddev and last. */
export interface Tile {
  tileEnd: number;
  count: number;
  sum: number;
  sumsq: number;
  min: number | null;
  max: number | null;
  lastValue: unknown;
  lastTs: number | null;
  lastId: string | null;
}

/**
 * The end of the tile holding an event time: tiles cover `(end - size, end]`, the same
 * left-open, right-closed windows as the offline store's `(t - window, t]`.
 */
export function tileEndOf(ts: number, size: number): number {
  return Math.ceil(ts / size) * size;
}

export function emptyTile(tileEnd: number): Tile {
  return { tileEnd, count: 0, sum: 0, sumsq: 0, min: null, max: null, lastValue: null, lastTs: null, lastId: null };
}

/** Adds one non-null value to a tile (`numeric` false for a value only `last` can use). */
export function addToTile(tile: Tile, value: unknown, ts: number, id: string): void {
  if (value === null || value === undefined) return;
  tile.count++;
  if (typeof value === 'number') {
    tile.sum += value;
    tile.sumsq += value * value;
    tile.min = tile.min === null ? value : Math.min(tile.min, value);
    tile.max = tile.max === null ? value : Math.max(tile.max, value);
  }
  if (tile.lastTs === null || ts > tile.lastTs || (ts === tile.lastTs && id > tile.lastId!)) {
    tile.lastValue = value;
    tile.lastTs = ts;
    tile.lastId = id;
  }
}

/**
 * A windowed feature as of `asOf`, over the tiles ending in `(asOf - window, asOf]`:
 * exactly what the offline store computes over `(asOf - window, asOf]` when `asOf` and
 * the window are multiples of the tile size. Empty windows give what DuckDB gives: count
 * 0, the others null; stddev is the sample deviation (null under two values).
 */
export function aggregateOf(feature: ResolvedFeature, tiles: readonly Tile[], asOf: number): unknown {
  const agg = feature.aggregation!;
  const inWindow = tiles.filter((t) => t.tileEnd > asOf - agg.windowMs && t.tileEnd <= asOf && t.count > 0);
  const n = inWindow.reduce((a, t) => a + t.count, 0);
  const sum = inWindow.reduce((a, t) => a + t.sum, 0);
  const cast = (v: number) => (feature.type === 'int32' || feature.type === 'int64' ? Math.round(v) : v);
  switch (agg.function) {
    case 'count':
      return n;
    case 'sum':
      return n === 0 ? null : cast(sum);
    case 'mean':
      return n === 0 ? null : cast(sum / n);
    case 'min':
      return n === 0 ? null : inWindow.reduce((a, t) => Math.min(a, t.min!), Infinity);
    case 'max':
      return n === 0 ? null : inWindow.reduce((a, t) => Math.max(a, t.max!), -Infinity);
    case 'stddev': {
      if (n < 2) return null;
      const sumsq = inWindow.reduce((a, t) => a + t.sumsq, 0);
      return Math.sqrt(Math.max(0, (sumsq - (sum * sum) / n) / (n - 1)));
    }
    case 'last': {
      const latest = inWindow.reduce<Tile | undefined>((a, t) => (!a || t.lastTs! > a.lastTs! || (t.lastTs === a.lastTs && t.lastId! > a.lastId!) ? t : a), undefined);
      return latest ? latest.lastValue : null;
    }
  }
}
