/**
 * Builds the CDK app from a validated config: one stack per environment, plus a Kitchen stack when the
 * `kitchen` context is set. Shared by bin/app.ts, the CLI, the benchmarks and the tests.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EnvironmentStack } from '../constructs/environment-stack';
import type { KitchensConfig } from './config/model';
import { FEATURE_FLAGS } from './feature-flags';
import { Names } from './naming';

export interface BuildAppOptions {
  /** Run the cdk-nag AwsSolutions checks during synth. @default true */
  readonly nag?: boolean;
  readonly outdir?: string;
  /** Only build these environments. @default - all */
  readonly environments?: readonly string[];
  readonly context?: Record<string, unknown>;
}

export interface BuiltApp {
  readonly app: App;
  readonly environments: Readonly<Record<string, EnvironmentStack>>;
}

export function buildApp(config: KitchensConfig, options: BuildAppOptions = {}, app?: App): BuiltApp {
  const theApp = app ?? new App({ outdir: options.outdir, context: { ...FEATURE_FLAGS, ...options.context } });
  const environments: Record<string, EnvironmentStack> = {};
  for (const environment of config.environments) {
    if (options.environments && !options.environments.includes(environment.name)) continue;
    const names = new Names({ project: config.project, environment: environment.name, account: environment.account });
    environments[environment.name] = new EnvironmentStack(theApp, names.stackName, { config, environment });
  }
  if (options.nag ?? true) {
    Validations.of(theApp).addPlugins(new AwsSolutionsChecks(theApp));
  }
  return { app: theApp, environments };
}
