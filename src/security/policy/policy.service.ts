import { PolicyViolationError } from '../../core/errors/index.js';
import type { AuditLog } from '../audit/index.js';
import type { Project, RequestContext } from '../projects/index.js';
import type { Classification } from './classification.js';
import { residencyViolation, type RegionInfo, type StoreLocation } from './residency.js';

export interface ResidencyDecision {
  allowed: boolean;
  reason?: string;
  target: StoreLocation;
  inCountry: boolean;
}

/**
 * The one place other domains ask whether data of a classification may be written to
 * a store. {@link PolicyService.enforce} audits every refusal before it throws.
 */
export class PolicyService {
  constructor(
    private readonly audit: AuditLog,
    private readonly regions: Readonly<Record<string, RegionInfo>>,
    /** the configured storage backends by name, each with its region label */
    private readonly stores: Readonly<Record<string, StoreLocation>>,
  ) {}

  /** Resolves a store name (`online`, `blob`, …) to its configured location. */
  store(name: string): StoreLocation | undefined {
    return this.stores[name];
  }

  storeNames(): string[] {
    return Object.keys(this.stores);
  }

  /** Answers without side effects: may this data go there? */
  evaluate(project: Project, classification: Classification, target: StoreLocation): ResidencyDecision {
    const reason = residencyViolation({ classification, target, allowedRegions: project.allowedRegions, regions: this.regions });
    const inCountry = this.regions[target.region]?.inCountry ?? false;
    return reason ? { allowed: false, reason, target, inCountry } : { allowed: true, target, inCountry };
  }

  /**
   * Throws {@link PolicyViolationError} (after writing a `policy.violation` audit event)
   * when the write is not allowed.
   *
   * @example
   * await policy.enforce(ctx, project, 'personal', policy.store('online')!, 'feature-view/trips');
   */
  async enforce(ctx: RequestContext, project: Project, classification: Classification, target: StoreLocation, resource: string): Promise<void> {
    const decision = this.evaluate(project, classification, target);
    if (decision.allowed) return;
    await this.audit.record({
      actor: ctx.principal.id,
      action: 'policy.violation',
      resource,
      project: project.name,
      outcome: 'denied',
      requestId: ctx.requestId,
      details: { classification, store: target.store, region: target.region, reason: decision.reason },
    });
    throw new PolicyViolationError(`residency policy: ${decision.reason}`, {
      classification,
      store: target.store,
      region: target.region,
      allowedRegions: project.allowedRegions,
    });
  }
}
