import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, BuiltApp } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import type { KitchensConfig } from '../../lib/config/model';

export const EXAMPLE_CONFIG = path.join(__dirname, '..', '..', 'kitchens.config.yaml');

export function exampleConfig(): KitchensConfig {
  return loadConfig(EXAMPLE_CONFIG);
}

/** Builds the app without cdk-nag (nag has its own test) and returns one Template per environment. */
export function synthEnvironments(config: KitchensConfig = exampleConfig()): {
  built: BuiltApp;
  templates: Record<string, Template>;
} {
  const built = buildApp(config, { nag: false });
  const templates: Record<string, Template> = {};
  for (const [name, stack] of Object.entries(built.environments)) {
    templates[name] = Template.fromStack(stack);
  }
  return { built, templates };
}
