import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTestApp, type MetadataEngine, type TestApp } from '../helpers/app.js';
import { engineUrl } from '../helpers/engines.js';
import { expectAnswer, loadFixture, send, type Vars } from './fixture-replay.js';

/**
 * Replays the request/response pairs of test/mlflow/fixtures/ (each names the MLflow
 * documentation it follows) against a real app, in order, and checks each answer's status,
 * shape and documented fields; on SQLite, and on PostgreSQL when FALAJ_TEST_POSTGRES_URL is set.
 */
const pgUrl = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pgUrl ? [{ name: 'postgres' as const, url: pgUrl }] : [])];
const FILES = ['experiments.json', 'runs.json', 'artifacts.json', 'registry.json'];

describe.each(ENGINES.flatMap((engine) => FILES.map((file) => ({ engine, file }))))('MLflow docs fixtures: $file on $engine.name', ({ engine, file }) => {
  const fixture = loadFixture(file);
  let t: TestApp;
  const vars: Vars = {};
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => {
    await t.dispose();
  });

  // one exchange after another: later ones use ids captured from earlier answers
  for (const exchange of fixture.exchanges) {
    it(`${exchange.request.method} ${exchange.request.path.replace(/\{\{\w+\}\}/g, ':id')}: ${exchange.title}`, async () => {
      expectAnswer(await send(t, exchange, vars), exchange, vars);
    });
  }
});
