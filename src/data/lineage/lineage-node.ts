import { InputError } from '../../core/errors/index.js';
import { lineageNamespace, type LineageDataset } from './lineage-event.js';

/**
 * Nodes of the lineage graph. A node's id is `<kind>/<name>`: for datasets of the
 * project's own namespace that is the dataset name itself (`view/trip_stats`,
 * `model/fraud/3`); a dataset of another namespace (an external tool's table) is
 * `external/<namespace>/<name>`; a job appears as `job/<name>` where a run had no
 * inputs or no outputs to link.
 */
export const NODE_KINDS = ['source', 'view', 'service', 'dataset', 'model', 'predictions', 'job', 'external'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** The kinds a dataset name in a project's namespace starts with. */
const DATASET_KINDS: ReadonlySet<string> = new Set(['source', 'view', 'service', 'dataset', 'model', 'predictions']);

export interface LineageNode {
  /** `<kind>/<name>` */
  id: string;
  kind: NodeKind;
  name: string;
}

/**
 * A node id from its kind and name.
 *
 * @example
 * nodeOf('view', 'trip_stats') // 'view/trip_stats'
 * nodeOf('model', 'fraud/3')   // 'model/fraud/3'
 */
export function nodeOf(kind: NodeKind, name: string): string {
  return `${kind}/${name}`;
}

/** Splits `<kind>/<name>`; a bad id is an input error naming the kinds there are. */
export function parseNode(id: string): LineageNode {
  const slash = id.indexOf('/');
  const kind = id.slice(0, slash);
  const name = id.slice(slash + 1);
  if (slash <= 0 || !name || !(NODE_KINDS as readonly string[]).includes(kind)) {
    throw new InputError('FALAJ_BAD_REQUEST', `lineage node ${JSON.stringify(id)} is not <kind>/<name>; kinds: ${NODE_KINDS.join(', ')} (e.g. view/trip_stats, model/fraud/3)`);
  }
  return { id, kind: kind as NodeKind, name };
}

/** The node a dataset of an event is, seen from `project`. */
export function nodeOfDataset(project: string, dataset: Pick<LineageDataset, 'namespace' | 'name'>): string {
  if (dataset.namespace === lineageNamespace(project)) {
    const kind = dataset.name.slice(0, dataset.name.indexOf('/'));
    if (DATASET_KINDS.has(kind) && dataset.name.length > kind.length + 1) return dataset.name;
  }
  return nodeOf('external', `${dataset.namespace}/${dataset.name}`);
}

/** How a job is named in the graph: its name in the project's namespace, `<namespace>/<name>` elsewhere. */
export function jobKey(project: string, job: { namespace: string; name: string }): string {
  return job.namespace === lineageNamespace(project) ? job.name : `${job.namespace}/${job.name}`;
}
