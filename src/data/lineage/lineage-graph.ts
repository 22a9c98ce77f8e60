import type { DbOrTx } from '../../storage/metadata/index.js';
import type { RunEvent } from './lineage-event.js';
import { jobKey, nodeOf, nodeOfDataset, parseNode, type LineageNode } from './lineage-node.js';
import * as repo from './lineage.repository.js';

export type LineageDirection = 'up' | 'down' | 'both';

/** One link: `from` fed `to` when `job` ran. */
export interface LineageEdge {
  from: string;
  to: string;
  job: string;
}

/** What a walk found: the start node, every node reached and the links between them. */
export interface LineageGraph {
  node: string;
  direction: LineageDirection;
  depth: number;
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** true when the walk stopped at the node limit before reaching `depth` */
  truncated: boolean;
}

/**
 * The links a COMPLETE event adds: every input to every output. A run with outputs but no
 * inputs (an ingestion from outside) links its job node to the outputs; one with inputs
 * only links them to its job node, so neither disappears from the graph. A dataset that
 * is both input and output (an incremental update) adds no link to itself.
 */
export function edgesOfEvent(project: string, event: RunEvent): LineageEdge[] {
  const job = jobKey(project, event.job);
  const inputs = unique((event.inputs ?? []).map((d) => nodeOfDataset(project, d)));
  const outputs = unique((event.outputs ?? []).map((d) => nodeOfDataset(project, d)));
  const jobNode = nodeOf('job', job);
  const froms = inputs.length ? inputs : outputs.length ? [jobNode] : [];
  const tos = outputs.length ? outputs : inputs.length ? [jobNode] : [];
  const edges: LineageEdge[] = [];
  for (const from of froms) for (const to of tos) if (from !== to) edges.push({ from, to, job });
  return edges;
}

/**
 * Walks the links breadth-first from `start`, at most `depth` steps: `up` follows links
 * backwards (what fed it), `down` forwards (what it fed), `both` does each in turn
 * (ancestors and descendants, not the siblings a walk over both directions at every
 * step would also reach). Stops adding nodes past `maxNodes`.
 */
export async function walkLineage(db: DbOrTx, project: string, start: string, options: { direction: LineageDirection; depth: number; maxNodes: number }): Promise<LineageGraph> {
  const seen = new Set<string>([start]);
  const edges = new Map<string, LineageEdge>();
  let truncated = false;
  const directions: ('up' | 'down')[] = options.direction === 'both' ? ['up', 'down'] : [options.direction];
  for (const direction of directions) {
    let frontier = [start];
    const visited = new Set<string>([start]);
    for (let step = 0; step < options.depth && frontier.length && !truncated; step++) {
      const next: string[] = [];
      for (const row of await repo.edgesAt(db, project, frontier, direction)) {
        edges.set(`${row.from_node}\u0000${row.to_node}\u0000${row.job_name}`, { from: row.from_node, to: row.to_node, job: row.job_name });
        const neighbour = direction === 'down' ? row.to_node : row.from_node;
        if (visited.has(neighbour)) continue;
        visited.add(neighbour);
        next.push(neighbour);
        seen.add(neighbour);
        if (seen.size >= options.maxNodes) {
          truncated = true;
          break;
        }
      }
      frontier = next;
    }
  }
  // links to nodes cut off by the limit would dangle: keep only those between kept nodes
  const kept = [...edges.values()].filter((e) => seen.has(e.from) && seen.has(e.to));
  return {
    node: start,
    direction: options.direction,
    depth: options.depth,
    nodes: [...seen].map(parseNode),
    edges: kept.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.job.localeCompare(b.job)),
    truncated,
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
