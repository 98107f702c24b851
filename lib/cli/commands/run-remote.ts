/**
 * The remote half of `kitchen run PIPELINE --kitchen NAME [--wait]` (the `--local` half lives in lib/local):
 * starts the Kitchen's state machine and, with --wait, prints each test's result as it finishes and the details of
 * a failed container step. Exit code 0 when started (or, with --wait, when the execution succeeded), 1 when the
 * waited execution did not succeed.
 */
import { loadConfig } from '../../config/loader';
import { checkKitchenName, checkPipelineId, checkProfile, checkRegion, kitchenEnvironment } from '../../kitchen/args';
import { awsTarget, sdkErrorMessage } from '../../kitchen/aws';
import { CliError, EXIT_FAILED, EXIT_SERVICE, EXIT_USAGE } from '../errors';
import type { Output } from '../output';

export interface RemoteRunOptions {
  readonly kitchen?: string;
  readonly wait?: boolean;
  readonly failOnWarning?: boolean;
  readonly env?: string;
  readonly profile?: string;
  readonly region?: string;
}

/** Commander option flags of the remote run, for the `run` command to declare. */
export const REMOTE_RUN_OPTIONS: readonly (readonly [string, string])[] = [
  ['--kitchen <name>', 'run in this Kitchen (starts its state machine on AWS)'],
  ['--wait', "follow the execution: each test's result as it finishes, container failures with their logs"],
  ['--fail-on-warning', 'exit 1 when the run succeeded with warnings (a warning test did not pass, a test errored)'],
  ['--env <environment>', 'environment the Kitchen lives in (default: the first that allows Kitchens)'],
  ['--profile <name>', 'AWS profile'],
  ['--region <region>', "AWS region (default: the environment's region)"],
];

/**
 * Runs PIPELINE in a Kitchen on AWS. `stdout` receives the streamed lines (silent with --json, which prints the
 * whole result at the end).
 */
export async function runRemote(
  output: Output,
  configFile: string,
  pipeline: string,
  opts: RemoteRunOptions,
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const config = loadConfig(configFile);
  if (opts.kitchen === undefined) {
    throw new CliError('kitchen run: give --kitchen NAME to run on AWS, or --local to run on this machine', EXIT_USAGE);
  }
  checkPipelineId(pipeline);
  checkKitchenName(opts.kitchen, config);
  const environment = kitchenEnvironment(config, opts.env);
  const profile = opts.profile !== undefined ? checkProfile(opts.profile) : undefined;
  const region = opts.region !== undefined ? checkRegion(opts.region, environment, false) : undefined;
  const aws = awsTarget(environment, { region, profile });

  const run = await import('../../kitchen/run');
  const line = (text: string) => {
    if (!output.json) stdout.write(`${text}\n`);
  };
  let result;
  try {
    result = await run.runKitchenPipeline(
      { config, environment, kitchen: opts.kitchen, pipeline, aws, wait: opts.wait === true },
      await run.runClients(aws),
      {
        test: (r) => line(run.formatTestResult(r)),
        containerFailure: (f) => line(run.formatContainerFailure(f)),
        progress: (m) => output.progress(m),
      },
    );
  } catch (e) {
    if (e instanceof run.PipelineNotDeployedError) throw new CliError(e.message, EXIT_USAGE);
    throw new CliError(`kitchen run ${pipeline} --kitchen ${opts.kitchen}: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
  }
  const r = result;
  output.result(r, () => (r.status === 'RUNNING' ? `${r.executionArn}\n  ${r.consoleUrl}` : run.formatRunSummary(r)));
  if (r.status !== 'RUNNING' && r.status !== 'SUCCEEDED') {
    throw new CliError(
      `pipeline ${pipeline} ${r.status.toLowerCase().replace('_', ' ')} in Kitchen ${opts.kitchen}`,
      EXIT_FAILED,
    );
  }
  if (opts.failOnWarning && r.outcome === 'succeeded with warnings') {
    throw new CliError(
      `pipeline ${pipeline} succeeded with warnings in Kitchen ${opts.kitchen} (--fail-on-warning)`,
      EXIT_FAILED,
    );
  }
}
