/**
 * Builds the CDK app from a validated config: one stack per environment, plus a Kitchen stack when the
 * `kitchen` context is set. Shared by bin/app.ts, the CLI, the benchmarks and the tests.
 */
import { App, STACK_RESOURCE_LIMIT_CONTEXT, Validations, type Stack } from 'aws-cdk-lib';
import { CloneExportStack, CloneImportStack } from '../constructs/clone/clone-transfer';
import { awsSolutionsChecks } from '../constructs/core/nag-checks';
import { templateLimitChecks } from '../constructs/core/template-limits';
import { EnvironmentStack } from '../constructs/environment/environment-stack';
import { cloneTransfers } from './clone/transfer';
import { KitchenHostStack } from '../constructs/kitchen/kitchen-host-stack';
import { KitchenStack } from '../constructs/kitchen/kitchen-stack';
import { KITCHEN_CONTEXT, KITCHENS_CONTEXT, kitchenOptions } from './kitchen/options';
import * as path from 'path';
import { PipelineBuilder } from './pipeline/builder';
import { loadPipelineFile } from './pipeline/loader';
import type { PipelineDefinition } from './pipeline/model';
import { ConfigError } from './config/errors';
import { relativeFile, type KitchensConfig } from './config/model';
import { FEATURE_FLAGS } from './feature-flags';
import { Names } from './naming';
import { builtinValidation } from './validation';
import { addDeploymentMarker, addDeploymentMetadata } from '../constructs/observability/deployment-marker';
import { deploymentCommit } from './observability/deployment';
import type { Pipeline } from '../constructs/pipeline/pipeline';
import { NAG_CONTEXT, PIPELINE_METADATA } from './kitchen/app-source';

/**
 * Records each compiled pipeline's model (as given, before its variables are rendered) on its state machine, in the
 * cloud assembly (`manifest.json`, not the template): the `kitchen` CLI reads the pipelines an app synthesized there.
 */
function recordPipelines(compiled: readonly Pipeline[], definitions: readonly PipelineDefinition[]): void {
  for (const pipeline of compiled) {
    const definition = definitions.find((d) => d.id === pipeline.definition.id);
    if (definition === undefined) continue;
    const resource = pipeline.stateMachine.node.defaultChild as { stateMachineName?: string };
    pipeline.stateMachine.node.addMetadata(PIPELINE_METADATA, {
      stateMachineName: resource.stateMachineName,
      definition,
    });
  }
}

/**
 * A pipeline given to `buildApp` in code: a `PipelineBuilder` (validated against the config's apps here), a
 * definition it already built, or the path of a pipeline file (relative to the config file).
 */
export type PipelineSource = PipelineBuilder | PipelineDefinition | string;

/** Options of `buildApp`. */
export interface BuildAppOptions {
  /**
   * Run the cdk-nag AwsSolutions checks during synth (findings fail the synth).
   * @default - true, unless the app's `kitchensNag` context is `false` (the `kitchen` CLI's read-only commands)
   */
  readonly nag?: boolean;
  /**
   * Which stacks the cdk-nag checks cover (with `nag` on): `library`, the stacks `buildApp` creates (a stack of your
   * own in the same app is not failed by them); `app`, every stack of the app, yours included.
   * @default 'library'
   */
  readonly nagScope?: 'library' | 'app';
  /**
   * Where the cloud assembly is written; used only when `buildApp` creates the app.
   * @default - the CDK default (`cdk.out`, or the directory the CDK CLI passes)
   */
  readonly outdir?: string;
  /**
   * Only build these environments.
   * @default - all
   */
  readonly environments?: readonly string[];
  /**
   * Context values for the app `buildApp` creates (`kitchen`, `kitchens`, Kitchen options), on top of the
   * feature flags; ignored when you pass your own app (set context on it instead).
   * @default - the feature flags only
   */
  readonly context?: Record<string, unknown>;
  /**
   * The clock Kitchen expiry defaults are computed from.
   * @default - now
   */
  readonly now?: Date;
  /**
   * Pipelines defined in code, deployed in every environment in addition to the files the config lists.
   * Pipeline ids must be unique across both.
   * @default - only the config's pipeline files
   */
  readonly pipelines?: readonly PipelineSource[];
}

/**
 * Loads and validates every pipeline file the config lists, then the pipelines given in code; container steps
 * must name an app of the config and pipeline ids must be unique.
 */
export function loadPipelines(config: KitchensConfig, extra: readonly PipelineSource[] = []): PipelineDefinition[] {
  const apps = config.apps.map((a) => a.name);
  const definitions = config.pipelines.map((file) => loadPipelineFile(file, { apps }));
  const problems: string[] = [];
  extra.forEach((source, i) => {
    const definition =
      typeof source === 'string'
        ? loadPipelineFile(path.resolve(path.dirname(config.file), source), { apps })
        : source instanceof PipelineBuilder
          ? source.build({ apps })
          : source;
    for (const step of definition.steps) {
      if (step.type === 'container' && !apps.includes(step.app)) {
        problems.push(
          `buildApp: pipelines[${i}] (${definition.source}) step "${step.id}" runs app ${JSON.stringify(step.app)}, ` +
            `which ${relativeFile(config)} does not declare; apps are: ${apps.join(', ')}`,
        );
      }
    }
    definitions.push(definition);
  });
  const seen = new Map<string, string>();
  for (const definition of definitions) {
    const first = seen.get(definition.id);
    if (first !== undefined) {
      problems.push(
        `buildApp: pipeline id ${JSON.stringify(definition.id)} is defined twice (${first} and ${definition.source}); ` +
          'pipeline ids must be unique',
      );
    }
    seen.set(definition.id, first ?? definition.source);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return definitions;
}

/** What `buildApp` made: the app and its stacks, by name. */
export interface BuiltApp {
  /** The app: the one given to `buildApp`, or the one it created. */
  readonly app: App;
  /** Release environment stacks, by environment name. */
  readonly environments: Readonly<Record<string, EnvironmentStack>>;
  /** Kitchen hosting stacks (the reaper), by environment name. */
  readonly kitchenHosts: Readonly<Record<string, KitchenHostStack>>;
  /** Kitchen stacks, by Kitchen name (from the `kitchen` or `kitchens` context). */
  readonly kitchens: Readonly<Record<string, KitchenStack>>;
}

/**
 * Builds the CDK app from a validated config (`loadConfig(file)`): one stack per environment, the Kitchen
 * hosting and clone transfer stacks, and a Kitchen stack per name in the `kitchen`/`kitchens` context.
 * Pass your own `app` to add these stacks to it (its context, including feature flags, is used as is).
 */
export function buildApp(config: KitchensConfig, options: BuildAppOptions = {}, app?: App): BuiltApp {
  // aws-cdk-lib's own 500-resource check (a throw naming resource types) is replaced, in the app created here, by
  // templateLimitChecks below, which names the construct scopes and covers every stack of the app.
  const replaceResourceLimit = app === undefined && options.context?.[STACK_RESOURCE_LIMIT_CONTEXT] === undefined;
  const theApp =
    app ??
    new App({
      outdir: options.outdir,
      context: {
        ...FEATURE_FLAGS,
        ...(replaceResourceLimit ? { [STACK_RESOURCE_LIMIT_CONTEXT]: 0 } : {}),
        ...options.context,
      },
      builtinCloudFormationValidation: builtinValidation(),
    });
  const pipelines = loadPipelines(config, options.pipelines);
  // The commit every stack records (template metadata; the environments' deployment marker): read once per app.
  let commit;
  try {
    commit = deploymentCommit((key) => theApp.node.tryGetContext(key), path.dirname(path.resolve(config.file)));
  } catch (e) {
    throw new ConfigError([(e as Error).message]);
  }
  const environments: Record<string, EnvironmentStack> = {};
  const hosts: Record<string, KitchenHostStack> = {};
  for (const environment of config.environments) {
    if (options.environments && !options.environments.includes(environment.name)) continue;
    const names = new Names({ project: config.project, environment: environment.name, account: environment.account });
    const stack = new EnvironmentStack(theApp, names.stackName, { config, environment, pipelines });
    addDeploymentMetadata(stack, commit);
    addDeploymentMarker(stack, names, commit);
    recordPipelines(stack.releaseEnvironment.pipelines, pipelines);
    environments[environment.name] = stack;
    if (environment.kitchens) {
      hosts[environment.name] = new KitchenHostStack(theApp, names.kitchensStackName, { config, environment });
    }
  }
  const cloneStacks: Stack[] = [];
  for (const transfer of cloneTransfers(config)) {
    if (options.environments && !options.environments.includes(transfer.target.name)) continue;
    const { sourceNames, targetNames } = transfer;
    cloneStacks.push(
      new CloneExportStack(theApp, `${sourceNames.stackName}-clone-to-${transfer.target.name}`, { transfer }),
      new CloneImportStack(theApp, `${targetNames.stackName}-clone-from-${transfer.source.name}`, { transfer }),
    );
  }
  const kitchens: Record<string, KitchenStack> = {};
  const context = (key: string): unknown => theApp.node.tryGetContext(key);
  const requested = [
    ...(typeof context(KITCHEN_CONTEXT.name) === 'string' ? [context(KITCHEN_CONTEXT.name) as string] : []),
    ...String(context(KITCHENS_CONTEXT) ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  ];
  for (const name of requested) {
    const kitchenContext: Record<string, unknown> = {};
    for (const key of Object.values(KITCHEN_CONTEXT)) kitchenContext[key] = context(key);
    kitchenContext[KITCHEN_CONTEXT.name] = name;
    const kitchenOpts = kitchenOptions(config, kitchenContext, options.now);
    const names = new Names({
      project: config.project,
      environment: kitchenOpts.environment.name,
      account: kitchenOpts.environment.account,
      kitchen: name,
    });
    kitchens[name] = new KitchenStack(theApp, names.stackName, { config, options: kitchenOpts, pipelines });
    addDeploymentMetadata(kitchens[name], commit);
    recordPipelines(kitchens[name].kitchen.pipelines, pipelines);
  }
  const own = [...Object.values(environments), ...Object.values(hosts), ...cloneStacks, ...Object.values(kitchens)];
  // Every synth: a stack made here over CloudFormation's 1 MB or 500-resource template limit fails it (template-limits.ts).
  Validations.of(theApp).addPlugins(templateLimitChecks(() => own, { resourcesOfEveryStack: replaceResourceLimit }));
  if (options.nag ?? (context(NAG_CONTEXT) !== false && context(NAG_CONTEXT) !== 'false')) {
    const scope = options.nagScope ?? 'library';
    if (scope !== 'library' && scope !== 'app') {
      throw new ConfigError([`buildApp: options.nagScope must be 'library' or 'app', got: ${JSON.stringify(scope)}`]);
    }
    // cdk-nag loads only when the checks run (tests, the CLI's in-process synths and the benches turn them off),
    // and its rules do not load the aws-cdk-lib service modules the app has no resource of (nag-checks.ts).
    // Plugins attach to the app; with the library scope the plugin checks only the stacks made here.
    Validations.of(theApp).addPlugins(awsSolutionsChecks(theApp, scope === 'library' ? () => own : undefined));
  }
  return { app: theApp, environments, kitchenHosts: hosts, kitchens };
}
