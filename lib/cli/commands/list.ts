import type { Command } from 'commander';
import { loadConfig } from '../../config/loader';
import { checkProfile, checkRegion, kitchenEnvironment } from '../../kitchen/args';
import { awsTarget, sdkErrorMessage } from '../../kitchen/aws';
import { CliError, EXIT_SERVICE } from '../errors';
import { Output, table } from '../output';

interface ListOptions {
  readonly env?: string;
  readonly tree?: boolean;
  readonly profile?: string;
  readonly region?: string;
}

/** `kitchen list [--env dev]`: the Kitchens of an environment, from their stacks' tags. */
export function register(program: Command): void {
  program
    .command('list')
    .description('list the Kitchens of an environment: name, owner, parent, age, expiry, status')
    .option('--env <environment>', 'environment the Kitchens live in (default: the first that allows Kitchens)')
    .option('--tree', 'show the Kitchens as the tree their parents make (environment <- Kitchen <- child Kitchen)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', "AWS region (default: the environment's region)")
    .action(async (opts: ListOptions) => {
      const output = new Output(program.opts());
      const config = loadConfig(program.opts().config as string);
      const environment = kitchenEnvironment(config, opts.env);
      const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
      const region = opts.region !== undefined ? checkRegion(opts.region, environment, false) : undefined;
      // The SDK loads here, not at CLI start-up.
      const { cloudFormationClient, formatAge, listKitchens } = await import('../../kitchen/stacks');
      const target = awsTarget(environment, { region, profile });
      let kitchens;
      try {
        kitchens = await listKitchens({ config, environment, cloudFormation: await cloudFormationClient(target) });
      } catch (e) {
        throw new CliError(
          `could not list the Kitchens of environment ${environment.name} (${target.region}): ${sdkErrorMessage(e)}`,
          EXIT_SERVICE,
        );
      }
      if (opts.tree === true) {
        const { kitchenTree, renderKitchenTree } = await import('../../kitchen/hierarchy');
        const tree = kitchenTree(kitchens, environment.name);
        output.result({ environment: environment.name, tree }, () => renderKitchenTree(tree));
        return;
      }
      output.result({ environment: environment.name, kitchens }, () =>
        kitchens.length === 0
          ? `no Kitchens in environment ${environment.name}`
          : table([
              ['NAME', 'OWNER', 'PARENT', 'AGE', 'EXPIRES', 'STATUS'],
              ...kitchens.map((k) => [
                k.name,
                k.owner ?? '-',
                k.parent ?? '-',
                formatAge(k.ageSeconds),
                k.expires === undefined ? '-' : k.expired ? `${k.expires} (expired)` : k.expires,
                k.status,
              ]),
            ]),
      );
    });
}
