import * as path from 'path';
import { CfnElement, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, BuiltApp } from '../../lib/app';
import { ConfigError, loadConfig, parseConfig } from '../../lib/config';
import type { KitchensConfig } from '../../lib/config/model';
import { stackTemplate } from '../../lib/templates';

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
    templates[name] = foldedTemplate(stack);
  }
  return { built, templates };
}

/**
 * Logical id -> construct path below the stack, from the construct tree (what lib/align reads from the cloud
 * assembly's aws:cdk:logicalId metadata): the alignment gate matches declared divergence such as `schedules` by it.
 */
export function constructPathsOf(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  const outermost = (s: Stack): Stack => (s.nestedStackParent ? outermost(s.nestedStackParent) : s);
  for (const construct of stack.node.findAll()) {
    // resources of nested stacks (pipelines) too: the readers fold them into their parent (lib/templates.ts)
    if (!CfnElement.isCfnElement(construct) || outermost(Stack.of(construct)) !== stack) continue;
    const logicalId = Stack.of(construct).resolve(construct.logicalId) as string;
    paths.set(logicalId, construct.node.path.slice(stack.node.path.length + 1));
  }
  return paths;
}

/**
 * A stack's template as the readers of lib/templates.ts see it: synthesized with its app, nested stacks (pipelines)
 * folded in and stored state machine definitions inlined as DefinitionString.
 */
export function foldedTemplate(stack: Stack): Template {
  const assembly = Stage.of(stack)!.synth();
  return Template.fromJSON(stackTemplate(assembly.getStackArtifact(stack.artifactId)), {
    skipCyclicalDependenciesCheck: true,
  });
}

/** The problems the loader reports for a raw config document given as the bundled example's file; fails if none. */
export function exampleConfigProblems(raw: unknown): string[] {
  try {
    parseConfig(raw, EXAMPLE_CONFIG);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}
