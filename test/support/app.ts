import * as path from 'path';
import { CfnElement, Stack } from 'aws-cdk-lib';
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

/**
 * Logical id -> construct path below the stack, from the construct tree (what lib/align reads from the cloud
 * assembly's aws:cdk:logicalId metadata): the alignment gate matches declared divergence such as `schedules` by it.
 */
export function constructPathsOf(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (!CfnElement.isCfnElement(construct) || Stack.of(construct) !== stack) continue;
    paths.set(stack.resolve(construct.logicalId) as string, construct.node.path.slice(stack.node.path.length + 1));
  }
  return paths;
}
