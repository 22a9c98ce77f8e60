import { InputError } from './errors/index.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Parses a duration such as `90s`, `15m`, `1h`, `30d`, `2w` (or `0`) into milliseconds.
 *
 * @example parseDuration('30d') // 2_592_000_000
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!match || (match[2] === undefined && match[1] !== '0')) {
    throw new InputError('FALAJ_INVALID_DURATION', `"${text}" is not a duration: use a number and a unit, e.g. 90s, 15m, 1h, 30d, 2w`);
  }
  return Number(match[1]) * UNIT_MS[(match[2] ?? 'ms') as keyof typeof UNIT_MS];
}

/** Formats milliseconds with the largest unit that divides them exactly: `86400000` → `1d`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
}
