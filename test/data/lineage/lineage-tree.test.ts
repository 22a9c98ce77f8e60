import { describe, expect, it } from 'vitest';
import { renderLineageTree } from '../../../src/cli/commands/lineage.js';
import { parseNode, type LineageGraph } from '../../../src/data/lineage/index.js';

const graph = (node: string, direction: LineageGraph['direction'], edges: [string, string, string][]): LineageGraph => {
  const ids = new Set([node, ...edges.flatMap(([from, to]) => [from, to])]);
  return { node, direction, depth: 10, nodes: [...ids].map(parseNode), edges: edges.map(([from, to, job]) => ({ from, to, job })), truncated: false };
};

describe('falaj lineage tree', () => {
  it('prints what feeds a model as an indented tree, a node reached twice expanded once', () => {
    const g = graph('model/fraud/1', 'up', [
      ['dataset/ds_1', 'model/fraud/1', 'train/nightly'],
      ['view/trip_stats', 'dataset/ds_1', 'training-set/fraud'],
      ['view/driver_stats', 'dataset/ds_1', 'training-set/fraud'],
      ['source/trips', 'view/trip_stats', 'materialize/trip_stats'],
      ['source/trips', 'view/driver_stats', 'materialize/driver_stats'],
    ]);
    expect(renderLineageTree(g)).toBe(
      [
        'model/fraud/1',
        '└─ dataset/ds_1  [train/nightly]',
        '   ├─ view/driver_stats  [training-set/fraud]',
        '   │  └─ source/trips  [materialize/driver_stats]',
        '   └─ view/trip_stats  [training-set/fraud]',
        '      └─ source/trips  [materialize/trip_stats] (see above)',
        '',
      ].join('\n'),
    );
  });

  it('prints both directions under their own headings, and says when one side is empty', () => {
    const g = graph('view/v', 'both', [
      ['source/s', 'view/v', 'materialize/v'],
      ['view/v', 'dataset/d', 'training-set/x'],
    ]);
    expect(renderLineageTree(g)).toBe(['view/v', 'upstream', '└─ source/s  [materialize/v]', 'downstream', '└─ dataset/d  [training-set/x]', ''].join('\n'));
    expect(renderLineageTree(graph('source/s', 'down', []))).toBe('source/s\n  (nothing downstream within 10 steps)\n');
  });
});
