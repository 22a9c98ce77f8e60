/**
 * Real engines for storage tests come from environment URLs. On a laptop without them the
 * suites are skipped with a message naming the variable; in CI (CI=true) they are required.
 */
export type Engine = 'postgres' | 'redis' | 'nats';

const VARIABLES: Record<Engine, string> = {
  postgres: 'FALAJ_TEST_POSTGRES_URL',
  redis: 'FALAJ_TEST_REDIS_URL',
  nats: 'FALAJ_TEST_NATS_URL',
};

export function engineUrl(engine: Engine): string | undefined {
  const variable = VARIABLES[engine];
  const url = process.env[variable];
  if (url) return url;
  if (process.env.CI) throw new Error(`${variable} must be set in CI: the ${engine} suites are required there`);
  console.warn(`skipping ${engine} suites: set ${variable} to run them`);
  return undefined;
}
