import { describe, expect, it } from 'vitest';
import type { DataProfile } from '../../../src/data/contracts.js';
import {
  dataQualityMetricsFacet,
  datasetName,
  errorMessageFacet,
  FALAJ_PRODUCER,
  jobName,
  lineageNamespace,
  parentRunFacet,
  profiledDataset,
  projectOfNamespace,
  RUN_EVENT_SCHEMA_URL,
  runEvent,
  schemaFacet,
  validateRunEvent,
} from '../../../src/data/lineage/index.js';

const profile: DataProfile = {
  rows: 1000,
  columns: [
    { column: 'fare', type: 'float64', count: 990, nulls: 10, min: 2.5, max: 310, mean: 21.4, stddev: 9.1, quantiles: { p01: 3, p50: 18, p99: 120 }, distinct: 640 },
    { column: 'city', type: 'string', count: 1000, nulls: 0, min: 'Abu Dhabi', max: 'Dubai', mean: null, stddev: null, quantiles: null, distinct: 7 },
  ],
};

describe('OpenLineage run events', () => {
  it('names jobs and datasets of a project in its falaj:// namespace', () => {
    const e = runEvent({
      eventType: 'COMPLETE',
      project: 'fraud',
      job: jobName.trainingSet('fraud'),
      runId: '3b452093-782c-4ef2-9c0c-aafe2aa6f34d',
      eventTime: new Date('2025-01-01T00:00:00Z'),
      inputs: [datasetName.view('trip_stats'), { namespace: 's3://bucket', name: 'raw/trips.parquet' }],
      outputs: [datasetName.dataset('ds_1')],
    });
    expect(e).toEqual({
      eventType: 'COMPLETE',
      eventTime: '2025-01-01T00:00:00.000Z',
      run: { runId: '3b452093-782c-4ef2-9c0c-aafe2aa6f34d' },
      job: { namespace: 'falaj://fraud', name: 'training-set/fraud' },
      inputs: [{ namespace: 'falaj://fraud', name: 'view/trip_stats' }, { namespace: 's3://bucket', name: 'raw/trips.parquet' }],
      outputs: [{ namespace: 'falaj://fraud', name: 'dataset/ds_1' }],
      producer: FALAJ_PRODUCER,
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    });
    expect(validateRunEvent(e)).toBe(e);
    expect([datasetName.source('trips'), datasetName.service('s'), datasetName.model('fraud', 3), datasetName.predictions('api')]).toEqual(['source/trips', 'service/s', 'model/fraud/3', 'predictions/api']);
    expect([jobName.ingest('trips'), jobName.materialize('v'), jobName.train('nightly'), jobName.register('fraud')]).toEqual(['ingest/trips', 'materialize/v', 'train/nightly', 'register/fraud']);
    expect(projectOfNamespace(lineageNamespace('fraud'))).toBe('fraud');
    expect(projectOfNamespace('airflow://fraud')).toBeUndefined();
    expect(RUN_EVENT_SCHEMA_URL).toContain('2-0-2');
  });

  it('gives every run a fresh UUID unless one is passed', () => {
    const a = runEvent({ eventType: 'START', project: 'p', job: 'j' });
    const b = runEvent({ eventType: 'START', project: 'p', job: 'j' });
    expect(a.run.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.run.runId).not.toBe(b.run.runId);
  });

  it('turns a data profile into the schema and dataQualityMetrics facets', () => {
    expect(schemaFacet(profile)).toEqual({
      _producer: FALAJ_PRODUCER,
      _schemaURL: 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
      fields: [{ name: 'fare', type: 'float64' }, { name: 'city', type: 'string' }],
    });
    expect(schemaFacet({ fare: 'float64' }).fields).toEqual([{ name: 'fare', type: 'float64' }]);
    const dq = dataQualityMetricsFacet(profile);
    expect(dq._schemaURL).toContain('DataQualityMetricsDatasetFacet');
    expect(dq.rowCount).toBe(1000);
    expect(dq.columnMetrics).toEqual({
      fare: { nullCount: 10, distinctCount: 640, count: 990, min: 2.5, max: 310, quantiles: { '0.01': 3, '0.5': 18, '0.99': 120 } },
      // the spec types min and max as numbers: a string column's bounds are left out
      city: { nullCount: 0, distinctCount: 7, count: 1000 },
    });
    expect(dataQualityMetricsFacet(profile, 'input')._schemaURL).toContain('DataQualityMetricsInputDatasetFacet');
  });

  it('attaches a profile where readers look: input facets on inputs, dataset and output facets on outputs', () => {
    const input = profiledDataset('source/trips', profile, 'input');
    expect(Object.keys(input.facets!)).toEqual(['schema']);
    expect(Object.keys(input.inputFacets!)).toEqual(['dataQualityMetrics']);
    const output = profiledDataset('source/trips', profile, 'output');
    expect(Object.keys(output.facets!)).toEqual(['schema', 'dataQualityMetrics']);
    expect(output.outputFacets!.outputStatistics).toMatchObject({ rowCount: 1000 });
    const e = runEvent({ eventType: 'COMPLETE', project: 'p', job: jobName.ingest('trips'), outputs: [output] });
    expect(e.outputs![0]!.namespace).toBe('falaj://p');
  });

  it('builds errorMessage and parent run facets', () => {
    const err = errorMessageFacet(new Error('table not found'));
    expect(err).toMatchObject({ message: 'table not found', programmingLanguage: 'JavaScript' });
    expect(err).not.toHaveProperty('stackTrace');
    expect(errorMessageFacet('boom', { stackTrace: true }).stackTrace).toContain('Error: boom');
    expect(parentRunFacet({ runId: 'r', namespace: 'falaj://p', name: 'pipeline/nightly' })).toMatchObject({ run: { runId: 'r' }, job: { namespace: 'falaj://p', name: 'pipeline/nightly' } });
  });

  it('accepts events of older specs without schemaURL, and refuses too many links', () => {
    const e = runEvent({ eventType: 'OTHER', project: 'p', job: 'j' }) as Partial<ReturnType<typeof runEvent>>;
    delete e.schemaURL;
    delete e.eventType;
    expect(() => validateRunEvent(e)).not.toThrow();
    const many = Array.from({ length: 101 }, (_, i) => `source/s${i}`);
    const wide = runEvent({ eventType: 'COMPLETE', project: 'p', job: 'j', inputs: many, outputs: many });
    expect(() => validateRunEvent(wide)).toThrow(/more than 10000 links/);
    expect(() => validateRunEvent('nope')).toThrow(/must be a JSON object/);
  });
});
