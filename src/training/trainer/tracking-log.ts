import { FalajApiError, FalajClient, RunLogger } from '../../client/index.js';
import { UnavailableError } from '../../core/errors/index.js';
import type { TrainingLog } from './training-log.js';

export interface TrackingTarget {
  /** the Falaj server, e.g. `http://127.0.0.1:8080` */
  uri: string;
  token?: string | undefined;
  project: string;
  /** the run the platform created for the job */
  runId: string;
}

/**
 * A {@link TrainingLog} that writes to an existing tracking run through the SDK's
 * `RunLogger` (batched `log-batch` calls, network failures retried). The run is checked
 * first, so a wrong address, token or run id fails the job at once with a clear message
 * rather than after the first epoch. The run is not ended here: the platform owns it.
 *
 * @throws UnavailableError `FALAJ_SERVER_UNREACHABLE` when the run cannot be read
 */
export async function trackingLog(target: TrackingTarget): Promise<{ log: TrainingLog; close: () => void }> {
  const client = new FalajClient({ baseUrl: target.uri, token: target.token });
  let run;
  try {
    run = await client.tracking.getRun(target.project, target.runId);
  } catch (err) {
    client.close();
    const reason = err instanceof FalajApiError ? `${err.message} (${err.code})` : (err as Error).message;
    throw new UnavailableError('FALAJ_SERVER_UNREACHABLE', `cannot use tracking run ${target.runId} of project ${target.project} at ${target.uri}: ${reason}`, { cause: err });
  }
  // the trainer flushes after every epoch; the logger's own timer only sends what is left over
  const logger = new RunLogger(client, target.project, run.info, { flushIntervalMs: 5_000 });
  const log: TrainingLog = {
    logParams: (params) => logger.logParams(params),
    logMetrics: (metrics, step) => logger.logMetrics(metrics, step),
    flush: async () => {
      try {
        await logger.flush();
      } catch (err) {
        const reason = err instanceof FalajApiError ? `${err.message} (${err.code})` : (err as Error).message;
        throw new UnavailableError('FALAJ_SERVER_UNREACHABLE', `tracking refused or did not answer for run ${target.runId}: ${reason}`, { cause: err });
      }
    },
  };
  return { log, close: () => client.close() };
}
