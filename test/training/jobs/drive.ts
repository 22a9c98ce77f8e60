import type { TestApp } from '../../helpers/app.js';
import type { JobView } from '../../../src/training/index.js';

/** Runs scheduling passes until `done(job)` holds (or fails after `timeoutMs`). */
export async function driveUntil(app: TestApp, project: string, id: string, done: (job: JobView) => boolean, timeoutMs = 20_000): Promise<JobView> {
  const runner = app.services.training.runner!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runner.tick();
    const job = await app.services.training.service.getJob(project, id);
    if (done(job)) {
      await runner.settle();
      return app.services.training.service.getJob(project, id);
    }
    if (Date.now() > deadline) throw new Error(`job ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify({ status: job.status, attempts: job.attemptList, waiting: job.waitingReason, lastError: job.lastError })}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

export const finished = (job: JobView) => ['succeeded', 'failed', 'cancelled'].includes(job.status);
export const nodeCommand = (script: string): string[] => [process.execPath, '-e', script];
