/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
/**
 * A small stack that satisfies PipelineTarget (Vpc, ECS cluster, Fargate task definitions, secret, buckets, topic,
 * key) for pipeline tests, plus helpers that compile a pipeline, resolve its ASL and render its state graph.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Pipeline, PipelineTarget } from '../../constructs/pipeline/pipeline';
import { resolveDefinition } from '../../lib/local/definition';
import { childDefinitions, standInTarget } from '../../lib/local/stand-in';
import { Names } from '../../lib/naming';
import { pipelineVariables } from '../../lib/pipeline/variables';
import type { PipelineDefinition } from '../../lib/pipeline/model';

export const TEST_APPS = ['ingest', 'transform'] as const;
export const TEST_ACCOUNT = '222222222222';

export interface TestTargetOptions {
  /** Warehouse schema; one per test file so files run in parallel. @default 'analytics' */
  readonly schema?: string;
  readonly kitchen?: string;
  readonly schedulesEnabled?: boolean;
}

export function testVariables(options: TestTargetOptions = {}): Record<string, string> {
  const names = testNames(options);
  return pipelineVariables({
    project: 'acme',
    environment: 'dev',
    kitchen: options.kitchen,
    account: TEST_ACCOUNT,
    region: 'eu-west-1',
    schema: options.schema ?? 'analytics',
    database: 'analytics',
    prefix: names.dataPrefix,
    buckets: {
      landing: names.bucketName('landing'),
      raw: names.bucketName('raw'),
      curated: names.bucketName('curated'),
    },
  });
}

export function testNames(options: TestTargetOptions = {}): Names {
  return new Names({ project: 'acme', environment: 'dev', account: TEST_ACCOUNT, kitchen: options.kitchen });
}

export function createTestTarget(stack: Stack, options: TestTargetOptions = {}): PipelineTarget {
  return standInTarget(stack, {
    names: testNames(options),
    variables: testVariables(options),
    apps: TEST_APPS,
    schedulesEnabled: options.schedulesEnabled,
  });
}

export interface CompiledTestPipeline {
  readonly stack: Stack;
  readonly pipeline: Pipeline;
  readonly asl: Record<string, any>;
  /** The child machines' definitions (Run SQL, Evaluate test) by state machine name. */
  readonly stateMachines: Record<string, Record<string, any>>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

/** Compiles a pipeline in a fresh test stack; every definition compiled this way must pass asl-validator. */
export function compileTestPipeline(
  definition: PipelineDefinition,
  options: TestTargetOptions & { readonly stageWeight?: number } = {},
): CompiledTestPipeline {
  const app = new App();
  const stack = new Stack(app, 'PipelineTest', { env: { account: TEST_ACCOUNT, region: 'eu-west-1' } });
  const pipeline = new Pipeline(stack, 'Orders', {
    definition,
    target: createTestTarget(stack, options),
    stageWeight: options.stageWeight,
  });
  const asl = resolveDefinition(pipeline.stateMachine);
  const stateMachines = childDefinitions(pipeline);
  for (const [name, machine] of Object.entries({ [definition.id]: asl, ...stateMachines })) {
    const validation = aslValidator(machine);
    if (!validation.isValid) {
      throw new Error(`${name}: the compiled definition fails asl-validator: ${JSON.stringify(validation.errors)}`);
    }
  }
  return { stack, pipeline, asl, stateMachines };
}

export type GraphNode = string | { readonly parallel: readonly GraphNode[][] };

/**
 * The main path of a state machine: from StartAt along Next and Choice defaults, Parallel states as their
 * branches. Failure paths (Catch, Choice rules) and poll loops are left out so the step structure stays readable.
 */
export function renderMainPath(definition: Record<string, any>): GraphNode[] {
  const path: GraphNode[] = [];
  let name: string | undefined = definition.StartAt;
  const seen = new Set<string>();
  while (name !== undefined && !seen.has(name)) {
    seen.add(name);
    const state: any = definition.States[name];
    if (state.Type === 'Parallel') {
      path.push(name, { parallel: state.Branches.map((b: any) => renderMainPath(b)) });
    } else if (
      !['Wait', 'Choice'].includes(state.Type) &&
      !name.startsWith('Check: ') &&
      !name.startsWith('Result: ')
    ) {
      path.push(name);
    }
    name = state.Type === 'Choice' ? state.Default : state.Next;
  }
  return path;
}
