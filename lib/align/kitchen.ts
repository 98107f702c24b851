/**
 * A Kitchen against its environment: the Kitchen's pipeline copies must run the same steps and tests, with the
 * same transitions, as the environment's pipelines. Their parameters legitimately differ (schema, prefix, names
 * read from SSM, the Kitchen's alert topic), so what is compared is each state machine's graph: state names,
 * state types and edges.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KitchensConfig } from '../config/model';
import { KITCHEN_CONTEXT } from '../kitchen/options';
import { Names } from '../naming';
import { buildApp } from '../app';
import type { AppBuilder } from './check';
import { compareValues, formatPath, StringComparator } from './diff';
import { equalModulo } from './identity';
import { diffPipelines } from './pipelines';
import { showValue } from './report';
import type { PipelineDefinition } from '../pipeline/model';
import { pipelineVariables } from '../pipeline/variables';
import type { EnvironmentStack } from '../../constructs/environment/environment-stack';
import type { KitchenStack } from '../../constructs/kitchen/kitchen-stack';
import type { CfnResource, Template } from './normalize';
import { stackTemplate } from '../templates';
import {
  flattenStates,
  STATE_MACHINE_TYPE,
  stateEdges,
  stateMachineDefinition,
  type AslDefinition,
} from './state-machine';

export interface KitchenPipelineDifference {
  readonly pipeline: string;
  readonly kind:
    | 'missing-in-kitchen'
    | 'only-in-kitchen'
    | 'state-missing'
    | 'state-extra'
    | 'state-type'
    | 'transition'
    | 'state-parameters'
    | 'step'
    | 'test';
  readonly state?: string;
  readonly detail: string;
}

export interface KitchenAlignmentResult {
  readonly kitchen: string;
  readonly environment: string;
  readonly aligned: boolean;
  /** Pipeline ids compared. */
  readonly pipelines: readonly string[];
  readonly differences: readonly KitchenPipelineDifference[];
  readonly durationMs: number;
}

/** The state machines of a template by pipeline id (their names are `<prefix><pipeline id>`). */
function pipelinesOf(template: Template, prefix: string): Map<string, AslDefinition> {
  const out = new Map<string, AslDefinition>();
  for (const resource of Object.values(template.Resources ?? {}) as CfnResource[]) {
    if (resource.Type !== STATE_MACHINE_TYPE) continue;
    const name = resource.Properties?.StateMachineName;
    const definition = stateMachineDefinition(resource.Properties);
    if (typeof name !== 'string' || !name.startsWith(prefix) || !definition) continue;
    out.set(name.slice(prefix.length), definition);
  }
  // A pipeline's child machines (`<id>_sql`, `<id>_test`, see constructs/pipeline/runners.ts) are compared as part
  // of it: each becomes a branch of a pseudo-state named after it.
  for (const [id, definition] of [...out]) {
    const separator = id.indexOf('_');
    if (separator < 0) continue;
    out.delete(id);
    const parent = out.get(id.slice(0, separator));
    if (parent) {
      out.set(id.slice(0, separator), {
        ...parent,
        States: { ...parent.States, [id]: { Type: 'Parallel', Branches: [definition] } },
      });
    }
  }
  return out;
}

function graph(definition: AslDefinition): { types: Map<string, string>; edges: Set<string> } {
  const types = new Map<string, string>();
  for (const [name, state] of flattenStates(definition)) types.set(name, String(state.Type));
  const edges = new Set(stateEdges(definition).map((e) => `${e.from} -> ${e.to}${e.label ? ` (${e.label})` : ''}`));
  return { types, edges };
}

/** CloudFormation references as `joinDefinition` renders them: wiring that differs by design (SSM, own topic). */
const REFERENCE = /\$\{[^}]*\}/;
/** CDK tokens inside unresolved strings (bucket names in a rendered pipeline definition). */
const CDK_TOKEN = /\$\{Token\[[^\]]*\]\}/;

export interface KitchenComparisonOptions {
  /** Text that may stand for each other: `[environment's, Kitchen's]` (schema, data prefix, names). */
  readonly pairs?: readonly (readonly [string, string])[];
  /** The pipeline definitions each side was compiled from (rendered with its variables). */
  readonly models?: {
    readonly environment: readonly PipelineDefinition[];
    readonly kitchen: readonly PipelineDefinition[];
  };
}

/** Compares synthesized templates (no synthesis): the pure part of `checkKitchenAlignment`. */
export function compareKitchenPipelines(
  environmentTemplate: Template,
  kitchenTemplate: Template,
  names: { readonly environment: Names; readonly kitchen: Names },
  options: KitchenComparisonOptions = {},
): Omit<KitchenAlignmentResult, 'durationMs'> {
  const pairs = options.pairs ?? [];
  const wholeReference = new RegExp(`^${REFERENCE.source}$`);
  // a value that is one reference on one side and is built from references on the other is wiring (an ARN the
  // Kitchen assembles from an SSM parameter where the environment references the resource)
  const wiring = (x: string, y: string) =>
    (wholeReference.test(x) && REFERENCE.test(y)) || (wholeReference.test(y) && REFERENCE.test(x));
  const aslStrings: StringComparator = (x, y) =>
    equalModulo(x, y, pairs, REFERENCE) || wiring(x, y) ? { equal: true, identity: x !== y } : { equal: false };
  const envPrefix = names.environment.stateMachineName('x').slice(0, -1);
  const kitchenPrefix = names.kitchen.stateMachineName('x').slice(0, -1);
  const envPipelines = pipelinesOf(environmentTemplate, envPrefix);
  const kitchenPipelines = pipelinesOf(kitchenTemplate, kitchenPrefix);
  // Environment-only machines (the Kitchen reaper lives in its own stack, so none today) are not pipelines.
  const differences: KitchenPipelineDifference[] = [];
  for (const id of [...envPipelines.keys()].filter((k) => !kitchenPipelines.has(k))) {
    differences.push({ pipeline: id, kind: 'missing-in-kitchen', detail: `pipeline ${id} has no copy in the Kitchen` });
  }
  for (const id of [...kitchenPipelines.keys()].filter((k) => !envPipelines.has(k))) {
    differences.push({ pipeline: id, kind: 'only-in-kitchen', detail: `pipeline ${id} exists only in the Kitchen` });
  }
  const compared = [...envPipelines.keys()].filter((k) => kitchenPipelines.has(k)).sort();
  for (const id of compared) {
    const env = graph(envPipelines.get(id)!);
    const kitchen = graph(kitchenPipelines.get(id)!);
    for (const [state, type] of env.types) {
      const mine = kitchen.types.get(state);
      if (mine === undefined) {
        differences.push({
          pipeline: id,
          kind: 'state-missing',
          state,
          detail: `state "${state}" is missing in the Kitchen`,
        });
      } else if (mine !== type) {
        differences.push({
          pipeline: id,
          kind: 'state-type',
          state,
          detail: `state "${state}" is a ${mine} in the Kitchen, a ${type} in the environment`,
        });
      }
    }
    for (const state of kitchen.types.keys()) {
      if (!env.types.has(state)) {
        differences.push({
          pipeline: id,
          kind: 'state-extra',
          state,
          detail: `state "${state}" exists only in the Kitchen`,
        });
      }
    }
    const edgeDiff = (from: Set<string>, to: Set<string>, where: string) => {
      for (const edge of from) {
        if (!to.has(edge))
          differences.push({
            pipeline: id,
            kind: 'transition',
            detail: `transition ${edge} exists only in the ${where}`,
          });
      }
    };
    edgeDiff(env.edges, kitchen.edges, 'environment');
    edgeDiff(kitchen.edges, env.edges, 'Kitchen');
    // the states both have: every parameter, query and rule, with the Kitchen's own names accounted for
    const envStates = flattenStates(envPipelines.get(id)!);
    const kitchenStates = flattenStates(kitchenPipelines.get(id)!);
    for (const [state, envState] of envStates) {
      const mine = kitchenStates.get(state);
      if (!mine || mine.Type !== envState.Type) continue;
      for (const diff of compareValues(envState, mine, aslStrings).differences) {
        differences.push({
          pipeline: id,
          kind: 'state-parameters',
          state,
          detail: `state "${state}" differs at ${formatPath(diff.path)}: environment ${showValue(diff.from)}, Kitchen ${showValue(diff.to)}`,
        });
      }
    }
  }
  if (options.models) {
    const modelStrings: StringComparator = (x, y) =>
      equalModulo(x, y, pairs, CDK_TOKEN) ? { equal: true, identity: x !== y } : { equal: false };
    const kitchenIds = new Set(options.models.kitchen.map((p) => p.id));
    const envModels = options.models.environment.filter((p) => kitchenIds.has(p.id));
    for (const change of diffPipelines(envModels, options.models.kitchen, modelStrings)) {
      if (change.change !== 'changed') continue;
      for (const f of change.fields)
        differences.push({
          pipeline: change.id,
          kind: 'step',
          detail: `${f.field}: environment ${f.before}, Kitchen ${f.after}`,
        });
      for (const step of change.steps) {
        const where = `step "${step.name}"`;
        if (step.change !== 'changed') {
          differences.push({
            pipeline: change.id,
            kind: 'step',
            detail: `${where} exists only in the ${step.change === 'added' ? 'Kitchen' : 'environment'}`,
          });
          continue;
        }
        for (const f of step.fields)
          differences.push({
            pipeline: change.id,
            kind: 'step',
            detail: `${where} ${f.field}: environment ${f.before}, Kitchen ${f.after}`,
          });
        for (const test of step.tests) {
          const what =
            test.change === 'changed'
              ? test.fields
                  .map((f) => `${f.field} ${f.before} in the environment, ${f.after} in the Kitchen`)
                  .join('; ')
              : `exists only in the ${test.change === 'added' ? 'Kitchen' : 'environment'}`;
          differences.push({ pipeline: change.id, kind: 'test', detail: `${where} test "${test.name}": ${what}` });
        }
      }
    }
  }
  return {
    kitchen: names.kitchen.context.kitchen ?? '',
    environment: names.environment.context.environment,
    aligned: differences.length === 0,
    pipelines: compared,
    differences,
  };
}

/** Synthesizes the Kitchen and its environment (cdk-nag and CDK validation off) and compares their pipelines. */
export function checkKitchenAlignment(options: {
  readonly config: KitchensConfig;
  readonly kitchen: string;
  /** Context of the Kitchen besides its name (`kitchenEnv`, ...). */
  readonly context?: Readonly<Record<string, string>>;
  readonly build?: AppBuilder;
}): KitchenAlignmentResult {
  const started = Date.now();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchen-align-'));
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const build = options.build ?? buildApp;
    const context = { ...options.context, [KITCHEN_CONTEXT.name]: options.kitchen };
    const built = build(options.config, { nag: false, outdir, context });
    const stack = built.kitchens[options.kitchen];
    const host = stack.kitchen.environmentNames;
    const envStack = built.environments[host.context.environment];
    const assembly = built.app.synth();
    const template = (s: { artifactId: string }) => stackTemplate<Template>(assembly.getStackArtifact(s.artifactId));
    const result = compareKitchenPipelines(
      template(envStack),
      template(stack),
      { environment: host, kitchen: stack.kitchen.names },
      {
        pairs: kitchenPairs(envStack, stack),
        models: {
          environment: envStack.releaseEnvironment.pipelines.map((p) => p.definition),
          kitchen: stack.kitchen.pipelines.map((p) => p.definition),
        },
      },
    );
    return { ...result, durationMs: Date.now() - started };
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export function renderKitchenAlignmentText(result: KitchenAlignmentResult): string {
  const head = result.aligned
    ? `ALIGNED: Kitchen ${result.kitchen} runs the same ${result.pipelines.length} pipeline(s) as ${result.environment} (${result.pipelines.join(', ')}): same steps, tests and transitions`
    : `NOT ALIGNED: Kitchen ${result.kitchen} differs from ${result.environment} in ${result.differences.length} place(s)`;
  const lines = result.differences.map((d) => `  ${d.pipeline}: ${d.detail}`);
  return [head, ...lines, '', `Compared in ${(result.durationMs / 1000).toFixed(1)} s.`].join('\n');
}

/**
 * What legitimately differs between an environment's pipelines and a Kitchen's copies, as `[environment's,
 * Kitchen's]` text: the pipeline variables (schema, data prefix, Kitchen name, history table) and the names
 * derived from the Kitchen name.
 */
export function kitchenPairs(envStack: EnvironmentStack, kitchenStack: KitchenStack): [string, string][] {
  const env = envStack.releaseEnvironment;
  const kitchen = kitchenStack.kitchen;
  const facts = {
    project: env.names.context.project,
    environment: env.config.name,
    account: env.config.account,
    region: env.config.region,
    database: env.config.warehouse.database,
  };
  const envVariables = pipelineVariables({
    ...facts,
    schema: env.config.warehouse.schema,
    prefix: env.names.dataPrefix,
    buckets: {
      landing: env.dataLake.buckets.landing.bucketName,
      raw: env.dataLake.buckets.raw.bucketName,
      curated: env.dataLake.buckets.curated.bucketName,
    },
  });
  const kitchenVariables = pipelineVariables({
    ...facts,
    kitchen: kitchen.names.context.kitchen,
    schema: kitchen.schema,
    prefix: kitchen.names.dataPrefix,
    buckets: {
      landing: kitchen.imports.buckets.landing.bucketName,
      raw: kitchen.imports.buckets.raw.bucketName,
      curated: kitchen.imports.buckets.curated.bucketName,
    },
  });
  const pairs: [string, string][] = Object.keys(envVariables)
    .filter((k) => envVariables[k] !== kitchenVariables[k])
    .map((k) => [envVariables[k], kitchenVariables[k]]);
  pairs.push([env.names.stackName, kitchen.names.stackName]);
  // Physical names built on the naming base (the pipelines' shared child machines `<base>-<pipeline>_sql`/`_test`,
  // referenced by ARN): the Kitchen's base stands in for the environment's.
  pairs.push([env.names.stateMachineName('x').slice(0, -1), kitchen.names.stateMachineName('x').slice(0, -1)]);
  // longest first: a history table name contains the schema
  return pairs.sort((a, b) => b[0].length + b[1].length - (a[0].length + a[1].length));
}
