/**
 * The user's CDK app as every synthesizing `kitchen` command sees it, found the way the CDK CLI finds it: `--app`
 * (a command, or a cloud assembly directory), else the `app` of `cdk.json` in the working directory. `kitchen align`
 * and `kitchen promote-report` also accept a module exporting `buildApp` (their earlier form). The app is
 * synthesized through the CDK Toolkit Library (`@aws-cdk/toolkit-lib`) and the commands read what it produced: the
 * cloud assembly is the model the CLI reads. No aws-cdk-lib import here: the toolkit loads inside `synthesizeApp`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type {
  AssemblyBuilder,
  FromAssemblyBuilderOptions,
  FromCdkAppOptions,
  ICloudAssemblySource,
  IIoHost,
  IoMessage,
  IoMessageLevel,
  IoRequest,
  SynthOptions,
} from '@aws-cdk/toolkit-lib';
import type { BuildAppOptions, BuiltApp } from '../app';
import { CliError, EXIT_FAILED, EXIT_USAGE } from '../cli/errors';
import { ConfigError } from '../config/errors';
import type { KitchensConfig } from '../config/model';
import type { PipelineDefinition } from '../pipeline/model';
import { stackTemplate } from '../templates';

/** Where the app was found: the `cdk.json` file that names it, or the `--app` option. */
export type AppOrigin = { readonly cdkJson: string } | '--app';

/** A CDK app, as `--app` or `cdk.json` gives it. */
export type AppSource =
  /** A command that synthesizes into `$CDK_OUTDIR`, run in `workingDirectory` (the CDK CLI's `--app COMMAND`). */
  | {
      readonly kind: 'command';
      readonly command: string;
      readonly workingDirectory: string;
      readonly origin: AppOrigin;
    }
  /** A cloud assembly synthesized before (the CDK CLI's `--app cdk.out`): read as it is, no context applied. */
  | { readonly kind: 'assembly'; readonly directory: string; readonly origin: '--app' }
  /** A module exporting `buildApp(config, options)`, built in this process (`align`, `promote-report`). */
  | { readonly kind: 'module'; readonly module: string; readonly origin: '--app' }
  /** This package's own `buildApp`, built in this process from the config (the library's default, tests). */
  | { readonly kind: 'buildApp' };

/** Builds the CDK app for a config: `buildApp` or a module's export of the same shape. */
export type AppBuilder = (config: KitchensConfig, options: BuildAppOptions) => BuiltApp;

const MODULE_FILE = /\.(c|m)?(j|t)s$/;

/** How the app was found, for messages: `the app "node bin/app.js" (the "app" of /work/shop/cdk.json)`. */
export function describeApp(source: AppSource): string {
  switch (source.kind) {
    case 'command':
      return `the app ${JSON.stringify(source.command)} (${
        source.origin === '--app' ? '--app' : `the "app" of ${source.origin.cdkJson}`
      })`;
    case 'assembly':
      return `the cloud assembly ${source.directory} (--app)`;
    case 'module':
      return `the module ${source.module} (--app)`;
    case 'buildApp':
      return 'buildApp(config) in this process';
  }
}

export interface ResolveAppOptions {
  /** @default process.cwd() */
  readonly cwd?: string;
  /** Accept a `.js`/`.ts` module exporting `buildApp` (align, promote-report). @default false */
  readonly modules?: boolean;
}

/**
 * The app a command works on: `--app` when given (a cloud assembly directory, a module when `modules` allows it,
 * otherwise a command), else the `app` of `cdk.json` in the working directory. Reads files only: nothing runs.
 */
export function resolveAppSource(app: string | undefined, options: ResolveAppOptions = {}): AppSource {
  const cwd = options.cwd ?? process.cwd();
  if (app !== undefined) {
    const value = app.trim();
    if (value === '') {
      throw new CliError(
        '--app must be a command (such as "npx ts-node bin/app.ts") or a cloud assembly directory, got: ""',
        EXIT_USAGE,
      );
    }
    const file = path.resolve(cwd, value);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      if (!fs.existsSync(path.join(file, 'manifest.json'))) {
        throw new CliError(
          `--app ${value}: the directory is not a cloud assembly (it has no manifest.json); give a directory ` +
            '`cdk synth` wrote (such as cdk.out) or a command that synthesizes the app',
          EXIT_USAGE,
        );
      }
      return { kind: 'assembly', directory: file, origin: '--app' };
    }
    if (options.modules === true && MODULE_FILE.test(value) && !/\s/.test(value)) {
      if (!fs.existsSync(file)) {
        throw new CliError(`--app ${value}: the module does not exist (looked for ${file})`, EXIT_USAGE);
      }
      return { kind: 'module', module: file, origin: '--app' };
    }
    return { kind: 'command', command: value, workingDirectory: cwd, origin: '--app' };
  }
  const cdkJson = path.join(cwd, 'cdk.json');
  if (!fs.existsSync(cdkJson)) {
    throw new CliError(
      `no CDK app to read: there is no cdk.json in ${cwd} and no --app was given; run kitchen in your CDK app's ` +
        'directory, or give --app COMMAND (such as "npx ts-node bin/app.ts") or --app DIRECTORY (a cloud assembly)',
      EXIT_USAGE,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(cdkJson, 'utf8'));
  } catch (e) {
    throw new CliError(`${cdkJson}: not valid JSON (${(e as Error).message})`, EXIT_USAGE);
  }
  const command = (parsed as { app?: unknown } | null)?.app;
  if (typeof command !== 'string' || command.trim() === '') {
    throw new CliError(
      `${cdkJson}: "app" must be the command that synthesizes your CDK app (such as "npx ts-node bin/app.ts"), ` +
        `got: ${JSON.stringify(command ?? null)}`,
      EXIT_USAGE,
    );
  }
  return { kind: 'command', command: command.trim(), workingDirectory: cwd, origin: { cdkJson } };
}

/** Loads a `--app` module exporting `buildApp(config, options)` like lib/app.ts (drift fixtures, custom apps). */
export function loadAppModule(file: string): AppBuilder {
  let loaded: { buildApp?: unknown; default?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as typeof loaded;
  } catch (e) {
    throw new CliError(
      `--app ${file}: cannot load the module (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
      EXIT_USAGE,
    );
  }
  const build = loaded.buildApp ?? loaded.default;
  if (typeof build !== 'function') {
    throw new CliError(
      `--app ${file}: the module must export a function buildApp(config, options), like lib/app.ts`,
      EXIT_USAGE,
    );
  }
  return build as AppBuilder;
}

/** A stack of a synthesized assembly, as far as the CLI reads it. */
export interface AssemblyStack {
  readonly stackName: string;
  readonly hierarchicalId: string;
  readonly template: { readonly Resources?: Readonly<Record<string, unknown>> };
  /** The assembly the stack belongs to: where its nested templates and stored definitions are read. */
  readonly assembly?: { readonly directory: string };
  /** The stack's metadata entries of a type (manifest.json). */
  findMetadataByType?(type: string): { readonly path: string; readonly data?: unknown }[];
}

/** What `Toolkit.synth` returns (a CachedCloudAssembly), as far as the CLI reads it. */
export interface SynthesizedAssembly extends ICloudAssemblySource {
  readonly cloudAssembly: {
    readonly directory?: string;
    readonly stacksRecursively: readonly AssemblyStack[];
  };
  dispose(): Promise<void>;
}

/** The part of the toolkit's `Toolkit` the CLI uses to get an assembly; tests inject a fake. */
export interface AssemblyToolkit {
  fromAssemblyBuilder(builder: AssemblyBuilder, props?: FromAssemblyBuilderOptions): Promise<ICloudAssemblySource>;
  fromCdkApp?(app: string, props?: FromCdkAppOptions): Promise<ICloudAssemblySource>;
  fromAssemblyDirectory?(directory: string): Promise<ICloudAssemblySource>;
  synth(cx: ICloudAssemblySource, options?: SynthOptions): Promise<SynthesizedAssembly>;
}

/** Receives the toolkit's messages (progress, warnings, the app's own output); the CLI prints them on stderr. */
export type ToolkitLog = (level: IoMessageLevel, message: string) => void;

/**
 * An IoHost that hands every message above debug to `log`, keeps the app's own error output (the lines it wrote
 * to stderr) for the failure message, and answers every question with its default.
 */
export class KitchenIoHost implements IIoHost {
  /** Lines the app wrote to stderr while it synthesized (toolkit message CDK_ASSEMBLY_E1002). */
  readonly appErrorLines: string[] = [];
  /** While true (a synth), only warnings and errors reach `log`: not the toolkit's synth summary. */
  quiet = false;

  constructor(private readonly log: ToolkitLog) {}

  async notify(msg: IoMessage<unknown>): Promise<void> {
    const text = msg.message.replace(/\u001b\[[0-9;]*m/g, '').trimEnd();
    if (msg.code === 'CDK_ASSEMBLY_E1002') {
      this.appErrorLines.push(text);
      return;
    }
    if (msg.level === 'debug' || msg.level === 'trace') return;
    if (this.quiet && msg.level !== 'error' && msg.level !== 'warn') return;
    if (text.length > 0) this.log(msg.level, text);
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    // The CLI confirms before it calls the toolkit (kitchen delete); the toolkit's own prompts take their default.
    await this.notify(msg);
    return msg.defaultResponse;
  }
}

export interface SynthesizeAppRequest {
  /** @default - `{ kind: 'buildApp' }` */
  readonly source?: AppSource;
  /** The config the CLI read (`--config`); a module builds from it, a command gets it as the `config` context. */
  readonly config: KitchensConfig;
  /** Give the config to a command as the `config` context (the bundled app reads it). @default false */
  readonly passConfig?: boolean;
  /** Context on top of the app's own (`cdk.json`, `cdk.context.json`), as `cdk synth -c KEY=VALUE` gives it. */
  readonly context?: Readonly<Record<string, string>>;
  /** Context lookups (they need credentials). @default false */
  readonly lookups?: boolean;
  /**
   * Read-only use (run, history, metrics, align, promote-report): CDK's built-in CloudFormation validation and the
   * cdk-nag checks of `buildApp` are off (they change no template). Off for create and delete, which synthesize
   * exactly as `cdk deploy` does. @default false
   */
  readonly readOnly?: boolean;
  /** Only these environments, for an app built in this process (the Kitchen commands build none). @default - all */
  readonly environments?: readonly string[];
  /** cdk-nag checks, for an app built in this process. @default - on, off when `readOnly` */
  readonly nag?: boolean;
  readonly now?: Date;
}

export interface AppAssembly {
  /** The synthesized assembly: the source the toolkit deploys from, and the manifest's stacks. */
  readonly assembly: SynthesizedAssembly;
  readonly source: AppSource;
  dispose(): Promise<void>;
}

/** The Toolkit the CLI uses: credentials from --profile / the environment when `aws` is given, none otherwise. */
export async function kitchenToolkit(
  ioHost: KitchenIoHost,
  aws?: { readonly profile?: string; readonly region?: string },
): Promise<import('@aws-cdk/toolkit-lib').Toolkit> {
  const tk = await import('@aws-cdk/toolkit-lib');
  return new tk.Toolkit({
    ioHost,
    color: false,
    emojis: false,
    sdkConfig: {
      baseCredentials: aws
        ? tk.BaseCredentials.awsCliCompatible({ profile: aws.profile, defaultRegion: aws.region })
        : tk.BaseCredentials.none(),
    },
  });
}

/** The context key `buildApp` reads to leave out its cdk-nag checks (`-c kitchensNag=false`): read-only commands. */
export const NAG_CONTEXT = 'kitchensNag';

/** Synthesizes (or reads) the app and returns its cloud assembly; failures name the app and how it was found. */
export async function synthesizeApp(
  request: SynthesizeAppRequest,
  toolkit: AssemblyToolkit,
  ioHost?: KitchenIoHost,
): Promise<AppAssembly> {
  const source = request.source ?? { kind: 'buildApp' };
  const context: Record<string, string> = { ...request.context };
  if (request.readOnly === true) context[NAG_CONTEXT] = 'false';
  let cx: ICloudAssemblySource;
  let outdir: string | undefined;
  if (source.kind === 'assembly') {
    if (toolkit.fromAssemblyDirectory === undefined) throw new Error('this toolkit cannot read an assembly');
    cx = await toolkit.fromAssemblyDirectory(source.directory);
  } else if (source.kind === 'command') {
    if (toolkit.fromCdkApp === undefined) throw new Error('this toolkit cannot run an app');
    const { CdkAppMultiContext } = await import('@aws-cdk/toolkit-lib');
    if (request.passConfig === true) context.config = path.resolve(request.config.file);
    cx = await toolkit.fromCdkApp(source.command, {
      workingDirectory: source.workingDirectory,
      // cdk.json, cdk.context.json and ~/.cdk.json, then the command line's context: what `cdk synth -c` reads.
      contextStore: new CdkAppMultiContext(source.workingDirectory, context),
      // A private output directory: the user's own cdk.out (and its lock) is left alone.
      outdir: (outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchen-app-'))),
      disposeOutdir: true,
      lookups: request.lookups ?? false,
      // With credentials (create, delete), the app gets CDK_DEFAULT_ACCOUNT/REGION as `cdk deploy` gives them.
      resolveDefaultEnvironment: request.lookups ?? false,
      // Read-only: the templates as the app builds them, without the toolkit's additions (path and asset metadata,
      // the version-reporting resource), as an in-process build or an app run with only CDK_CONTEXT_JSON gives them.
      ...(request.readOnly === true
        ? { synthOptions: { validation: false, pathMetadata: false, assetMetadata: false, versionReporting: false } }
        : {}),
    });
  } else {
    const build: AppBuilder =
      source.kind === 'module' ? loadAppModule(source.module) : (await import('../app')).buildApp;
    const { MemoryContext } = await import('@aws-cdk/toolkit-lib');
    const builder: AssemblyBuilder = async (props) => {
      const { app } = build(request.config, {
        outdir: props.outdir,
        context: props.context,
        nag: request.nag ?? request.readOnly !== true,
        environments: request.environments,
        now: request.now,
      });
      return app.synth() as unknown as Awaited<ReturnType<AssemblyBuilder>>;
    };
    cx = await toolkit.fromAssemblyBuilder(builder, {
      contextStore: new MemoryContext({ ...context }),
      resolveDefaultEnvironment: false,
      lookups: request.lookups ?? false,
      clobberEnv: false,
    });
  }
  const validation = process.env.CDK_VALIDATION;
  if (source.kind !== 'command' && request.readOnly === true) process.env.CDK_VALIDATION = 'false';
  let assembly: SynthesizedAssembly;
  if (ioHost) ioHost.quiet = true;
  try {
    assembly = await toolkit.synth(cx);
  } catch (e) {
    // the toolkit removes the output directory with the assembly; a failed synth leaves no assembly to dispose
    if (outdir !== undefined) fs.rmSync(outdir, { recursive: true, force: true });
    throw synthesisError(source, e, ioHost?.appErrorLines ?? []);
  } finally {
    if (ioHost) ioHost.quiet = false;
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
  }
  return { assembly, source, dispose: () => assembly.dispose() };
}

/** How many of the app's own error lines a failure shows. */
const APP_ERROR_LINES = 12;

/**
 * The app could not be run or did not synthesize: say which app, how it was found, and its own first error lines.
 * cdk-nag findings stop a synth as `cdk deploy` does (exit code 1); any other failure is the app's input (2).
 */
export function synthesisError(source: AppSource, e: unknown, appErrorLines: readonly string[]): Error {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof ConfigError || cause instanceof CliError) return cause;
  const toolkitMessage = e instanceof Error ? e.message : String(e);
  const causeMessage = cause instanceof Error ? cause.message : '';
  const lines = (appErrorLines.length > 0 ? appErrorLines : causeMessage.split('\n'))
    .map((l) => l.trimEnd())
    // the app's own words, not the stack frames of its error
    .filter((l) => l.trim() !== '' && !/^\s*at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)( \{)?$/.test(l));
  const shown = lines.slice(0, APP_ERROR_LINES);
  const more = lines.length > shown.length ? [`  | ... (${lines.length - shown.length} more lines)`] : [];
  if (/Synthesis finished with errors/.test(toolkitMessage)) {
    // The app ran; error annotations (cdk-nag findings among them, printed above) stop the synth as `cdk deploy` does.
    return new CliError(
      `${describeApp(source)} synthesized with errors (printed above): cdk-nag findings and other error annotations ` +
        'stop the synth, as cdk deploy does',
      EXIT_FAILED,
    );
  }
  const nag = lines.some((l) => /AwsSolutions-[A-Za-z]+\d+/.test(l)) && /Validation failed/i.test(lines.join('\n'));
  const head =
    source.kind === 'assembly'
      ? `${describeApp(source)} could not be read: ${toolkitMessage}${causeMessage ? ` (${causeMessage})` : ''}`
      : `${describeApp(source)} failed to synthesize${
          source.kind === 'command' ? ` in ${source.workingDirectory}` : ''
        }: ${lines.length > 0 ? 'its first error lines:' : toolkitMessage}`;
  return new CliError([head, ...shown.map((l) => `  | ${l}`), ...more].join('\n'), nag ? EXIT_FAILED : EXIT_USAGE);
}

/** The metadata type `buildApp` records each pipeline's model under, on its state machine (manifest.json). */
export const PIPELINE_METADATA = 'kitchens:pipeline';

/** A pipeline as the assembly records it: its model, the stack and the state machine it compiled to. */
export interface AssemblyPipeline {
  readonly stackName: string;
  /** The construct path of the state machine the metadata sits on. */
  readonly path: string;
  readonly stateMachineName: string;
  readonly definition: PipelineDefinition;
}

interface PipelineMetadata {
  readonly stateMachineName: string;
  readonly definition: PipelineDefinition;
}

/** Every pipeline of a stack of the assembly, from the metadata `buildApp` records on its state machines. */
export function stackPipelines(stack: AssemblyStack): AssemblyPipeline[] {
  const names = new Set(
    Object.values(stackTemplate(stack).Resources ?? {})
      .map((r) => r as { Type?: string; Properties?: { StateMachineName?: unknown } })
      .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map((r) => r.Properties?.StateMachineName),
  );
  return (stack.findMetadataByType?.(PIPELINE_METADATA) ?? [])
    .map((entry) => ({ path: entry.path, ...(entry.data as PipelineMetadata) }))
    .filter((p) => names.has(p.stateMachineName))
    .map((p) => ({
      stackName: stack.stackName,
      path: p.path,
      stateMachineName: p.stateMachineName,
      definition: p.definition,
    }));
}

/** The stack named `stackName` of the assembly, or a clear error naming the app and the stacks it has. */
export function findStack(app: AppAssembly, stackName: string, what: string, hint = ''): AssemblyStack {
  const stacks = app.assembly.cloudAssembly.stacksRecursively;
  const stack = stacks.find((s) => s.stackName === stackName);
  if (!stack) {
    throw new CliError(
      `${describeApp(app.source)} has no stack ${stackName} (${what}); its stacks are: ${
        stacks.map((s) => s.stackName).join(', ') || 'none'
      }${hint}`,
      EXIT_USAGE,
    );
  }
  return stack;
}
