import type { Command } from 'commander';
import { CliError, EXIT_USAGE } from '../errors';
import { Output } from '../output';
import { kitchenNameFromBranch, kitchenNameProblem } from '../../naming';

/** `kitchen name --from-branch BRANCH` / `kitchen name --check NAME`. */
export function register(program: Command): void {
  program
    .command('name')
    .description('derive a Kitchen name from a git branch, or check a name')
    .option('--from-branch <branch>', 'git branch to derive the Kitchen name from')
    .option('--check <name>', 'check that a Kitchen name is valid')
    .action((opts: { fromBranch?: string; check?: string }) => {
      const output = new Output(program.opts());
      if ((opts.fromBranch === undefined) === (opts.check === undefined)) {
        throw new CliError('kitchen name: give exactly one of --from-branch BRANCH or --check NAME', EXIT_USAGE);
      }
      if (opts.fromBranch !== undefined) {
        const name = kitchenNameFromBranch(opts.fromBranch);
        output.result({ branch: opts.fromBranch, kitchen: name }, () => name);
        return;
      }
      const problem = kitchenNameProblem(opts.check!);
      if (problem) {
        throw new CliError(problem, EXIT_USAGE);
      }
      output.result({ kitchen: opts.check, valid: true }, () => `${opts.check} is a valid Kitchen name`);
    });
}
