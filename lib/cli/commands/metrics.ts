/**
 * `kitchen metrics [--env ENV] [--since 30d|DATE] [--json]`: DataOps delivery metrics of a release environment
 * (deployment frequency, lead time, change failure rate, time to restore) from its stack's CloudFormation events,
 * the commit each deploy carried and its pipelines' runs. How each is computed: docs/observability.md.
 */
import * as path from 'path';
import type { Command } from 'commander';
import { findEnvironment, productionEnvironment } from '../../config/model';
import { loadConfig } from '../../config/loader';
import { checkProfile, checkRegion } from '../../kitchen/args';
import { awsTarget, clientConfig, sdkErrorMessage } from '../../kitchen/aws';
import { Names, partitionOf } from '../../naming';
import { DEPLOYMENT_PARAMETER, gitCommitRange } from '../../observability/deployment';
import { CliError, EXIT_SERVICE, EXIT_USAGE } from '../errors';
import { appOf, appPipelines, readApp } from '../app';
import { Output, table } from '../output';

interface MetricsOptions {
  readonly env?: string;
  readonly since: string;
  readonly profile?: string;
  readonly region?: string;
}

export function register(program: Command): void {
  program
    .command('metrics')
    .description(
      'DataOps delivery metrics of an environment: deployment frequency, lead time, change failure rate, time to restore',
    )
    .option('--env <environment>', 'the release environment (default: the production environment)')
    .option('--since <when>', 'start of the window: a number of days (30d) or an ISO 8601 date or time', '30d')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', "AWS region (default: the environment's region)")
    .action(async (opts: MetricsOptions) => {
      const output = new Output(program.opts());
      const config = loadConfig(program.opts().config as string);
      let environment;
      try {
        environment = opts.env !== undefined ? findEnvironment(config, opts.env) : productionEnvironment(config);
      } catch (e) {
        throw new CliError(`--env: ${(e as Error).message}`, EXIT_USAGE);
      }
      const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
      const region = opts.region !== undefined ? checkRegion(opts.region, environment, false) : undefined;
      const delivery = await import('../../observability/delivery');
      const now = new Date();
      const since = delivery.parseSince(opts.since, now);
      if (typeof since === 'string') {
        throw new CliError(`--since ${since}, got: ${JSON.stringify(opts.since)}`, EXIT_USAGE);
      }
      // The pipelines the app (cdk.json or --app) compiles into the environment's stack.
      const app = await readApp(appOf(program), config, output);
      let pipelineIds: string[];
      try {
        pipelineIds = appPipelines(app, config, environment).map((p) => p.definition.id);
      } finally {
        await app.dispose();
      }
      const names = new Names({ project: config.project, environment: environment.name, account: environment.account });
      const target = awsTarget(environment, { region, profile });

      const [{ CloudFormationClient }, { SFNClient }, aws] = await Promise.all([
        import('@aws-sdk/client-cloudformation'),
        import('@aws-sdk/client-sfn'),
        import('../../observability/delivery-aws'),
      ]);
      const cfn = new CloudFormationClient(clientConfig(target));
      const sfn = new SFNClient(clientConfig(target));
      let events;
      try {
        events = await aws.readStackEvents(cfn, names.stackName, since);
      } catch (e) {
        throw new CliError(
          `kitchen metrics: could not read the events of stack ${names.stackName} in ${target.region}: ${sdkErrorMessage(e)}`,
          EXIT_SERVICE,
        );
      }
      const runs = [];
      const notDeployed: string[] = [];
      for (const pipeline of pipelineIds) {
        const arn = `arn:${partitionOf(target.region)}:states:${target.region}:${environment.account}:stateMachine:${names.stateMachineName(pipeline)}`;
        try {
          runs.push(...delivery.pipelineRuns(pipeline, await aws.readExecutions(sfn, arn, since)));
        } catch (e) {
          if ((e as Error).name === 'StateMachineDoesNotExist') {
            notDeployed.push(pipeline);
            continue;
          }
          throw new CliError(`kitchen metrics: could not list the runs of ${arn}: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
        }
      }
      const metrics = delivery.deliveryMetrics({
        stackName: names.stackName,
        markerName: names.parameterName(DEPLOYMENT_PARAMETER),
        events,
        runs,
        since,
        until: now,
        // The commits each deploy delivered, from the history of the repository the config file is in (the one the
        // synth recorded its commit from).
        commitRange: gitCommitRange(path.dirname(path.resolve(config.file))),
      });
      const notes = delivery.leadTimeNotes(metrics);
      const d = delivery.formatDuration;
      output.result(
        {
          environment: environment.name,
          ...metrics,
          runs: runs.length,
          pipelinesNotDeployed: notDeployed,
          leadTimeNotes: notes,
        },
        () => {
          const failed = metrics.deployments.filter((x) => x.failure !== undefined).length;
          const withLead = metrics.deployments.filter((x) => x.leadTime !== undefined).length;
          const closed = metrics.incidents.filter((i) => i.restoreSeconds !== undefined).length;
          const succeeded = metrics.deployments.filter((x) => x.outcome === 'succeeded').length;
          const lines = [
            `Delivery metrics of ${environment.name} (stack ${metrics.stack}), ${metrics.since} to ${metrics.until} (${metrics.days} days)`,
            table([
              ['Metric', 'Value', 'From'],
              [
                'Deployment frequency',
                `${metrics.deploymentsPerDay}/day (${metrics.deploymentsPerWeek}/week)`,
                `${succeeded} succeeded deploy(s)`,
              ],
              [
                'Lead time (median)',
                d(metrics.medianLeadTimeSeconds),
                `${metrics.leadTimeCommits} commit(s) of ${withLead} deploy(s) with a known commit time`,
              ],
              [
                'Change failure rate',
                metrics.changeFailureRate === undefined ? '-' : `${Math.round(metrics.changeFailureRate * 1000) / 10}%`,
                `${failed} of ${metrics.deployments.length} deploy(s)`,
              ],
              [
                'Time to restore (median)',
                d(metrics.medianTimeToRestoreSeconds),
                `${closed} of ${metrics.incidents.length} incident(s) restored`,
              ],
            ]),
          ];
          if (metrics.deployments.length > 0) {
            lines.push(
              '',
              table([
                ['Deployed', 'Status', 'Commit', 'Head lead time', 'Commits', 'Failed change'],
                ...metrics.deployments.map((x) => [
                  x.endedAt,
                  x.status,
                  x.commit ? x.commit.slice(0, 12) : '-',
                  d(x.leadTimeSeconds),
                  x.leadTime === undefined
                    ? '-'
                    : `${x.leadTime.commits.length}${x.leadTime.basis === 'head commit' ? ' (head only)' : ''}`,
                  x.failure ?? '-',
                ]),
              ]),
            );
          }
          if (notes.length > 0) lines.push('', ...notes);
          if (notDeployed.length > 0) lines.push('', `not deployed (no state machine): ${notDeployed.join(', ')}`);
          return lines.join('\n');
        },
      );
    });
}
