import { InputError } from '../../core/errors/index.js';
import type { DeploymentSpec } from './deployment.schema.js';

/**
 * The rules a schema cannot say: each route names exactly one of `version` and `alias`,
 * route names are unique, and each mode has the routes it needs. Messages name the route.
 *
 * @throws InputError `FALAJ_DEPLOYMENT_INVALID`
 */
export function checkDeploymentSpec(spec: DeploymentSpec): void {
  const names = new Set<string>();
  for (const route of spec.routes) {
    if (names.has(route.name)) fail(`route "${route.name}" is named twice`);
    names.add(route.name);
    if ((route.version === undefined) === (route.alias === undefined)) fail(`route "${route.name}" must name exactly one of version and alias`);
  }
  const primary = spec.routes.filter((r) => !r.mirror);
  const mirrors = spec.routes.filter((r) => r.mirror);
  const mode = spec.mode ?? 'single';
  if (primary.length === 0) fail('every route is a mirror: one route must answer');
  if (mode !== 'ab' && primary.some((r) => r.weight !== undefined) && mode !== 'single') fail(`weights are set by the rollout in ${mode} mode: remove them`);
  if (mirrors.some((r) => r.weight !== undefined)) fail('a mirror gets a copy of all traffic: it takes no weight');
  switch (mode) {
    case 'single':
      if (primary.length !== 1) fail(`mode single takes one answering route, not ${primary.length}: use mode ab or canary for more`);
      break;
    case 'shadow':
      if (primary.length !== 1) fail(`mode shadow takes one answering route and mirrors, not ${primary.length} answering routes`);
      if (mirrors.length === 0) fail('mode shadow needs a route with mirror: true');
      break;
    case 'ab': {
      if (primary.length < 2) fail('mode ab needs at least two answering routes');
      const missing = primary.filter((r) => r.weight === undefined).map((r) => r.name);
      if (missing.length) fail(`mode ab needs a weight on every route (missing on ${missing.join(', ')})`);
      const total = primary.reduce((sum, r) => sum + r.weight!, 0);
      if (Math.abs(total - 100) > 1e-6) fail(`the weights of mode ab add up to ${total}, not 100`);
      break;
    }
    case 'canary': {
      const primaryNames = primary.map((r) => r.name).sort();
      if (primaryNames.join(',') !== 'canary,stable') fail(`mode canary takes two answering routes named stable and canary, not ${primaryNames.join(', ')}`);
      const steps = spec.canary?.steps;
      if (steps && steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) fail(`canary steps must increase: ${steps.join(', ')}`);
      break;
    }
  }
  if (spec.canary && mode !== 'canary') fail(`a canary section needs mode canary (the mode is ${mode})`);
  if (spec.sticky && spec.sticky.entity && spec.sticky.header) fail('sticky takes an entity key or a header, not both');
}

function fail(message: string): never {
  throw new InputError('FALAJ_DEPLOYMENT_INVALID', message);
}
