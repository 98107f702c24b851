import type { Command } from 'commander';
import { loadConfig } from '../../config/loader';
import {
  checkKitchenName,
  checkOwner,
  checkParent,
  checkProfile,
  checkRegion,
  checkSlackChannel,
  expiryFromTtl,
  kitchenEnvironment,
  parseStaff,
  parseTtl,
  readSshKey,
} from '../../kitchen/args';
import { awsTarget, clientConfig, sdkErrorMessage } from '../../kitchen/aws';
import { kitchenNames } from '../../kitchen/stacks';
import { CliError, EXIT_FAILED, EXIT_SERVICE } from '../errors';
import { appOf } from '../app';
import { Output, table } from '../output';
import { toolkitLog } from './kitchen-progress';

interface CreateOptions {
  readonly env?: string;
  readonly from?: string;
  readonly staff?: string;
  readonly ttl?: string;
  readonly sshKey?: string;
  readonly slackChannel?: string;
  readonly owner?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly dryRun?: boolean;
  readonly seed: boolean;
  readonly dbUser: string;
}

/** `kitchen create NAME`: deploys the Kitchen stack (creates it, or updates an existing one). */
export function register(program: Command): void {
  program
    .command('create')
    .description(
      "create a Kitchen (or update an existing one): synthesizes the app (cdk.json or --app) with the Kitchen's context and deploys its stack through the CDK Toolkit Library",
    )
    .argument('<name>', 'the Kitchen name (see kitchen name --from-branch)')
    .option('--env <environment>', 'development environment to create it in (default: the first that allows Kitchens)')
    .option('--from <parent>', 'parent environment or Kitchen (default: the environment)')
    .option('--staff <arns>', 'comma-separated IAM user or role ARNs that may assume the Kitchen staff role')
    .option('--ttl <duration>', 'lifetime such as 72h or 3d (default: kitchens.defaultTtlHours)')
    .option('--ssh-key <file>', "OpenSSH public key file for the Kitchen's SFTP user")
    .option(
      '--slack-channel <id>',
      "Slack channel id for the Kitchen's alerts (default: the environment's Kitchen channel)",
    )
    .option('--owner <user>', 'owner recorded in the kitchens:owner tag (default: $USER)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', "AWS region; must be the environment's region")
    .option('--dry-run', 'synthesize only: print the stack name and resource count, touch no AWS account')
    .option(
      '--no-seed',
      "with --from a Kitchen: do not copy the parent Kitchen's tables into the new Kitchen after the deploy",
    )
    .option('--db-user <user>', 'development warehouse user the Redshift Data API seeds as', 'kitchens_cloner')
    .action(async (name: string, opts: CreateOptions) => {
      const output = new Output(program.opts());
      const config = loadConfig(program.opts().config as string);
      // Every argument is checked before anything loads the toolkit or calls AWS.
      checkKitchenName(name, config);
      const environment = kitchenEnvironment(config, opts.env);
      const parent = opts.from !== undefined ? checkParent(opts.from, name, config) : undefined;
      const staff = opts.staff !== undefined ? parseStaff(opts.staff, environment) : undefined;
      const ttlHours = opts.ttl !== undefined ? parseTtl(opts.ttl, environment) : undefined;
      const sshPublicKey = opts.sshKey !== undefined ? readSshKey(opts.sshKey) : undefined;
      const slackChannelId = opts.slackChannel !== undefined ? checkSlackChannel(opts.slackChannel) : undefined;
      const owner = opts.owner !== undefined ? checkOwner(opts.owner) : undefined;
      const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
      const region = opts.region !== undefined ? checkRegion(opts.region, environment, true) : undefined;
      // The user's app (cdk.json or --app) builds the Kitchen stack, as `cdk synth -c kitchen=NAME` does.
      const app = appOf(program);

      const { createKitchen } = await import('../../kitchen/deploy');
      const result = await createKitchen(
        {
          config,
          environment,
          name,
          owner,
          parent,
          staff,
          expires: ttlHours !== undefined ? expiryFromTtl(ttlHours) : undefined,
          sshPublicKey,
          slackChannelId,
          aws: awsTarget(environment, { region, profile }),
          dryRun: opts.dryRun === true,
          app,
        },
        { log: toolkitLog(output) },
      );
      // A child of a Kitchen starts with its parent's data: the tables are copied in the warehouse, as kitchen refresh does.
      const parentKitchen = !config.environments.some((e) => e.name === result.parent) ? result.parent : undefined;
      let seed: { readonly tables: number; readonly kept: readonly string[] } | undefined;
      // Only a new Kitchen: re-running create on an existing one would overwrite its work (kitchen refresh does that).
      if (parentKitchen !== undefined && result.action === 'created' && opts.seed) {
        const { RedshiftDataExecutor } = await import('../../clone');
        const { RefreshError, kitchenSchemas, refreshFromParent } = await import('../../kitchen/refresh');
        const { RedshiftDataClient } = await import('@aws-sdk/client-redshift-data');
        const { parentSchema, childSchema } = kitchenSchemas(config, environment, name, parentKitchen);
        const executor = new RedshiftDataExecutor(
          new RedshiftDataClient(clientConfig(awsTarget(environment, { region, profile }))),
          {
            clusterIdentifier: kitchenNames(config, environment, name).clusterIdentifier(),
            database: environment.warehouse.database,
            dbUser: opts.dbUser,
          },
        );
        try {
          const seeded = await refreshFromParent(executor, {
            parentSchema,
            childSchema,
            progress: (p) =>
              output.progress(
                p.table !== undefined
                  ? `seeding ${childSchema}.${p.table} from ${parentSchema} (${p.done + 1}/${p.total})`
                  : `seeded ${p.total} tables`,
              ),
          });
          seed = { tables: seeded.tables.length, kept: seeded.kept };
        } catch (e) {
          throw new CliError(
            `Kitchen ${name} is deployed, but seeding it from Kitchen ${parentKitchen} failed: ` +
              `${sdkErrorMessage(e)}; run kitchen refresh ${name} to seed it`,
            e instanceof RefreshError ? EXIT_FAILED : EXIT_SERVICE,
          );
        } finally {
          await executor.close();
        }
      } else if (parentKitchen !== undefined && opts.seed && result.action === 'synthesized') {
        output.progress(
          `dry run: a real create of a new Kitchen seeds ${name} with Kitchen ${parentKitchen}'s tables (--no-seed skips it)`,
        );
      } else if (parentKitchen !== undefined && opts.seed) {
        output.progress(
          `Kitchen ${name} existed, so it is not seeded again; kitchen refresh ${name} copies Kitchen ${parentKitchen}'s tables`,
        );
      }
      output.result(seed !== undefined ? { ...result, seed } : result, () => {
        const head =
          result.action === 'synthesized'
            ? `${result.stackName}: ${result.resourceCount} resources (dry run: nothing deployed)`
            : `Kitchen ${result.name} ${result.action} (stack ${result.stackName}, ${result.resourceCount} resources)`;
        const rows: string[][] = [
          ['Owner', result.owner],
          ['Parent', result.parent],
          ['Expires', result.expires],
          ...Object.entries(result.outputs)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, v]),
        ];
        const seeded = seed !== undefined ? `\nSeeded from Kitchen ${parentKitchen}: ${seed.tables} tables copied` : '';
        return `${head}\n${table(rows)}${seeded}`;
      });
    });
}
