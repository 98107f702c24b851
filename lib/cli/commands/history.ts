/**
 * `kitchen history PIPELINE [--kitchen NAME | --env ENV] [--last N] [--test NAME] [--json]`: the last runs of a
 * pipeline from its test-history and runs tables, with outcome, duration and failed or warned tests, and an ASCII chart of one test's
 * values against its band. On AWS the table is read through the Redshift Data API on the environment's warehouse;
 * with `--local --pg-url URL`, on the PostgreSQL that `kitchen run --local` writes.
 */
import type { Command } from 'commander';
import { findEnvironment } from '../../config/model';
import { loadConfig } from '../../config/loader';
import { checkProfile, checkRegion } from '../../kitchen/args';
import { awsTarget, clientConfig, sdkErrorMessage } from '../../kitchen/aws';
import { kitchenNameProblem, Names } from '../../naming';
import { CliError, EXIT_SERVICE, EXIT_USAGE } from '../errors';
import { Output, table } from '../output';
import { appOf, appPipeline, readApp } from '../app';
import { localTarget } from './run';

interface HistoryOptions {
  readonly local?: boolean;
  readonly pgUrl?: string;
  readonly kitchen?: string;
  readonly env?: string;
  readonly last: string;
  readonly test?: string;
  readonly rebaseline?: string;
  readonly secretArn?: string;
  readonly dbUser?: string;
  readonly profile?: string;
  readonly region?: string;
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const DB_USER = /^[a-z_][a-z0-9_$]{0,126}$/;

export function register(program: Command): void {
  program
    .command('history')
    .description("show a pipeline's last runs, their failed and warned tests, and a chart of a test against its band")
    .argument('<pipeline>', 'the pipeline id')
    .option('--local', 'read the history table `kitchen run --local` writes on PostgreSQL')
    .option('--pg-url <url>', 'with --local: the PostgreSQL URL (default: $KITCHENS_PG_URL)')
    .option('--kitchen <name>', 'the Kitchen whose runs to show')
    .option('--env <environment>', 'the environment whose runs to show (default: the development environment)')
    .option('--last <n>', 'how many runs', '10')
    .option('--test <name>', 'the test to chart (default: the first test with a band)')
    .option('--rebaseline <test>', 'restart the in_control baseline of this test from its latest run, then show')
    .option('--secret-arn <arn>', 'on AWS: read as the database user of this Secrets Manager secret')
    .option('--db-user <name>', 'on AWS: read as this database user (temporary credentials)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', "AWS region (default: the environment's region)")
    .action(async (pipelineId: string, opts: HistoryOptions) => {
      const output = new Output(program.opts());
      const config = loadConfig(program.opts().config as string);
      const last = Number(opts.last);
      if (!Number.isInteger(last) || last < 1 || last > 1000) {
        throw new CliError(`--last must be an integer from 1 to 1000, got: ${JSON.stringify(opts.last)}`, EXIT_USAGE);
      }
      if (opts.kitchen !== undefined && opts.env !== undefined) {
        throw new CliError('give --kitchen NAME or --env ENV, not both', EXIT_USAGE);
      }
      if (opts.secretArn !== undefined && opts.dbUser !== undefined) {
        throw new CliError('give --secret-arn ARN or --db-user NAME, not both', EXIT_USAGE);
      }
      if (opts.secretArn !== undefined && !SECRET_ARN.test(opts.secretArn)) {
        throw new CliError(
          `--secret-arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), got: ${JSON.stringify(opts.secretArn)}`,
          EXIT_USAGE,
        );
      }
      if (opts.dbUser !== undefined && !DB_USER.test(opts.dbUser)) {
        throw new CliError(
          `--db-user must be a Redshift user name (lowercase letters, digits, _ and $, starting with a letter or _), got: ${JSON.stringify(opts.dbUser)}`,
          EXIT_USAGE,
        );
      }
      const pgUrl = opts.pgUrl ?? process.env.KITCHENS_PG_URL;
      if (opts.local && (!pgUrl || !/^postgres(ql)?:\/\//.test(pgUrl))) {
        throw new CliError(
          `--pg-url must be a PostgreSQL URL such as postgres://user@127.0.0.1:5432/db (or set KITCHENS_PG_URL), got: ${JSON.stringify(pgUrl ?? '')}`,
          EXIT_USAGE,
        );
      }
      if (opts.kitchen !== undefined) {
        const problem = kitchenNameProblem(
          opts.kitchen,
          config.environments.map((e) => e.name),
        );
        if (problem) throw new CliError(`--kitchen: ${problem}`, EXIT_USAGE);
      }
      const env = opts.env
        ? findEnvironment(config, opts.env)
        : (config.environments.find((e) => e.stage === 'development') ?? config.environments[0]);
      // The pipeline must be one the app (cdk.json or --app) compiles into the environment.
      const source = appOf(program);
      const app = await readApp(source, config, output);
      let definition;
      try {
        definition = appPipeline(app, config, env, pipelineId, 'kitchen history').definition;
      } finally {
        await app.dispose();
      }
      // The same table the pipeline writes: its history_table variable for this environment or Kitchen.
      const historyTable = localTarget(config, env, opts.kitchen).variables.history_table;

      const {
        readHistory,
        summarizeRuns,
        testSeries,
        defaultChartTest,
        renderChart,
        formatRunDuration,
        failureCauses,
        rebaselineTest,
      } = await import('../../observability/history');
      const rebaseline = async (sql: import('../../observability/history').SqlClient) => {
        if (opts.rebaseline === undefined) return;
        try {
          const at = await rebaselineTest(sql, historyTable, definition.id, opts.rebaseline);
          output.progress(`test "${opts.rebaseline}": baseline restarts from its run recorded at ${at}`);
        } catch (e) {
          throw new CliError((e as Error).message, EXIT_USAGE);
        }
      };
      let history;
      if (opts.local) {
        const { Client } = await import('pg');
        const client = new Client({ connectionString: pgUrl });
        await client.connect();
        try {
          await rebaseline(client);
          history = await readHistory(client, historyTable, definition.id, last);
        } finally {
          await client.end();
        }
      } else {
        // The environment's warehouse (a Kitchen's schema lives on it too), through the Redshift Data API.
        const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
        const region = opts.region !== undefined ? checkRegion(opts.region, env, false) : undefined;
        const target = awsTarget(env, { region, profile });
        const names = new Names({ project: config.project, environment: env.name, account: env.account });
        const [{ RedshiftDataClient }, { dataApiSqlClient }] = await Promise.all([
          import('@aws-sdk/client-redshift-data'),
          import('../../observability/history-redshift'),
        ]);
        const warehouse = {
          clusterIdentifier: names.clusterIdentifier(),
          database: env.warehouse.database,
          ...(opts.secretArn !== undefined ? { secretArn: opts.secretArn } : {}),
          ...(opts.dbUser !== undefined ? { dbUser: opts.dbUser } : {}),
        };
        const client = new RedshiftDataClient(clientConfig(target));
        try {
          const sql = dataApiSqlClient(client, warehouse);
          await rebaseline(sql);
          history = await readHistory(sql, historyTable, definition.id, last);
        } catch (e) {
          if (e instanceof CliError) throw e;
          throw new CliError(
            `kitchen history: could not read ${historyTable} on cluster ${warehouse.clusterIdentifier} (database ${warehouse.database}, ${target.region}) through the Redshift Data API: ${sdkErrorMessage(e)}`,
            EXIT_SERVICE,
          );
        } finally {
          client.destroy();
        }
      }
      const { rows, records } = history;
      const runs = summarizeRuns(rows, records);
      const chartTest = opts.test ?? defaultChartTest(rows);
      if (opts.test !== undefined && !rows.some((r) => r.test === opts.test)) {
        const tests = [...new Set(rows.map((r) => r.test))].sort();
        throw new CliError(
          `--test must name a test of pipeline ${definition.id} recorded in ${historyTable} (${tests.join(', ') || 'none recorded'}), got: ${JSON.stringify(opts.test)}`,
          EXIT_USAGE,
        );
      }
      const series = chartTest ? testSeries(rows, chartTest) : [];
      output.result(
        { pipeline: definition.id, historyTable, runs, chart: chartTest ? { test: chartTest, points: series } : null },
        () => {
          if (runs.length === 0) return `no runs of pipeline ${definition.id} recorded in ${historyTable}`;
          const lines = [
            `Pipeline ${definition.id}: last ${runs.length} run(s) from ${historyTable}`,
            table([
              ['Started', 'Run', 'Outcome', 'Duration', 'Tests', 'Failed', 'Warned'],
              ...runs
                .slice()
                .reverse()
                .map((r) => [
                  r.startedAt,
                  r.runId,
                  r.outcome,
                  formatRunDuration(r.durationSeconds),
                  String(r.tests),
                  r.failed.join('; ') || '-',
                  r.warned.join('; ') || '-',
                ]),
            ]),
          ];
          const causes = failureCauses(runs);
          if (causes.length > 0) lines.push('', 'Why runs failed:', ...causes);
          if (chartTest) lines.push('', `Test "${chartTest}":`, renderChart(series));
          return lines.join('\n');
        },
      );
    });
}
