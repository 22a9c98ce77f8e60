import type { Command } from 'commander';
import { FalajApiError } from '../../client/index.js';
import type { AliasApproval, ModelVersion } from '../../registry/model-types.js';
import { withClient } from '../context.js';
import { printJson, printRecord, printRows } from '../output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const versionNumber = (value: string) => {
  const n = Number(value.replace(/^v/i, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`"${value}" is not a version number`);
  return n;
};

/** `falaj models list|show|register|alias|approve|approvals|verify`. */
export function registerModels(program: Command): void {
  const models = program.command('models').description('the model registry: versions with lineage, signed files, aliases and approvals');

  models
    .command('list')
    .description('registered models of the project')
    .option('--name <pattern>', 'name pattern, case-insensitive; % and _ are wildcards')
    .action((opts: { name?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const page = await client.models.list(project, { ...(opts.name ? { nameLike: opts.name } : {}), maxResults: 1000 });
        printRows(output, page.models, [
          { header: 'name', value: (m) => m.name },
          { header: 'latest', value: (m) => (m.latestVersion === null ? null : `v${m.latestVersion}`) },
          { header: 'aliases', value: (m) => m.aliases.map((a) => `${a.alias}→v${a.version}`) },
          { header: 'classification', value: (m) => m.classification },
          { header: 'updated', value: (m) => m.updatedAt },
        ], page.models);
      }),
    );

  models
    .command('show <name>')
    .description('a model with its versions')
    .action((name: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const model = await client.models.get(project, name);
        const { versions } = await client.models.versions(project, name, { maxResults: 1000 });
        if (output === 'json') return printJson({ ...model, versions });
        printRecord(output, {
          name: model.name,
          description: model.description,
          classification: model.classification,
          aliases: model.aliases.map((a) => `${a.alias}→v${a.version}`),
          tags: model.tags,
          created: `${model.createdAt} by ${model.createdBy}`,
        });
        process.stdout.write('\n');
        printRows(output, versions, [
          { header: 'version', value: (v) => `v${v.version}` },
          { header: 'status', value: (v) => v.status },
          { header: 'aliases', value: (v) => v.aliases },
          { header: 'source', value: (v) => v.source },
          { header: 'files', value: (v) => v.files.length },
          { header: 'signed', value: (v) => (v.signature ? 'yes' : 'no') },
          { header: 'classification', value: (v) => v.classification },
          { header: 'created', value: (v) => v.createdAt },
        ]);
      }),
    );

  models
    .command('register <name>')
    .description("register a new version from a run's artifacts (files signed, ONNX signature read); creates the model if needed")
    .requiredOption('--run <run_id>', 'the run that logged the model')
    .requiredOption('--path <path>', "the model's directory (or file) among the run's artifacts, e.g. model")
    .option('--description <text>', 'what changed in this version')
    .option('--dataset <id>', 'a training dataset (repeatable): its digest is looked up, its classification inherited', collect)
    .option('--code-version <rev>', 'the source revision (default: the run’s git commit tag)')
    .action((name: string, opts: { run: string; path: string; description?: string; dataset?: string[]; codeVersion?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const datasets = await Promise.all((opts.dataset ?? []).map(async (id) => ({ id, sha256: (await client.datasets.get(project, id)).sha256 })));
        try {
          await client.models.get(project, name);
        } catch (err) {
          if (!(err instanceof FalajApiError && err.code === 'FALAJ_MODEL_NOT_FOUND')) throw err;
          await client.models.create(project, { name });
        }
        const version = await client.models.register(project, name, {
          source: `runs:/${opts.run}/${opts.path.replace(/^\/+|\/+$/g, '')}`,
          ...(opts.description ? { description: opts.description } : {}),
          lineage: { datasets, ...(opts.codeVersion ? { codeVersion: opts.codeVersion } : {}) },
        });
        printRecord(output, versionSummary(version), version);
      }),
    );

  models
    .command('alias <name> <alias> <version>')
    .description('point an alias at a version (protected aliases: deployers, and a second person when the project requires it)')
    .action((name: string, alias: string, version: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const change = await client.models.setAlias(project, name, alias, versionNumber(version));
        if (change.applied) printRecord(output, { alias: `${name}@${change.alias.alias}`, version: `v${change.alias.version}`, protected: change.alias.protected }, change);
        else printRecord(output, { ...approvalSummary(change.approval), next: `another deployer runs: falaj models approve ${change.approval.id}` }, change);
      }),
    );

  models
    .command('approve <approval_id>')
    .description("approve someone else's pending alias move, which applies it")
    .action((id: string, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const result = await client.models.approve(project, id);
        printRecord(output, approvalSummary(result.approval), result);
      }),
    );

  models
    .command('approvals')
    .description('alias approval requests (default: pending ones)')
    .option('--status <status>', 'pending, applied, rejected', 'pending')
    .action((opts: { status: 'pending' | 'approved' | 'applied' | 'rejected' }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        printRows(output, await client.models.approvals(project, opts.status), [
          { header: 'id', value: (a) => a.id },
          { header: 'move', value: (a) => `${a.model}@${a.alias} → v${a.version}` },
          { header: 'status', value: (a) => a.status },
          { header: 'requested by', value: (a) => a.requestedBy },
          { header: 'requested', value: (a) => a.requestedAt },
        ]);
      }),
    );

  models
    .command('verify <name> <version>')
    .description("check a version's files against its signature, re-reading every file")
    .option('--shallow', 'check the recorded digests only, without re-reading the files')
    .action((name: string, version: string, opts: { shallow?: boolean }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const result = await client.models.verify(project, name, versionNumber(version), !opts.shallow);
        printRecord(output, { verified: `${name} v${result.version}`, files: result.files, key: result.keyId, deep: result.deep }, result);
      }),
    );
}

function versionSummary(v: ModelVersion): Record<string, unknown> {
  return {
    model: v.model,
    version: `v${v.version}`,
    status: v.statusMessage ? `${v.status} (${v.statusMessage})` : v.status,
    source: v.source,
    files: v.files.map((f) => f.name),
    signed: v.signatureKeyId ? `yes (key ${v.signatureKeyId})` : 'no',
    classification: v.classification,
    inputs: v.onnxSignature?.inputs.map((i) => `${i.name}:${i.elemType}[${(i.shape ?? ['?']).map((d) => d ?? '?').join(',')}]`),
    outputs: v.onnxSignature?.outputs.map((o) => `${o.name}:${o.elemType}[${(o.shape ?? ['?']).map((d) => d ?? '?').join(',')}]`),
  };
}

function approvalSummary(a: AliasApproval): Record<string, unknown> {
  return { approval: a.id, move: `${a.model}@${a.alias} → v${a.version}`, status: a.status, requestedBy: a.requestedBy, approvedBy: a.approvedBy };
}
