import type { Command } from 'commander';
import { FalajError } from '../../core/errors/index.js';
import { lineageClient, type LineageDirection, type LineageGraph } from '../../data/sdk/lineage-client.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';

/** `falaj lineage NODE [--up|--down] [--depth N]`: the lineage around a node, as a tree. */
export function registerLineage(program: Command): void {
  program
    .command('lineage <node>')
    .description('what feeds a node (--up) and what it feeds (--down); NODE is <kind>/<name>, e.g. view/trip_stats, model/fraud/3')
    .option('--up', 'only upstream: the sources, views and jobs that feed it')
    .option('--down', 'only downstream: the views, training sets, models and deployments it feeds')
    .option('--depth <n>', 'steps to walk (1 to 50)', (v) => Number(v), 10)
    .action((node: string, opts: { up?: boolean; down?: boolean; depth: number }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        if (!Number.isInteger(opts.depth) || opts.depth < 1 || opts.depth > 50) throw new FalajError('FALAJ_BAD_REQUEST', '--depth must be a whole number from 1 to 50');
        const direction: LineageDirection = opts.up && !opts.down ? 'up' : opts.down && !opts.up ? 'down' : 'both';
        const graph = await lineageClient(client.transport).graph(project, node, { direction, depth: opts.depth });
        if (output === 'json') return printJson(graph);
        process.stdout.write(renderLineageTree(graph));
      }),
    );
}

/**
 * The graph as indented trees from its start node: upstream (what feeds it) and/or
 * downstream (what it feeds), each link labelled with the job that made it. A node met
 * again is printed once more, marked, but not expanded twice.
 *
 * @example
 * model/fraud/3
 * upstream
 * └─ dataset/ds_01  [train/fraud-nightly]
 *    └─ service/fraud  [training-set/fraud]
 */
export function renderLineageTree(graph: LineageGraph): string {
  const lines = [graph.node];
  const sections: ('up' | 'down')[] = graph.direction === 'both' ? ['up', 'down'] : [graph.direction];
  for (const direction of sections) {
    const next = neighbours(graph, direction);
    if (graph.direction === 'both') lines.push(direction === 'up' ? 'upstream' : 'downstream');
    if (!next.get(graph.node)?.length) {
      lines.push(`  (nothing ${direction === 'up' ? 'upstream' : 'downstream'} within ${graph.depth} steps)`);
      continue;
    }
    const expanded = new Set<string>([graph.node]);
    const walk = (node: string, prefix: string) => {
      const children = next.get(node) ?? [];
      children.forEach((child, i) => {
        const last = i === children.length - 1;
        const again = expanded.has(child.node);
        lines.push(`${prefix}${last ? '└─ ' : '├─ '}${child.node}  [${child.job}]${again ? ' (see above)' : ''}`);
        if (again) return;
        expanded.add(child.node);
        walk(child.node, prefix + (last ? '   ' : '│  '));
      });
    };
    walk(graph.node, '');
  }
  if (graph.truncated) lines.push('(the graph was cut at its node limit: ask for fewer steps with --depth)');
  return lines.join('\n') + '\n';
}

function neighbours(graph: LineageGraph, direction: 'up' | 'down'): Map<string, { node: string; job: string }[]> {
  const out = new Map<string, { node: string; job: string }[]>();
  for (const e of graph.edges) {
    const [at, other] = direction === 'down' ? [e.from, e.to] : [e.to, e.from];
    const list = out.get(at) ?? [];
    list.push({ node: other, job: e.job });
    out.set(at, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.node.localeCompare(b.node) || a.job.localeCompare(b.job));
  return out;
}
