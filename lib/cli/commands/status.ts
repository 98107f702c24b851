import type { Command } from 'commander';
import { loadConfig } from '../../config/loader';
import { checkKitchenName, checkProfile, checkRegion, kitchenEnvironment } from '../../kitchen/args';
import { awsTarget, sdkErrorMessage } from '../../kitchen/aws';
import { CliError, EXIT_FAILED, EXIT_SERVICE } from '../errors';
import { Output, table } from '../output';

interface StatusOptions {
  readonly env?: string;
  readonly profile?: string;
  readonly region?: string;
}

/** `kitchen status NAME`: the Kitchen's stack status, tags and outputs. */
export function register(program: Command): void {
  program
    .command('status')
    .description("show a Kitchen's stack status, owner, parent, expiry and outputs")
    .argument('<name>', 'the Kitchen')
    .option('--env <environment>', 'environment the Kitchen lives in (default: the first that allows Kitchens)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', "AWS region (default: the environment's region)")
    .action(async (name: string, opts: StatusOptions) => {
      const output = new Output(program.opts());
      const config = loadConfig(program.opts().config as string);
      checkKitchenName(name, config);
      const environment = kitchenEnvironment(config, opts.env);
      const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
      const region = opts.region !== undefined ? checkRegion(opts.region, environment, false) : undefined;
      const { cloudFormationClient, formatAge, kitchenStackName, kitchenStatus } = await import('../../kitchen/stacks');
      const target = awsTarget(environment, { region, profile });
      let kitchen;
      try {
        kitchen = await kitchenStatus({
          config,
          environment,
          name,
          cloudFormation: await cloudFormationClient(target),
        });
      } catch (e) {
        throw new CliError(`could not read Kitchen ${name}: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
      }
      if (!kitchen) {
        throw new CliError(
          `Kitchen ${name} does not exist in environment ${environment.name} (no stack ${kitchenStackName(config, environment, name)} in ${target.region})`,
          EXIT_FAILED,
        );
      }
      const k = kitchen;
      output.result(k, () => {
        const rows: string[][] = [
          ['Kitchen', k.name],
          ['Environment', k.environment],
          ['Stack', k.stackName],
          ['Status', k.statusReason ? `${k.status} (${k.statusReason})` : k.status],
          ['Owner', k.owner ?? '-'],
          ['Parent', k.parent ?? '-'],
          ['Created', k.createdAt ? `${k.createdAt} (${formatAge(k.ageSeconds)} ago)` : '-'],
          ['Updated', k.updatedAt ?? '-'],
          ['Expires', k.expires === undefined ? '-' : k.expired ? `${k.expires} (expired)` : k.expires],
        ];
        const outputs = Object.entries(k.outputs).sort(([a], [b]) => a.localeCompare(b));
        if (outputs.length > 0) {
          rows.push(['Outputs', '']);
          rows.push(...outputs.map(([key, value]) => [`  ${key}`, value]));
        }
        return table(rows);
      });
    });
}
