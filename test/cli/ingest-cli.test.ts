import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, expectFailure, falaj, freePort, killUps, startUp, userEnv } from './cli-harness.js';

/** `falaj ingest`, `ingestions`, `datasets show` and `lineage` as a user runs them. */
describe('the ingestion CLI', () => {
  let root: string;
  let home: string;
  let port: number;
  const run = (...args: string[]) => falaj(args, userEnv(home), root);

  beforeAll(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'falaj-ingest-cli-'));
    home = join(root, 'home');
    port = await freePort();
    await startUp(['--port', String(port), '--data-dir', join(root, 'data'), '--log-level', 'warn'], userEnv(home), root);
    await writeFile(join(root, 'defs.yaml'), [
      'kind: Entity', 'name: driver', 'joinKeys: [driver_id]', 'valueType: int64', '---',
      'kind: PushSource', 'name: trips', 'classification: public', 'timestampField: ts',
      'schema: { driver_id: int64, ts: timestamp, fare: float64, city: string }',
      'allowedValues: { city: [dubai, abu_dhabi] }',
      'expectations:', '  - { expect: between, column: fare, min: 0, max: 500 }', '  - { expect: row_count_between, min: 1, max: 5, onFailure: reject }', '---',
      'kind: FeatureView', 'name: fares', 'entities: [driver]', 'source: trips', 'ttl: 0', 'classification: public', 'features: [{ name: fare, type: float64 }]',
    ].join('\n'));
    const applied = await run('apply', '-f', 'defs.yaml');
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
  });

  afterAll(async () => {
    await killUps();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ingests a CSV, reports every rule, and shows the quarantined rows', async () => {
    await writeFile(join(root, 'trips.csv'), 'driver_id,ts,fare,city\n1,2026-01-01T10:00:00Z,20,dubai\n2,2026-01-01T11:00:00Z,-3,dubai\n3,2026-01-01T12:00:00Z,15,paris\n');
    const res = await run('ingest', 'trips', '--file', 'trips.csv');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/status:\s+partial/);
    expect(res.stdout).toContain('3 received = 1 accepted + 2 quarantined');
    expect(res.stdout).toMatch(/dataset version:\s+v1 sha256:[0-9a-f]{64}/);
    const id = /ingestion:\s+(ing_[0-9a-z]+)/.exec(res.stdout)![1]!;
    const quarantine = await run('ingestions', 'quarantine', id);
    expect(quarantine.stdout).toMatch(/between\(fare\): -3 is below 0/);
    expect(quarantine.stdout).toMatch(/allowed\(city\)/);
    const shown = await run('datasets', 'show', 'trips');
    expect(shown.stdout).toContain('data versions of source trips');
    expect(shown.stdout).toMatch(/v1\s+[0-9a-f]{64}\s+1\s+2/);
  });

  it('exits 1 on a rejected batch, which keeps every row in quarantine', async () => {
    await writeFile(join(root, 'big.csv'), ['driver_id,ts,fare,city', ...Array.from({ length: 8 }, (_, i) => `${i},2026-01-02T10:00:00Z,${i},dubai`)].join('\n'));
    const res = await run('ingest', 'trips', '--file', 'big.csv');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/status:\s+rejected: .*row_count_between/);
    expect(res.stdout).toContain('8 received = 0 accepted + 8 quarantined');
    expectFailure(await run('ingest', 'nope', '--file', 'big.csv'), 1, /FALAJ_PUSH_SOURCE_NOT_FOUND/);
  });

  it('walks the lineage the ingestion and a materialization left', async () => {
    const materialized = await run('materialize', '--start', '2025-12-01', '--end', '2026-02-01');
    expect(materialized.code, materialized.stderr).toBe(0);
    const down = await run('lineage', 'source/trips', '--down');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('view/fares');
    const json = JSON.parse((await run('lineage', 'view/fares', '--up', '-o', 'json')).stdout);
    expect(json.nodes.map((n: { id: string }) => n.id)).toContain('source/trips');
  });

  it('starts a stream-ingest replica with falaj up --role ingest', async () => {
    const other = await freePort();
    const up = await startUp(['--port', String(other), '--data-dir', join(root, 'data'), '--log-level', 'warn', '--role', 'ingest'], userEnv(home), root);
    expect(up.output()).toMatch(/role:\s+ingest \(stream consumers/);
    const streams = await fetch(`http://127.0.0.1:${other}/readyz`);
    expect(streams.status).toBe(200);
    const notHere = await fetch(`http://127.0.0.1:${other}/api/v1/projects`);
    expect(notHere.status).toBe(404);
  });
});
