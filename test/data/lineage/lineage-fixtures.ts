import { SYSTEM_PRINCIPAL } from '../../../src/security/index.js';
import { datasetName, jobName, newRunId, runEvent, type RunEvent, type RunEventInput } from '../../../src/data/lineage/index.js';
import type { LineageService } from '../../../src/data/lineage/index.js';
import type { TestApp } from '../../helpers/app.js';

let counter = 0;

/** A new project per test, so tests sharing one database never see each other's lineage. */
export async function freshProject(t: TestApp): Promise<string> {
  const name = `lin-${process.pid}-${++counter}`;
  await t.services.projects.create({ principal: SYSTEM_PRINCIPAL }, { name });
  return name;
}

/** START then COMPLETE of one run, as a Falaj job reports it. */
export async function completedRun(lineage: LineageService, input: Omit<RunEventInput, 'eventType' | 'runId'>, at = '2025-01-01T00:00:00.000Z'): Promise<RunEvent> {
  const runId = newRunId();
  await lineage.emit(runEvent({ ...input, eventType: 'START', runId, eventTime: at }));
  const complete = runEvent({ ...input, eventType: 'COMPLETE', runId, eventTime: new Date(Date.parse(at) + 60_000) });
  await lineage.emit(complete);
  return complete;
}

/**
 * The flights-style chain every graph test walks:
 *
 *   ingest/trips ─▶ source/trips ─▶ view/trip_stats ─┐
 *                   source/drivers ─▶ view/driver_stats ─┼─▶ dataset/ds_1 ─▶ model/fraud/1 ─▶ predictions/fraud-api
 *                                   service/fraud ──────┘
 */
export async function flightsChain(lineage: LineageService, project: string): Promise<void> {
  await completedRun(lineage, { project, job: jobName.ingest('trips'), outputs: [datasetName.source('trips')] });
  await completedRun(lineage, { project, job: jobName.materialize('trip_stats'), inputs: [datasetName.source('trips')], outputs: [datasetName.view('trip_stats')] });
  await completedRun(lineage, { project, job: jobName.materialize('driver_stats'), inputs: [datasetName.source('drivers')], outputs: [datasetName.view('driver_stats')] });
  await completedRun(lineage, {
    project,
    job: jobName.trainingSet('fraud'),
    inputs: [datasetName.service('fraud'), datasetName.view('trip_stats'), datasetName.view('driver_stats')],
    outputs: [datasetName.dataset('ds_1')],
  });
  await completedRun(lineage, { project, job: jobName.train('fraud-nightly'), inputs: [datasetName.dataset('ds_1')], outputs: [datasetName.model('fraud', 1)] });
  await completedRun(lineage, { project, job: 'serve/fraud-api', inputs: [datasetName.model('fraud', 1)], outputs: [datasetName.predictions('fraud-api')] });
}
