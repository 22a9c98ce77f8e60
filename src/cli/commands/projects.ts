import type { Command } from 'commander';
import type { Project } from '../../client/index.js';
import { withClient } from '../context.js';
import { printRecord, printRows } from '../output.js';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** `falaj projects create|list|show|update`. */
export function registerProjects(program: Command): void {
  const projects = program.command('projects').description('projects: the tenants, with their allowed regions');

  projects
    .command('create <name>')
    .description('create a project (global admins)')
    .option('--allowed-regions <regions>', 'comma-separated region labels its data may live in', list)
    .option('--description <text>', 'what the project is for')
    .action((name: string, opts: { allowedRegions?: string[]; description?: string }, command: Command) =>
      withClient(command, async ({ client, output }) => {
        const project = await client.projects.create({ name, ...opts });
        printRecord(output, summary(project), project);
      }),
    );

  projects
    .command('list')
    .description('list the projects you can see')
    .action((_opts: unknown, command: Command) =>
      withClient(command, async ({ client, output }) => {
        printRows(output, await client.projects.list(), [
          { header: 'name', value: (p) => p.name },
          { header: 'allowed regions', value: (p) => p.allowedRegions },
          { header: 'created', value: (p) => p.createdAt },
          { header: 'description', value: (p) => p.description },
        ]);
      }),
    );

  projects
    .command('show [name]')
    .description('show a project (default: the current one)')
    .action((name: string | undefined, _opts: unknown, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const found = await client.projects.get(name ?? project);
        printRecord(output, summary(found), found);
      }),
    );

  projects
    .command('update [name]')
    .description("change a project's allowed regions or description (project admins)")
    .option('--allowed-regions <regions>', 'comma-separated region labels', list)
    .option('--description <text>', 'new description')
    .action((name: string | undefined, opts: { allowedRegions?: string[]; description?: string }, command: Command) =>
      withClient(command, async ({ client, output, project }) => {
        const updated = await client.projects.update(name ?? project, opts);
        printRecord(output, summary(updated), updated);
      }),
    );
}

const summary = (p: Project) => ({ name: p.name, allowedRegions: p.allowedRegions, description: p.description, createdAt: p.createdAt, createdBy: p.createdBy });
