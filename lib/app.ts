/**
 * Builds the CDK app from a validated config: one stack per environment, plus a Kitchen stack when the
 * `kitchen` context is set. Shared by bin/app.ts, the CLI, the benchmarks and the tests.
 */
import { App, Validations } from 'aws-cdk-lib';
import type { AwsSolutionsChecks } from 'cdk-nag';
import { CloneExportStack, CloneImportStack } from '../constructs/clone/clone-transfer';
import { EnvironmentStack } from '../constructs/environment/environment-stack';
import { cloneTransfers } from './clone/transfer';
import { KitchenHostStack } from '../constructs/kitchen/kitchen-host-stack';
import { KitchenStack } from '../constructs/kitchen/kitchen-stack';
import { KITCHEN_CONTEXT, KITCHENS_CONTEXT, kitchenOptions } from './kitchen/options';
import { loadPipelineFile } from './pipeline/loader';
import type { PipelineDefinition } from './pipeline/model';
import type { KitchensConfig } from './config/model';
import { FEATURE_FLAGS } from './feature-flags';
import { Names } from './naming';
import { builtinValidation } from './validation';

export interface BuildAppOptions {
  /** Run the cdk-nag AwsSolutions checks during synth. @default true */
  readonly nag?: boolean;
  readonly outdir?: string;
  /** Only build these environments. @default - all */
  readonly environments?: readonly string[];
  readonly context?: Record<string, unknown>;
  /** The clock Kitchen expiry defaults are computed from. @default - now */
  readonly now?: Date;
}

/** Loads and validates every pipeline file the config lists. */
export function loadPipelines(config: KitchensConfig): PipelineDefinition[] {
  return config.pipelines.map((file) => loadPipelineFile(file, { apps: config.apps.map((a) => a.name) }));
}

export interface BuiltApp {
  readonly app: App;
  readonly environments: Readonly<Record<string, EnvironmentStack>>;
  /** Kitchen hosting stacks (the reaper), by environment name. */
  readonly kitchenHosts: Readonly<Record<string, KitchenHostStack>>;
  /** Kitchen stacks, by Kitchen name (from the `kitchen` or `kitchens` context). */
  readonly kitchens: Readonly<Record<string, KitchenStack>>;
}

export function buildApp(config: KitchensConfig, options: BuildAppOptions = {}, app?: App): BuiltApp {
  const theApp =
    app ??
    new App({
      outdir: options.outdir,
      context: { ...FEATURE_FLAGS, ...options.context },
      builtinCloudFormationValidation: builtinValidation(),
    });
  const pipelines = loadPipelines(config);
  const environments: Record<string, EnvironmentStack> = {};
  const hosts: Record<string, KitchenHostStack> = {};
  for (const environment of config.environments) {
    if (options.environments && !options.environments.includes(environment.name)) continue;
    const names = new Names({ project: config.project, environment: environment.name, account: environment.account });
    environments[environment.name] = new EnvironmentStack(theApp, names.stackName, { config, environment, pipelines });
    if (environment.kitchens) {
      hosts[environment.name] = new KitchenHostStack(theApp, names.kitchensStackName, { config, environment });
    }
  }
  for (const transfer of cloneTransfers(config)) {
    if (options.environments && !options.environments.includes(transfer.target.name)) continue;
    const { sourceNames, targetNames } = transfer;
    new CloneExportStack(theApp, `${sourceNames.stackName}-clone-to-${transfer.target.name}`, { transfer });
    new CloneImportStack(theApp, `${targetNames.stackName}-clone-from-${transfer.source.name}`, { transfer });
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
  }
  if (options.nag ?? true) {
    // cdk-nag, and the aws-cdk-lib service modules its rules import (QuickSight, SageMaker, Glue...), load only
    // when the checks run: tests, the CLI's in-process synths and the benches turn them off.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nag = require('cdk-nag') as { AwsSolutionsChecks: typeof AwsSolutionsChecks };
    Validations.of(theApp).addPlugins(new nag.AwsSolutionsChecks(theApp));
  }
  return { app: theApp, environments, kitchenHosts: hosts, kitchens };
}
