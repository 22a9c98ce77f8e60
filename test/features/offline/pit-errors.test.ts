import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, NotFoundError, UnprocessableError } from '../../../src/core/errors/index.js';
import type { ResolvedFeatureView } from '../../../src/features/definitions/resolved.js';
import { pointInTimeJoin } from '../../../src/features/offline/index.js';
import { agg, batchSource, featureView, plain, useOfflineWorkspace, writeRows } from './offline-fixtures.js';

const ws = useOfflineWorkspace();
let source: string;
let view: ResolvedFeatureView;
beforeAll(async () => {
  source = await writeRows(ws.engine(), join(ws.dir(), 'source.parquet'), { id: 'BIGINT', ts: 'TIMESTAMP', value: 'DOUBLE' }, [[1, '2024-01-01 10:00:00', 1]]);
  view = featureView('v', batchSource(source), [plain('value')]);
});

async function spine(name: string, columns: Record<string, string>, row: unknown[]) {
  return writeRows(ws.engine(), join(ws.dir(), `${name}.parquet`), columns, [row]);
}

async function failure(spinePath: string, views = [{ view, features: view.features }], fullFeatureNames = false) {
  const outPath = join(ws.dir(), 'never', `${Math.random()}.parquet`);
  const err = await pointInTimeJoin(ws.engine(), { spinePath, views, outPath, fullFeatureNames }).catch((e: unknown) => e);
  expect(existsSync(outPath)).toBe(false);
  return err as { code: string; message: string };
}

describe('point-in-time join: refusals', () => {
  it('refuses a spine without event_timestamp, without a join key, or with a numeric time', async () => {
    const noTs = await failure(await spine('no-ts', { id: 'BIGINT', ts: 'TIMESTAMP' }, [1, '2024-01-01']));
    expect(noTs).toBeInstanceOf(InputError);
    expect(noTs).toMatchObject({ code: 'FALAJ_SPINE_INVALID', message: expect.stringContaining('event_timestamp') });
    const noKey = await failure(await spine('no-key', { user_id: 'BIGINT', event_timestamp: 'TIMESTAMP' }, [1, '2024-01-01']));
    expect(noKey).toMatchObject({ code: 'FALAJ_SPINE_INVALID', message: expect.stringContaining('id') });
    const numeric = await failure(await spine('numeric', { id: 'BIGINT', event_timestamp: 'BIGINT' }, [1, 1704067200000]));
    expect(numeric).toMatchObject({ code: 'FALAJ_SPINE_INVALID', message: expect.stringContaining('BIGINT') });
  });

  it('refuses spine columns a feature would shadow or that use the reserved prefix', async () => {
    const clash = await spine('clash', { id: 'BIGINT', event_timestamp: 'TIMESTAMP', Value: 'INTEGER' }, [1, '2024-01-01', 0]);
    expect(await failure(clash)).toMatchObject({ code: 'FALAJ_SPINE_INVALID', message: expect.stringContaining('Value') });
    // full names avoid the clash
    const ok = await pointInTimeJoin(ws.engine(), { spinePath: clash, views: [{ view, features: view.features }], outPath: join(ws.dir(), 'ok.parquet'), fullFeatureNames: true });
    expect(ok.columns).toEqual(['id', 'event_timestamp', 'Value', 'v__value']);
    const reserved = await spine('reserved', { id: 'BIGINT', event_timestamp: 'TIMESTAMP', __falaj_row: 'INTEGER' }, [1, '2024-01-01', 0]);
    expect(await failure(reserved)).toMatchObject({ code: 'FALAJ_SPINE_INVALID', message: expect.stringContaining('__falaj_row') });
  });

  it('refuses a feature asked twice and a window that is not positive', async () => {
    const good = await spine('good', { id: 'BIGINT', event_timestamp: 'TIMESTAMP' }, [1, '2024-01-01']);
    const twice = await failure(good, [{ view, features: view.features }, { view, features: view.features }], true);
    expect(twice).toMatchObject({ code: 'FALAJ_TRAINING_SET_INVALID' });
    const zero = featureView('z', batchSource(source), [agg('n', 'count', 'value', 0, 'int64')]);
    expect(await failure(good, [{ view: zero, features: zero.features }])).toMatchObject({ code: 'FALAJ_TRAINING_SET_INVALID' });
  });

  it('names a missing source path, and reports a source without the feature column as a query failure', async () => {
    const good = await spine('good2', { id: 'BIGINT', event_timestamp: 'TIMESTAMP' }, [1, '2024-01-01']);
    const missing = featureView('m', batchSource(join(ws.dir(), 'nope.parquet')), [plain('value')]);
    const notFound = await failure(good, [{ view: missing, features: missing.features }]);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound).toMatchObject({ code: 'FALAJ_OFFLINE_SOURCE_NOT_FOUND', message: expect.stringContaining('nope.parquet') });
    const wrongColumn = featureView('w', batchSource(source), [plain('speed')]);
    const failed = await failure(good, [{ view: wrongColumn, features: wrongColumn.features }]);
    expect(failed).toBeInstanceOf(UnprocessableError);
    expect(failed).toMatchObject({ code: 'FALAJ_OFFLINE_QUERY_FAILED', message: expect.stringContaining('speed') });
  });
});
