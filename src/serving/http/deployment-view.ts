import type { CanaryAnalysis } from '../deployments/canary-analysis.js';
import type { Deployment } from '../deployments/deployment-types.js';
import { trafficSplit } from '../deployments/traffic.js';
import type { LiveDeployment } from '../live/live-deployments.js';
import type { ServedModel } from '../live/served-models.js';

/** A deployment as the API shows it: spec, status, the traffic split in force, and this replica's view. */
export interface DeploymentView extends Deployment {
  traffic: { variant: string; model: string; version: number | null; alias: string | null; weight: number; mirror: boolean }[];
  /** the canary against stable since the current step began (progressing rollouts) */
  analysis: CanaryAnalysis | null;
  /** on this replica: whether every route's model is loaded, and each loaded version's memory */
  replica: { ready: boolean; error: string | null; models: { model: string; version: number; bytes: number; memoryBytes: number; batching: unknown }[] } | null;
}

export function deploymentView(d: Deployment, analysis: CanaryAnalysis | null, live: LiveDeployment | undefined, served: (model: string, version: number) => ServedModel | undefined): DeploymentView {
  const split = trafficSplit(d.spec, d.status);
  const traffic = [
    ...split.map(({ route, weight }) => ({ route, weight, mirror: false })),
    ...d.spec.routes.filter((r) => r.mirror).map((route) => ({ route, weight: 100, mirror: true })),
  ].map(({ route, weight, mirror }) => {
    const resolved = live?.routes.get(route.name);
    return { variant: route.name, model: route.model ?? d.spec.model, version: resolved?.version ?? route.version ?? null, alias: route.alias ?? null, weight: Math.round(weight * 1000) / 1000, mirror };
  });
  const models = live
    ? [...live.routes.values()].flatMap((r) => {
        const m = served(r.model, r.version);
        return m ? [{ model: m.model, version: m.version, bytes: m.bytes, memoryBytes: m.memoryBytes, batching: live.batching }] : [];
      })
    : [];
  return { ...d, traffic, analysis, replica: live ? { ready: live.ready, error: live.error, models } : null };
}
