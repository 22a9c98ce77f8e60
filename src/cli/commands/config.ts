import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, redactConfig } from '../../core/config/index.js';
import { globalOptions } from '../context.js';
import { printJson } from '../output.js';

/** `falaj config show`: the effective configuration on this machine, secrets redacted. */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('configuration')
    .command('show')
    .description('print the effective config (file, FALAJ_* environment, defaults), secrets redacted')
    .option('--config <file>', 'YAML or JSON config file')
    .action((opts: { config?: string }, command: Command) => {
      const { output } = globalOptions(command);
      const { config, sources, file } = loadConfig({ file: opts.config });
      const redacted = redactConfig(config);
      if (output === 'json') return printJson({ config: redacted, sources, file: file ?? null });
      process.stdout.write(`# effective config${file ? ` (file ${file})` : ''}; secrets redacted\n`);
      for (const [key, source] of Object.entries(sources)) process.stdout.write(`# ${key} from ${source}\n`);
      process.stdout.write(stringify(redacted));
    });
}
