import * as readline from 'readline';
import type { Command } from 'commander';
import { loadConfig } from '../../config/loader';
import { checkKitchenName, checkProfile, checkRegion, kitchenEnvironment } from '../../kitchen/args';
import { awsTarget, sdkErrorMessage } from '../../kitchen/aws';
import { appOf } from '../app';
import { CliError, EXIT_FAILED, EXIT_SERVICE, EXIT_USAGE } from '../errors';
import { Output } from '../output';
import { toolkitLog } from './kitchen-progress';

interface DeleteOptions {
  readonly env?: string;
  readonly cascade?: boolean;
  readonly yes?: boolean;
  readonly profile?: string;
  readonly region?: string;
}

/** Asks on the terminal; the answer must be the Kitchen's name. */
async function askName(name: string, stackName: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) =>
      rl.question(
        `Delete Kitchen ${name} (stack ${stackName}) and all its data? Type the Kitchen name to confirm: `,
        resolve,
      ),
    );
    return answer.trim() === name;
  } finally {
    rl.close();
  }
}

/** `kitchen delete NAME [--yes]`: destroys the Kitchen stack and its data; a missing Kitchen is not an error. */
export function register(program: Command): void {
  program
    .command('delete')
    .description('delete a Kitchen and everything it created, data included')
    .argument('<name>', 'the Kitchen')
    .option('--env <environment>', 'environment the Kitchen lives in (default: the first that allows Kitchens)')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--cascade', 'also delete its child Kitchens, children first (without it, a Kitchen with children stays)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', "AWS region; must be the environment's region")
    .action(async (name: string, opts: DeleteOptions) => {
      const output = new Output(program.opts());
      const config = loadConfig(program.opts().config as string);
      checkKitchenName(name, config);
      const environment = kitchenEnvironment(config, opts.env);
      const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
      const region = opts.region !== undefined ? checkRegion(opts.region, environment, true) : undefined;
      const interactive = process.stdin.isTTY === true;
      if (opts.yes !== true && !interactive) {
        throw new CliError(
          `kitchen delete: refusing to delete Kitchen ${name} without --yes: stdin is not a terminal, so there is nobody to confirm`,
          EXIT_USAGE,
        );
      }
      const app = appOf(program);
      const { deleteKitchen } = await import('../../kitchen/deploy');
      const { cloudFormationClient, listKitchens } = await import('../../kitchen/stacks');
      const { deleteKitchenTree, LiveChildrenError } = await import('../../kitchen/hierarchy');
      const aws = awsTarget(environment, { region, profile });
      const cloudFormation = await cloudFormationClient(aws);
      let kitchens;
      try {
        kitchens = await listKitchens({ config, environment, cloudFormation });
      } catch (e) {
        throw new CliError(
          `could not list the Kitchens of environment ${environment.name} to find children of ${name}: ${sdkErrorMessage(e)}`,
          EXIT_SERVICE,
        );
      }
      let tree;
      try {
        tree = await deleteKitchenTree({
          kitchens,
          name,
          cascade: opts.cascade === true,
          deleteOne: async (kitchen) => {
            const one = await deleteKitchen(
              {
                config,
                environment,
                name: kitchen,
                app,
                aws,
                confirm: opts.yes === true ? undefined : (stackName) => askName(kitchen, stackName),
              },
              { log: toolkitLog(output), cloudFormation },
            );
            // A declined confirmation stops the cascade: a parent is never deleted while a child of it remains.
            if (one.existed && !one.deleted) {
              throw new CliError(
                `${one.note ?? `Kitchen ${one.name} not deleted`}: the answer did not match the Kitchen name`,
                EXIT_FAILED,
              );
            }
            return one;
          },
        });
      } catch (e) {
        if (e instanceof LiveChildrenError) throw new CliError(e.message, EXIT_FAILED);
        throw e;
      }
      const result = tree.results[tree.results.length - 1];
      for (const child of tree.results.slice(0, -1)) {
        output.progress(
          child.deleted ? `child Kitchen ${child.name} deleted (stack ${child.stackName})` : (child.note ?? ''),
        );
      }
      output.result(result, () =>
        result.deleted
          ? `Kitchen ${result.name} deleted (stack ${result.stackName})`
          : (result.note ?? `Kitchen ${result.name} not deleted`),
      );
    });
}
