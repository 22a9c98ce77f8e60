import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { parseDuration } from '../../core/duration.js';
import { SYSTEM_PRINCIPAL } from '../../security/index.js';
import { acquireLease, releaseLease, type Db } from '../../storage/metadata/index.js';
import { analyseCanary, type CanaryAnalysis, type CanaryThresholds } from './canary-analysis.js';
import { CANARY_DEFAULTS } from './deployment.schema.js';
import type { DeploymentService } from './deployment.service.js';
import { variantWindows } from './deployment.repository.js';
import { withHistory, type Deployment } from './deployment-types.js';
import { emptyHistogram } from './latency-histogram.js';

const LEASE = 'serving-rollouts';

export interface RolloutControllerOptions {
  intervalMs: number;
  clock?: Clock;
  /** counts of this replica not yet written (flushed before each pass) */
  flushStats?: () => Promise<void>;
  onError?: (err: unknown) => void;
}

/**
 * Moves canaries through their steps. One replica at a time (a lease in the metadata
 * database) looks at every progressing deployment: it compares the canary with the stable
 * version over the current step, rolls back as soon as the canary is unhealthy, moves to
 * the next step once a healthy step has run its interval, and promotes after the last.
 * Every transition is written to the deployment's history and to the audit log.
 */
export class RolloutController {
  private readonly clock: Clock;
  private readonly holder = `rollouts-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly service: DeploymentService,
    private readonly options: RolloutControllerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().then(() => undefined, (err) => this.options.onError?.(err)).finally(() => (this.running = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await releaseLease(this.db, LEASE, this.holder).catch(() => undefined);
  }

  /** One pass over every progressing canary; returns what each one did. */
  async tick(): Promise<{ deployment: string; action: 'wait' | 'step' | 'promote' | 'rollback'; analysis: CanaryAnalysis }[]> {
    const now = this.clock.now();
    if (!(await acquireLease(this.db, LEASE, this.holder, Math.max(3 * this.options.intervalMs, 10_000), now))) return [];
    await this.options.flushStats?.();
    const out: { deployment: string; action: 'wait' | 'step' | 'promote' | 'rollback'; analysis: CanaryAnalysis }[] = [];
    for (const d of await this.service.list()) {
      if (d.status.phase !== 'progressing' || !d.status.rollout) continue;
      const analysis = await this.analyse(d, now);
      const action = await this.decide(d, analysis, now);
      out.push({ deployment: `${d.project}/${d.name}`, action, analysis });
    }
    return out;
  }

  /** The canary against the stable version since the current step began (also for `deployments show`). */
  async analyse(d: Deployment, now: Date): Promise<CanaryAnalysis> {
    const windows = await variantWindows(this.db, d.project, d.name, d.status.rollout!.stepStartedAt);
    const none = { requests: 0, errors: 0, latency: emptyHistogram() };
    return analyseCanary(windows.get('canary') ?? none, windows.get('stable') ?? none, thresholds(d), now);
  }

  private async decide(d: Deployment, analysis: CanaryAnalysis, now: Date): Promise<'wait' | 'step' | 'promote' | 'rollback'> {
    const ctx = { principal: SYSTEM_PRINCIPAL, requestId: `rollout-${now.getTime()}` };
    const rollout = d.status.rollout!;
    if (analysis.verdict === 'unhealthy') {
      await this.service.rollback(ctx, d.project, d.name, `canary unhealthy at ${rollout.weight} %: ${analysis.reasons.join('; ')}`);
      return 'rollback';
    }
    const steps = d.spec.canary?.steps ?? CANARY_DEFAULTS.steps;
    const interval = parseDuration(d.spec.canary?.interval ?? CANARY_DEFAULTS.interval);
    if (analysis.verdict !== 'healthy' || now.getTime() - Date.parse(rollout.stepStartedAt) < interval) return 'wait';
    if (rollout.step >= steps.length - 1) {
      await this.service.promote(ctx, d.project, d.name, 'canary', `healthy at every step (${steps.join(' → ')} %); last: ${summary(analysis)}`);
      return 'promote';
    }
    const next = rollout.step + 1;
    const status = withHistory(
      { ...d.status, rollout: { step: next, weight: steps[next]!, stepStartedAt: now.toISOString(), lastAnalysis: analysis } },
      { at: now.toISOString(), event: 'step', detail: `canary ${rollout.weight} % → ${steps[next]} % (${summary(analysis)})`, actor: SYSTEM_PRINCIPAL.id },
    );
    const moved = await this.service.advance(ctx, d, status, 'deployment.canary.step', { from: rollout.weight, to: steps[next], analysis });
    return moved ? 'step' : 'wait';
  }
}

function thresholds(d: Deployment): CanaryThresholds {
  const c = d.spec.canary ?? {};
  return {
    minRequests: c.minRequests ?? CANARY_DEFAULTS.minRequests,
    maxErrorRateIncrease: c.maxErrorRateIncrease ?? CANARY_DEFAULTS.maxErrorRateIncrease,
    maxLatencyRatio: c.maxLatencyRatio ?? CANARY_DEFAULTS.maxLatencyRatio,
    latencyFloorMs: c.latencyFloorMs ?? CANARY_DEFAULTS.latencyFloorMs,
  };
}

function summary(a: CanaryAnalysis): string {
  const fmt = (v: { requests: number; errorRate: number | null; p99Ms: number | null }) =>
    `${v.requests} req, ${v.errorRate === null ? '-' : (v.errorRate * 100).toFixed(2) + ' %'} errors, p99 ${v.p99Ms === null ? '-' : v.p99Ms.toFixed(2) + ' ms'}`;
  return `canary ${fmt(a.canary)}; stable ${fmt(a.stable)}`;
}
