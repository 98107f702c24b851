/**
 * CloudFormation's template limits, checked at synth: a stack whose template is over 1,000,000 bytes or 500 resources
 * fails `cdk synth` (and `app.synth()`) naming the stack, the number against the limit and its largest contributors,
 * instead of synthesizing and failing at deploy (or in cfn-lint, E1002).
 *
 * Why a validation plugin: the size CloudFormation counts is the template file the stack synthesizer writes
 * (`JSON.stringify(template, undefined, 1)`; the toolkit uploads that file as the template asset), and that file only
 * exists after synthesis. An aspect or a construct validation would have to resolve and serialize every template a
 * second time (for a 1 MB template that costs about as much as the synthesis itself); a plugin runs after the files are
 * written, so the size is one `stat`, and the resource count one `JSON.parse` of a file that is already in the page
 * cache. The top contributors are computed only for a stack that fails. Error annotations cannot be used: they are
 * collected into the manifest while the stack synthesizes, before the template exists. A plugin that reports a
 * failure makes `app.synth()` throw with the report (in-process apps) and `cdk synth` exit non-zero with it printed.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CfnResource,
  NestedStack,
  Stack,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** CloudFormation quotas of one template (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). */
export const TEMPLATE_LIMITS = {
  /** Template body uploaded to S3, bytes. */
  bytes: 1_000_000,
  /** Resources declared in one template. */
  resources: 500,
} as const;

/**
 * What to do about it: each pipeline is a nested stack of its own (constructs/pipeline/pipeline-stack.ts) with its
 * definitions stored as assets, so what is left in a stack is its own resources and a few per pipeline.
 */
const ADVICE =
  'Deploy fewer pipelines or resources in this stack (each pipeline is a nested stack; its parent holds the nested ' +
  "stack and the pipeline's alarms, metric filters and dashboard widgets)";

/** How many contributors a refusal names. */
const TOP = 5;

type Violation = PolicyValidationPluginReport['violations'][number];

interface Template {
  readonly Resources?: Record<string, { readonly Type?: string }>;
}

/** Bytes of a number with thousands separators, as the messages and the docs write them. */
function n(value: number): string {
  return value.toLocaleString('en-US');
}

/** The message for a template over the size limit: the stack, its bytes against the limit, its 5 largest resources. */
export function sizeProblem(stackName: string, bytes: number, template: Template): string {
  const largest = Object.entries(template.Resources ?? {})
    .map(([id, resource]) => ({
      id,
      type: resource.Type ?? '?',
      bytes: Buffer.byteLength(JSON.stringify(resource, undefined, 1)),
    }))
    .sort((a, b) => b.bytes - a.bytes || a.id.localeCompare(b.id))
    .slice(0, TOP)
    .map((r) => `${r.id} (${r.type}) ${n(r.bytes)} bytes`);
  return (
    `stack ${stackName}: the template is ${n(bytes)} bytes; CloudFormation allows at most ${n(TEMPLATE_LIMITS.bytes)}. ` +
    `Largest resources: ${largest.join(', ')}. ${ADVICE}`
  );
}

/** The construct scope a resource is counted under: its first two path segments below the stack. */
function scopeOf(resource: IConstruct, stack: Stack): string {
  const below = resource.node.scopes.slice(stack.node.scopes.length);
  return below
    .slice(0, Math.min(2, below.length - 1) || 1)
    .map((c) => c.node.id)
    .join('/');
}

/** The message for a template over the resource limit: the stack, its count against the limit, its largest scopes. */
export function resourceProblem(stackName: string, count: number, stack?: Stack): string {
  const scopes = new Map<string, number>();
  if (stack) {
    for (const c of stack.node.findAll()) {
      if (!CfnResource.isCfnResource(c) || Stack.of(c) !== stack) continue;
      const scope = scopeOf(c, stack);
      scopes.set(scope, (scopes.get(scope) ?? 0) + 1);
    }
  }
  const largest = [...scopes]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP)
    .map(([scope, k]) => `${scope} (${n(k)} resources)`);
  return (
    `stack ${stackName}: the template declares ${n(count)} resources; CloudFormation allows at most ` +
    `${n(TEMPLATE_LIMITS.resources)}. Largest scopes: ${largest.join(', ')}. ${ADVICE}`
  );
}

/**
 * The template limits as a plugin for `Validations.of(app).addPlugins(...)`. Given `targets`, it checks only those
 * stacks (the ones `buildApp` made), so a stack of the user's own in the same app is not failed by it.
 *
 * aws-cdk-lib refuses a stack over 500 resources itself while it synthesizes (counts by resource type, not by
 * construct); an app that turns that off (context `@aws-cdk/core:stackResourceLimit` = 0, as `buildApp` does for the
 * app it creates) gets this check instead, which names the construct scopes holding the resources.
 */
export function templateLimitChecks(
  targets?: () => Iterable<Stack>,
  options: {
    /** Check the resource limit on every stack of the app, `targets` or not (where aws-cdk-lib's own check is off). */
    readonly resourcesOfEveryStack?: boolean;
  } = {},
): IPolicyValidationPlugin {
  return {
    name: 'kitchens-template-limits',
    validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
      const own = targets ? new Map([...targets()].map((s) => [s.node.path, s])) : undefined;
      const root = context.appConstruct;
      const violations: Violation[] = [];
      const check = (stackName: string, templatePath: string, targeted: boolean, stack?: Stack) => {
        const bytes = fs.statSync(templatePath).size;
        const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as Template;
        const count = Object.keys(template.Resources ?? {}).length;
        const resource = { resourceLogicalId: stackName, templatePath, locations: [] };
        if (targeted && bytes > TEMPLATE_LIMITS.bytes) {
          violations.push({
            ruleName: 'TemplateSize',
            description: sizeProblem(stackName, bytes, template),
            violatingResources: [resource],
            severity: 'error',
          });
        }
        if (count > TEMPLATE_LIMITS.resources) {
          violations.push({
            ruleName: 'TemplateResources',
            description: resourceProblem(stackName, count, stack),
            violatingResources: [resource],
            severity: 'error',
          });
        }
      };
      for (const { stackConstructPath, templatePath } of context.stackTemplates) {
        const targeted = !own || own.has(stackConstructPath);
        if (!targeted && !options.resourcesOfEveryStack) continue;
        const stack =
          own?.get(stackConstructPath) ??
          (root?.node.findAll().find((c) => c.node.path === stackConstructPath && Stack.isStack(c)) as
            Stack | undefined);
        const stackName = stack?.stackName ?? path.basename(templatePath, '.template.json');
        check(stackName, templatePath, targeted, stack);
        // Nested stacks (pipelines) are templates of their own, written beside the parent's: each has both limits.
        for (const nested of stack?.node.findAll() ?? []) {
          if (!NestedStack.isNestedStack(nested) || outermost(nested) !== stack) continue;
          const file = path.join(path.dirname(templatePath), nested.templateFile);
          if (!fs.existsSync(file)) continue;
          check(`${stackName} (nested stack ${nested.node.path})`, file, targeted, nested);
        }
      }
      return { success: violations.length === 0, violations };
    },
  };
}

/** The top-level stack a (nested) stack deploys with. */
function outermost(stack: Stack): Stack {
  return stack.nestedStackParent ? outermost(stack.nestedStackParent) : stack;
}
