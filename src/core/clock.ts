/** Source of the current time; tests pass a fixed or stepping clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** ISO-8601 UTC with milliseconds: the one time format stored in metadata tables. */
export const isoNow = (clock: Clock = systemClock): string => clock.now().toISOString();
