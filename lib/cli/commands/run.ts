/**
 * `kitchen run PIPELINE --local --pg-url URL [--env ENV] [--kitchen NAME] [--app-command APP=COMMAND]...`: compiles
 * the pipeline for an environment (or Kitchen) exactly as it would deploy, runs it on this machine with SQL on
 * PostgreSQL, container apps as local processes and S3 as a directory, and prints each test's result as it
 * finishes and every alert. Exit code 1 when the run fails. Without --local it runs in a Kitchen on AWS
 * (run-remote.ts).
 */
import * as path from 'path';
import type { Command } from 'commander';
import { findEnvironment, type EnvironmentConfig, type KitchensConfig } from '../../config/model';
import { loadConfig } from '../../config/loader';
import { describeContainerEvent } from '../../local/messages';
import type { LocalEvent, LocalRunResult, LocalTestResult } from '../../local/runner';
import { kitchenNameProblem, Names } from '../../naming';
import type { AppSource } from '../../kitchen/app-source';
import { pipelineVariables } from '../../pipeline/variables';
import { appOf, appPipeline, readApp, type GlobalOptions } from '../app';
import { CliError, EXIT_FAILED, EXIT_USAGE } from '../errors';
import { Output } from '../output';
import { REMOTE_RUN_OPTIONS, RemoteRunOptions, runRemote } from './run-remote';

export interface RunOptions extends RemoteRunOptions {
  readonly local?: boolean;
  readonly pgUrl?: string;
  readonly appCommand?: readonly string[];
  readonly dataLake?: string;
  readonly realWaits?: boolean;
}

export const DEFAULT_LOCAL_DATA_LAKE = '.kitchen/data-lake';

/** `APP=COMMAND` pairs into local commands (the command is split on whitespace). */
export function parseAppCommands(pairs: readonly string[], apps: readonly string[]): Record<string, string[]> {
  const commands: Record<string, string[]> = {};
  for (const pair of pairs) {
    const match = /^([a-z][a-z0-9-]*)=(.+)$/.exec(pair);
    if (!match || match[2].trim() === '') {
      throw new CliError(
        `--app-command must be APP=COMMAND, such as ingest="node ingest.js", got: ${JSON.stringify(pair)}`,
        EXIT_USAGE,
      );
    }
    if (!apps.includes(match[1])) {
      throw new CliError(
        `--app-command must name a container app of the config (${apps.join(', ')}), got: ${JSON.stringify(match[1])}`,
        EXIT_USAGE,
      );
    }
    commands[match[1]] = match[2].trim().split(/\s+/);
  }
  return commands;
}

/** Names and pipeline variables of an environment, or of a Kitchen in it, as the stacks compile them. */
export function localTarget(
  config: KitchensConfig,
  env: EnvironmentConfig,
  kitchen?: string,
): { names: Names; variables: Record<string, string> } {
  const names = new Names({ project: config.project, environment: env.name, account: env.account, kitchen });
  const variables = pipelineVariables({
    project: config.project,
    environment: env.name,
    kitchen,
    account: env.account,
    region: env.region,
    schema: names.schema(env.warehouse.schema),
    database: env.warehouse.database,
    prefix: names.dataPrefix,
    buckets: {
      landing: names.bucketName('landing'),
      raw: names.bucketName('raw'),
      curated: names.bucketName('curated'),
    },
  });
  return { names, variables };
}

function describeTest(t: LocalTestResult): string {
  const mark =
    t.status === 'passed'
      ? 'PASS'
      : t.status === 'errored'
        ? 'ERR '
        : t.level === 'error'
          ? 'FAIL'
          : t.level === 'warning'
            ? 'WARN'
            : 'LOG ';
  const why = t.status === 'errored' ? `: ${t.error}` : t.message ? `: ${t.message}` : '';
  return `${mark}  ${t.step} / ${t.test}: ${t.value} (expected ${t.expectation}) [${t.level}]${why}`;
}

export async function runLocal(
  output: Output,
  configFile: string,
  pipelineId: string,
  opts: RunOptions,
  stdout: NodeJS.WritableStream = process.stdout,
  source?: AppSource,
): Promise<LocalRunResult> {
  const config = loadConfig(configFile);
  const pgUrl = opts.pgUrl ?? process.env.KITCHENS_PG_URL;
  if (!pgUrl) {
    throw new CliError(
      'kitchen run --local: give --pg-url postgres://... (or set KITCHENS_PG_URL): the PostgreSQL that stands in for Redshift',
      EXIT_USAGE,
    );
  }
  if (!/^postgres(ql)?:\/\//.test(pgUrl)) {
    throw new CliError(
      `--pg-url must be a PostgreSQL URL such as postgres://user@127.0.0.1:5432/db, got: ${JSON.stringify(pgUrl)}`,
      EXIT_USAGE,
    );
  }
  const env = opts.env
    ? findEnvironment(config, opts.env)
    : (config.environments.find((e) => e.stage === 'development') ?? config.environments[0]);
  if (opts.kitchen !== undefined) {
    const problem = kitchenNameProblem(
      opts.kitchen,
      config.environments.map((e) => e.name),
    );
    if (problem) throw new CliError(`--kitchen: ${problem}`, EXIT_USAGE);
  }
  const apps = config.apps.map((a) => a.name);
  const containerCommands = parseAppCommands(opts.appCommand ?? [], apps);
  const { names, variables } = localTarget(config, env, opts.kitchen);

  // The pipeline as the app compiled it into the environment's stack (its model, from the cloud assembly).
  const app = await readApp(source ?? { kind: 'buildApp' }, config, output);
  let definition;
  try {
    definition = appPipeline(app, config, env, pipelineId, 'kitchen run').definition;
  } finally {
    await app.dispose();
  }

  output.progress(
    `compiling pipeline ${definition.id} for ${opts.kitchen ? `Kitchen ${opts.kitchen} in ` : ''}${env.name}...`,
  );
  // aws-cdk-lib loads only here, so other commands start fast.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compileWithStandIns } = require('../../local/stand-in') as typeof import('../../local/stand-in');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runPipelineLocally } = require('../../local/runner') as typeof import('../../local/runner');
  process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
  const { asl, stateMachines } = compileWithStandIns(definition, { names, variables, apps });

  const dataLake = path.resolve(opts.dataLake ?? DEFAULT_LOCAL_DATA_LAKE);
  output.progress(`running locally: SQL on ${pgUrl.replace(/\/\/[^@/]*@/, '//***@')}, data lake in ${dataLake}`);
  const write = (line: string) => {
    if (!output.json) stdout.write(`${line}\n`);
  };
  const onEvent = (event: LocalEvent) => {
    if (event.type === 'test') write(describeTest(event.result));
    if (event.type === 'alert')
      write(`ALERT ${event.alert.title}: ${String(event.alert.message?.content?.description ?? '').trim()}`);
    if (event.type === 'container') {
      const line = describeContainerEvent(event);
      if (line) write(`      ${line}`);
    }
  };
  const result = await runPipelineLocally({
    definition: asl,
    stateMachines,
    pgUrl,
    containerCommands,
    appCommands: Object.fromEntries(config.apps.filter((a) => a.command).map((a) => [a.name, [...a.command!]])),
    dataLakeDirectory: dataLake,
    onEvent,
    realWaits: opts.realWaits,
  });
  output.result({ pipeline: definition.id, environment: env.name, kitchen: opts.kitchen, ...result }, () =>
    result.status === 'succeeded'
      ? `pipeline ${definition.id} ${result.outcome}: ${result.tests.length} tests, ${result.tests.filter((t) => t.status === 'failed').length} failed, ${result.tests.filter((t) => t.status === 'errored').length} errored, ${result.alerts.length} alerts`
      : `pipeline ${definition.id} failed: ${result.error}: ${result.cause}`,
  );
  return result;
}

/** `kitchen run PIPELINE (--local --pg-url URL | --kitchen NAME [--wait])`. */
export function register(program: Command): void {
  const command = program
    .command('run')
    .description('run a pipeline: --local on this machine (PostgreSQL for Redshift), or in a Kitchen on AWS')
    .argument('<pipeline>', 'pipeline id')
    .option('--local', 'run on this machine: SQL on PostgreSQL, container apps as local processes, S3 as a directory')
    .option('--pg-url <url>', 'with --local: PostgreSQL URL standing in for the warehouse (default: $KITCHENS_PG_URL)')
    .option(
      '--app-command <app=command>',
      'with --local: local command for a container app, e.g. ingest="node ingest.js" (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--real-waits', 'with --local: honour every Wait state as compiled (real time), to time a run')
    .option(
      '--data-lake <dir>',
      `with --local: directory standing in for S3, one subdirectory per bucket (default: ${DEFAULT_LOCAL_DATA_LAKE})`,
    );
  for (const [flags, description] of REMOTE_RUN_OPTIONS) {
    command.option(flags, description);
  }
  command.action(async (pipeline: string, opts: RunOptions) => {
    const global = program.opts<GlobalOptions>();
    const output = new Output(global);
    if (!opts.local) {
      await runRemote(output, global.config, pipeline, opts);
      return;
    }
    if (opts.wait) {
      throw new CliError('kitchen run: --wait applies to runs on AWS; a --local run always waits', EXIT_USAGE);
    }
    const result = await runLocal(output, global.config, pipeline, opts, process.stdout, appOf(program));
    if (result.status !== 'succeeded') {
      throw new CliError(`pipeline ${pipeline} failed locally: ${result.error}`, EXIT_FAILED);
    }
    if (opts.failOnWarning && result.outcome === 'succeeded with warnings') {
      throw new CliError(`pipeline ${pipeline} succeeded with warnings (--fail-on-warning)`, EXIT_FAILED);
    }
  });
}
