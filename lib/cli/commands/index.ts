/**
 * Every command of the CLI, in help order: its name, the line `kitchen --help` shows, and its module, loaded only
 * when the command runs (lib/cli/program.ts). A new command is one line here and a module exporting `register`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- each module is required only when its command runs */
import type { LazyCommand, Register } from '../program';

function command(name: string, summary: string, load: () => { register: Register }): LazyCommand {
  return { name, summary, load: () => load().register };
}

export const COMMANDS: readonly LazyCommand[] = [
  command('name', 'derive a Kitchen name from a git branch, or check a name', () => require('./name')),
  command('create', 'create a Kitchen (or update an existing one)', () => require('./create')),
  command('list', 'list the Kitchens of an environment', () => require('./list')),
  command('status', "show a Kitchen's stack status, owner, parent, expiry and outputs", () => require('./status')),
  command('delete', 'delete a Kitchen and everything it created, data included', () => require('./delete')),
  command('clone', 'seed a Kitchen with sampled, masked data from its parent', () => require('./clone')),
  command('refresh', "re-seed a child Kitchen from its parent Kitchen's current data", () => require('./refresh')),
  command('run', 'run a pipeline locally or in a Kitchen on AWS', () => require('./run')),
  command('history', "show a pipeline's last runs and chart a test against its band", () => require('./history')),
  command(
    'metrics',
    'DataOps delivery metrics: deploy frequency, lead time, change failure rate, time to restore',
    () => require('./metrics'),
  ),
  command('align', 'check that development and production differ only as declared', () => require('./align')),
  command('promote-report', 'write a Markdown report of what a promotion would change', () =>
    require('./promote-report'),
  ),
];
