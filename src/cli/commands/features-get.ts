import type { Command } from 'commander';
import { FalajError } from '../../core/errors/index.js';
import { withClient } from '../context.js';
import { printJson, printRows } from '../output.js';

/** `falaj features get --service S --entity origin=LAX --entity origin=JFK`: online values, one row per entity. */
export function registerFeaturesGet(features: Command): void {
  features
    .command('get')
    .description('online feature values for entity rows')
    .option('--service <name>', 'a feature service')
    .option('--features <refs>', 'comma-separated view:feature references')
    .option('--entity <k=v[,k=v]>', 'one entity row (repeat for more), e.g. origin=LAX,destination=JFK', (v: string, all: string[] = []) => [...all, v])
    .option('--full-feature-names', 'name columns view__feature')
    .action((opts: { service?: string; features?: string; entity?: string[]; fullFeatureNames?: boolean }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const rows = (opts.entity ?? []).map(parseEntity);
        if (rows.length === 0) throw new FalajError('FALAJ_ENTITY_ROWS_INVALID', 'give at least one --entity key=value');
        const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
        const entities = Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c] ?? '')]));
        const answer = await client.features.online(project, {
          ...(opts.service ? { featureService: opts.service } : {}),
          ...(opts.features ? { features: opts.features.split(',').map((s) => s.trim()) } : {}),
          entities,
          fullFeatureNames: opts.fullFeatureNames ?? false,
        });
        if (output === 'json') return printJson(answer);
        // transpose the column-major answer: one printed row per (entity row, feature)
        const lines = rows.flatMap((_, r) =>
          answer.featureNames.map((name, i) => ({ row: r + 1, feature: name, value: answer.results[i]!.values[r], status: answer.results[i]!.statuses[r], eventTimestamp: answer.results[i]!.eventTimestamps[r] })),
        );
        printRows(output, lines, [
          { header: 'row', value: (l) => l.row },
          { header: 'feature', value: (l) => l.feature },
          { header: 'value', value: (l) => (typeof l.value === 'number' && !Number.isInteger(l.value) ? l.value.toFixed(4) : l.value) },
          { header: 'status', value: (l) => l.status },
          { header: 'event time', value: (l) => l.eventTimestamp },
        ]);
      }),
    );
}

function parseEntity(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new FalajError('FALAJ_ENTITY_ROWS_INVALID', `--entity ${text}: use key=value[,key=value]`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}
