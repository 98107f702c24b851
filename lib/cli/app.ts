/**
 * The user's CDK app for the commands that read it (`create`, `delete`, `run --local`, `history`, `metrics`, `align`,
 * `promote-report`): the global `--app` option, else the `app` of `cdk.json`, as the CDK CLI finds it. The commands
 * read the pipelines and stacks from the cloud assembly the app synthesized. The toolkit loads only when a command
 * synthesizes, after its arguments were checked.
 */
import type { Command } from 'commander';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import {
  describeApp,
  findStack,
  resolveAppSource,
  stackPipelines,
  type AppAssembly,
  type AppSource,
  type AssemblyPipeline,
} from '../kitchen/app-source';
import { Names } from '../naming';
import { CliError, EXIT_USAGE } from './errors';
import type { Output } from './output';
import { toolkitLog } from './commands/kitchen-progress';

/** The options every command can read from the program. */
export interface GlobalOptions {
  readonly config: string;
  readonly json?: boolean;
  readonly app?: string;
}

/**
 * The app the command works on (`--app`, else `cdk.json`); `modules` accepts a `.js`/`.ts` module exporting
 * `buildApp` (align, promote-report). Reads files only.
 */
export function appOf(program: Command, options: { readonly modules?: boolean } = {}): AppSource {
  return resolveAppSource(program.opts<GlobalOptions>().app, options);
}

/**
 * Synthesizes the app for reading (CDK validation and the cdk-nag checks of `buildApp` off: they change no template)
 * or reads the assembly `--app` names. Progress and the app's warnings go to stderr.
 */
export async function readApp(
  source: AppSource,
  config: KitchensConfig,
  output: Output,
  context: Readonly<Record<string, string>> = {},
): Promise<AppAssembly> {
  const { KitchenIoHost, kitchenToolkit, synthesizeApp } = await import('../kitchen/app-source');
  const log = toolkitLog(output);
  const ioHost = new KitchenIoHost((level, message) => {
    // The toolkit's own chatter about reading an assembly is not the user's business.
    if (level === 'error' || level === 'warn') log(level, message);
  });
  output.progress(
    source.kind === 'assembly' ? `reading ${describeApp(source)}...` : `synthesizing ${describeApp(source)}...`,
  );
  return synthesizeApp(
    { source, config, passConfig: true, context, readOnly: true },
    await kitchenToolkit(ioHost),
    ioHost,
  );
}

/** The stack name of an environment, as `buildApp` names it. */
export function environmentStackName(config: KitchensConfig, env: EnvironmentConfig, kitchen?: string): string {
  return new Names({ project: config.project, environment: env.name, account: env.account, kitchen }).stackName;
}

/** The pipelines the app compiled into an environment's stack (or a Kitchen's), from the assembly's metadata. */
export function appPipelines(
  app: AppAssembly,
  config: KitchensConfig,
  env: EnvironmentConfig,
  kitchen?: string,
): AssemblyPipeline[] {
  const stackName = environmentStackName(config, env, kitchen);
  const what = kitchen === undefined ? `environment ${env.name}` : `Kitchen ${kitchen} in ${env.name}`;
  return stackPipelines(findStack(app, stackName, what));
}

/** The pipeline `id` of an environment's stack in the app, or an error listing the pipelines the app has there. */
export function appPipeline(
  app: AppAssembly,
  config: KitchensConfig,
  env: EnvironmentConfig,
  id: string,
  command: string,
): AssemblyPipeline {
  const pipelines = appPipelines(app, config, env);
  const found = pipelines.find((p) => p.definition.id === id);
  if (!found) {
    throw new CliError(
      `${command}: no pipeline ${JSON.stringify(id)} in ${describeApp(app.source)} (stack ${environmentStackName(
        config,
        env,
      )}); pipelines are: ${pipelines.map((p) => p.definition.id).join(', ') || 'none'}`,
      EXIT_USAGE,
    );
  }
  return found;
}
