import type { Command } from 'commander';
import { loadConfig } from '../../config/loader';
import { checkKitchenName, checkParent, checkProfile, checkRegion, kitchenEnvironment } from '../../kitchen/args';
import { awsTarget, clientConfig, sdkErrorMessage } from '../../kitchen/aws';
import { kitchenNames } from '../../kitchen/stacks';
import { CliError, EXIT_FAILED, EXIT_SERVICE, EXIT_USAGE } from '../errors';
import { Output } from '../output';

interface RefreshOptions {
  readonly from?: string;
  readonly env?: string;
  readonly pgUrl?: string;
  readonly dbUser: string;
  readonly profile?: string;
  readonly region?: string;
  readonly dryRun?: boolean;
}

/**
 * `kitchen refresh CHILD [--from PARENT]`: integrate from the parent Kitchen. Re-seeds the child's copies of the
 * parent's tables from the parent's current data, table by table, inside the development warehouse; the child's code
 * (its pipelines, deployed from its own checkout) and the tables only the child has stay as they are.
 */
export function register(program: Command): void {
  program
    .command('refresh')
    .description(
      "re-seed a child Kitchen's copies of its parent Kitchen's tables from the parent's current data, " +
        'table by table (tables only the child has are kept)',
    )
    .argument('<name>', 'the child Kitchen')
    .option('--from <parent>', "the parent Kitchen (default: the child stack's kitchens:parent tag)")
    .option('--env <environment>', 'environment the Kitchens live in (default: the first that allows Kitchens)')
    .option('--pg-url <url>', 'PostgreSQL instead of the Redshift Data API (local use); needs --from')
    .option('--db-user <user>', 'development warehouse user the Redshift Data API connects as', 'kitchens_cloner')
    .option('--profile <name>', 'AWS profile (development account)')
    .option('--region <region>', "AWS region (default: the environment's region)")
    .option('--dry-run', 'print what would be copied and stop')
    .action(async (name: string, opts: RefreshOptions) => {
      const output = new Output(program.opts());
      const config = loadConfig(program.opts().config as string);
      checkKitchenName(name, config);
      const environment = kitchenEnvironment(config, opts.env);
      const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
      const region = opts.region !== undefined ? checkRegion(opts.region, environment, false) : undefined;
      if (opts.pgUrl !== undefined && opts.from === undefined) {
        throw new CliError('--pg-url needs --from PARENT (no stack tags to read the parent from)', EXIT_USAGE);
      }
      const target = awsTarget(environment, { region, profile });
      let parent = opts.from !== undefined ? checkParent(opts.from, name, config) : undefined;
      if (parent === undefined) {
        const { cloudFormationClient, kitchenStatus } = await import('../../kitchen/stacks');
        let detail;
        try {
          detail = await kitchenStatus({
            config,
            environment,
            name,
            cloudFormation: await cloudFormationClient(target),
          });
        } catch (e) {
          throw new CliError(`could not read Kitchen ${name}'s stack: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
        }
        if (detail === undefined) {
          throw new CliError(`Kitchen ${name} does not exist in environment ${environment.name}`, EXIT_FAILED);
        }
        parent = detail.parent ?? environment.name;
      }
      if (config.environments.some((e) => e.name === parent)) {
        throw new CliError(
          `Kitchen ${name}'s parent is the environment ${parent}, not a Kitchen: a Kitchen at the top of the tree ` +
            `seeds from the masked snapshot its environment receives (kitchen clone ${name})`,
          EXIT_USAGE,
        );
      }
      const { kitchenSchemas } = await import('../../kitchen/refresh');
      const { parentSchema, childSchema } = kitchenSchemas(config, environment, name, parent);
      if (opts.dryRun === true) {
        output.result({ child: name, parent, childSchema, parentSchema, dryRun: true }, () =>
          [
            `kitchen refresh ${name} (dry run): would replace the tables of ${childSchema} that ${parentSchema} has, `,
            `one table at a time, with Kitchen ${parent}'s current data; tables only ${name} has stay`,
          ].join(''),
        );
        return;
      }
      const { PostgresExecutor, RedshiftDataExecutor } = await import('../../clone');
      const { RefreshError, refreshFromParent } = await import('../../kitchen/refresh');
      let executor;
      if (opts.pgUrl !== undefined) {
        executor = new PostgresExecutor(opts.pgUrl);
      } else {
        const { RedshiftDataClient } = await import('@aws-sdk/client-redshift-data');
        const names = kitchenNames(config, environment, name);
        executor = new RedshiftDataExecutor(new RedshiftDataClient(clientConfig(target)), {
          clusterIdentifier: names.clusterIdentifier(),
          database: environment.warehouse.database,
          dbUser: opts.dbUser,
        });
      }
      try {
        const result = await refreshFromParent(executor, {
          parentSchema,
          childSchema,
          progress: (p) =>
            output.progress(
              p.table !== undefined
                ? `refreshing ${childSchema}.${p.table} from ${parentSchema} (${p.done + 1}/${p.total})`
                : `refreshed ${p.total} tables`,
            ),
        });
        output.result({ child: name, parent, ...result }, () =>
          [
            `Kitchen ${name} refreshed from Kitchen ${parent}:`,
            ...result.tables.map((t) => `  ${t.table}: ${t.action}, ${t.rows} rows`),
            `  kept (only ${name} has them): ${result.kept.length > 0 ? result.kept.join(', ') : '-'}`,
          ].join('\n'),
        );
      } catch (e) {
        if (e instanceof RefreshError) throw new CliError(e.message, EXIT_FAILED);
        const message = e instanceof Error ? e.message : String(e);
        // Refusals before any change (a missing schema, an unreadable table) are the user's to fix.
        throw new CliError(
          `kitchen refresh ${name}: ${message}`,
          opts.pgUrl !== undefined ? EXIT_FAILED : EXIT_SERVICE,
        );
      } finally {
        await executor.close();
      }
    });
}
