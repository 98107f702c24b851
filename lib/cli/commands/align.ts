import * as path from 'path';
import type { Command } from 'commander';
import type { AppBuilder } from '../../align/check';
import { loadConfig } from '../../config/loader';
import type { KitchensConfig } from '../../config/model';
import { kitchenNameProblem } from '../../naming';
import { CliError, EXIT_FAILED, EXIT_USAGE } from '../errors';
import { Output } from '../output';

export interface AlignOptions {
  readonly from?: string;
  readonly to?: string;
  readonly app?: string;
  readonly kitchen?: string;
  readonly env?: string;
}

/** Loads `--app MODULE`: a module exporting `buildApp(config, options)` like lib/app.ts (drift fixtures, custom apps). */
export function loadAppBuilder(module: string | undefined): AppBuilder | undefined {
  if (module === undefined) return undefined;
  const file = path.resolve(module);
  let loaded: { buildApp?: unknown; default?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as typeof loaded;
  } catch (e) {
    throw new CliError(
      `--app ${module}: cannot load the module (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
      EXIT_USAGE,
    );
  }
  const build = loaded.buildApp ?? loaded.default;
  if (typeof build !== 'function') {
    throw new CliError(
      `--app ${module}: the module must export a function buildApp(config, options), like lib/app.ts`,
      EXIT_USAGE,
    );
  }
  return build as AppBuilder;
}

/** Runs a synthesizing step; a failure to build the app is bad input (exit 2), not a service error. */
export function synthesizing<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${what}: ${e instanceof Error ? e.message : String(e)}`, EXIT_USAGE);
  }
}

function alignKitchen(opts: AlignOptions, config: KitchensConfig, build: AppBuilder | undefined, output: Output): void {
  if (opts.from !== undefined || opts.to !== undefined) {
    throw new CliError(
      'kitchen align: --kitchen compares a Kitchen with its own environment; leave out --from and --to',
      EXIT_USAGE,
    );
  }
  const problem = kitchenNameProblem(
    opts.kitchen!,
    config.environments.map((e) => e.name),
  );
  if (problem) throw new CliError(`--kitchen: ${problem}`, EXIT_USAGE);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { checkKitchenAlignment, renderKitchenAlignmentText } = require('../../align') as typeof import('../../align');
  output.progress(`synthesizing Kitchen ${opts.kitchen} and its environment (cdk-nag and CDK validation off)...`);
  const result = synthesizing('kitchen align', () =>
    checkKitchenAlignment({ config, kitchen: opts.kitchen!, context: opts.env ? { kitchenEnv: opts.env } : {}, build }),
  );
  output.result(result, () => renderKitchenAlignmentText(result));
  if (!result.aligned) {
    throw new CliError(
      `Kitchen ${result.kitchen} is not aligned with ${result.environment}: ${result.differences.length} difference(s)`,
      EXIT_FAILED,
    );
  }
}

/** `kitchen align [--from ENV] [--to ENV] [--app MODULE]`: exit 0 aligned, 1 undeclared drift, 2 error. */
export function register(program: Command): void {
  program
    .command('align')
    .description(
      'check that development and production differ only in identity and declared divergence (exit 1 on drift)',
    )
    .option('--from <environment>', 'environment to check (default: the development environment that hosts Kitchens)')
    .option('--to <environment>', 'environment to compare with (default: the production environment)')
    .option('--app <module>', 'module exporting buildApp(config, options) to synthesize instead of the bundled app')
    .option('--kitchen <name>', "check a Kitchen's pipeline copies against its environment's pipelines instead")
    .option('--env <environment>', 'with --kitchen: the development environment of the Kitchen')
    .action((opts: AlignOptions) => {
      const global = program.opts<{ config: string; json?: boolean }>();
      const output = new Output(global);
      // a development field that differs from production undeclared is drift to report (exit 1), not bad input
      const config = loadConfig(global.config, { undeclaredDivergence: 'allow' });
      const build = loadAppBuilder(opts.app);
      if (opts.kitchen !== undefined) {
        alignKitchen(opts, config, build, output);
        return;
      }
      if (opts.env !== undefined) {
        throw new CliError(
          'kitchen align: --env goes with --kitchen NAME; compare environments with --from and --to',
          EXIT_USAGE,
        );
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { checkAlignment, renderAlignmentText } = require('../../align') as typeof import('../../align');
      output.progress('synthesizing both environments (cdk-nag and CDK validation off)...');
      const result = synthesizing('kitchen align', () =>
        checkAlignment({ config, from: opts.from, to: opts.to, build }),
      );
      output.result(result, () => renderAlignmentText(result));
      if (!result.aligned) {
        throw new CliError(
          `${result.from} and ${result.to} are not aligned: ${result.counts.drift} undeclared difference(s)`,
          EXIT_FAILED,
        );
      }
    });
}
