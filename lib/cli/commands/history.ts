/**
 * `kitchen history PIPELINE --local --pg-url URL [--kitchen NAME | --env ENV] [--last N] [--test NAME] [--json]`:
 * the last runs of a pipeline from its test-history table (the one `kitchen run --local` writes on PostgreSQL), with
 * outcome and failed or warned tests, and an ASCII chart of one test's values against its band.
 */
import type { Command } from 'commander';
import { findEnvironment } from '../../config/model';
import { loadConfig } from '../../config/loader';
import { kitchenNameProblem } from '../../naming';
import { CliError, EXIT_USAGE } from '../errors';
import { Output, table } from '../output';
import { findPipeline, localTarget } from './run';

interface HistoryOptions {
  readonly local?: boolean;
  readonly pgUrl?: string;
  readonly kitchen?: string;
  readonly env?: string;
  readonly last: string;
  readonly test?: string;
}

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
      if (!opts.local) {
        throw new CliError(
          'kitchen history reads the local history table only (give --local --pg-url URL); reading it on AWS through the Redshift Data API is not built yet',
          EXIT_USAGE,
        );
      }
      const pgUrl = opts.pgUrl ?? process.env.KITCHENS_PG_URL;
      if (!pgUrl || !/^postgres(ql)?:\/\//.test(pgUrl)) {
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
      const definition = findPipeline(config, pipelineId);
      const env = opts.env
        ? findEnvironment(config, opts.env)
        : (config.environments.find((e) => e.stage === 'development') ?? config.environments[0]);
      // The same table the pipeline writes: its history_table variable for this environment or Kitchen.
      const historyTable = localTarget(config, env, opts.kitchen).variables.history_table;

      const { Client } = await import('pg');
      const { readHistory, summarizeRuns, testSeries, defaultChartTest, renderChart } =
        await import('../../observability/history');
      const client = new Client({ connectionString: pgUrl });
      await client.connect();
      let rows;
      try {
        rows = await readHistory(client, historyTable, definition.id, last);
      } finally {
        await client.end();
      }
      const runs = summarizeRuns(rows);
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
              ['Started', 'Run', 'Outcome', 'Tests', 'Failed', 'Warned'],
              ...runs
                .slice()
                .reverse()
                .map((r) => [
                  r.startedAt,
                  r.runId,
                  r.outcome,
                  String(r.tests),
                  r.failed.join('; ') || '-',
                  r.warned.join('; ') || '-',
                ]),
            ]),
          ];
          if (chartTest) lines.push('', `Test "${chartTest}":`, renderChart(series));
          return lines.join('\n');
        },
      );
    });
}
