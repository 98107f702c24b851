/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
/**
 * Compile time and definition size of generated pipeline DAGs (10, 100 and 500 steps).
 * Run: npx ts-node --swc bench/pipeline-compile.ts
 *
 * The DAGs are layered (up to 4 steps per layer, each depending on 1-2 steps of the previous layer), mixing
 * container, sql and copy steps, with a test on every fifth step. Poll budgets are short so even 500 steps stay
 * within the 25,000-event history bound. Compile time covers rendering, planning, the construct tree and the
 * definition; it excludes creating the stand-in environment resources.
 */
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ConfigError } from '../lib/config/errors';
import { Pipeline } from '../constructs/pipeline/pipeline';
import { resolveDefinition } from '../lib/local/definition';
import { standInTarget } from '../lib/local/stand-in';
import { Names } from '../lib/naming';
import { PipelineBuilder } from '../lib/pipeline/builder';
import { planSteps } from '../lib/pipeline/graph';
import { historyEventBound } from '../lib/pipeline/limits';
import type { PipelineDefinition } from '../lib/pipeline/model';
import { pipelineVariables } from '../lib/pipeline/variables';

const APPS = ['ingest', 'transform'];

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

export function generatePipeline(size: number, seed = 42): PipelineDefinition {
  const next = random(seed);
  const builder = new PipelineBuilder(`bench-${size}`);
  let previous: string[] = [];
  let layer: string[] = [];
  for (let i = 0; i < size; i++) {
    const id = `s${i}`;
    const after =
      previous.length === 0
        ? []
        : [
            ...new Set([
              previous[Math.floor(next() * previous.length)],
              previous[Math.floor(next() * previous.length)],
            ]),
          ];
    const tests =
      i % 5 === 0
        ? [{ name: `check ${i}`, query: `SELECT COUNT(*) FROM {{schema}}.t${i}`, rule: { min: 1 }, timeoutSeconds: 5 }]
        : [];
    const kind = i % 3;
    if (kind === 0)
      builder.container(id, { app: APPS[i % 2], after, tests, environment: { TABLE: `{{schema}}.t${i}` } });
    else if (kind === 1)
      builder.sql(id, {
        after,
        tests,
        sql: `INSERT INTO {{schema}}.t${i} SELECT * FROM {{schema}}.t${i - 1}`,
        timeoutMinutes: 1,
        pollSeconds: 60,
      });
    else
      builder.copy(id, {
        after,
        tests,
        from: { bucket: 'landing', prefix: `p${i}/` },
        to: { bucket: 'raw' },
        maxObjects: 1,
      });
    layer.push(id);
    if (layer.length === 1 + Math.floor(next() * 4)) {
      previous = layer;
      layer = [];
    }
  }
  return builder.build({ apps: APPS });
}

interface Measurement {
  readonly steps: number;
  readonly compileMs: number;
  readonly bytes: number;
  readonly states: number;
  readonly events: number;
  /** The compiler's verdict: undefined when it accepted the definition, else the limit it reported. */
  readonly rejected?: string;
}

function measure(size: number, runs: number): Measurement {
  const definition = generatePipeline(size);
  const names = new Names({ project: 'acme', environment: 'dev', account: '222222222222' });
  const variables = pipelineVariables({
    project: 'acme',
    environment: 'dev',
    account: '222222222222',
    region: 'eu-west-1',
    schema: 'analytics',
    database: 'analytics',
    prefix: '',
    buckets: {
      landing: names.bucketName('landing'),
      raw: names.bucketName('raw'),
      curated: names.bucketName('curated'),
    },
  });
  const times: number[] = [];
  let asl: Record<string, any> = {};
  let rejected: string | undefined;
  for (let run = 0; run < runs; run++) {
    const stack = new Stack(new App(), 'Bench', { env: { account: '222222222222', region: 'eu-west-1' } });
    const target = standInTarget(stack, { names, variables, apps: APPS });
    const start = process.hrtime.bigint();
    try {
      new Pipeline(stack, 'Pipeline', { definition, target });
      rejected = undefined;
    } catch (e) {
      // The size check runs once the whole definition is built: the time still measures a full compile.
      if (!(e instanceof ConfigError)) throw e;
      rejected = e.message.replace(/^[^:]*: /, '');
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    const stateMachine = stack.node.findAll().find((c): c is sfn.StateMachine => c instanceof sfn.StateMachine)!;
    asl = resolveDefinition(stateMachine);
  }
  const count = (states: Record<string, any>): number =>
    Object.values(states).reduce(
      (sum: number, s: any) =>
        sum +
        1 +
        (s.Branches ?? []).reduce((b: number, br: any) => b + count(br.States), 0) +
        (s.ItemProcessor ? count(s.ItemProcessor.States) : 0),
      0,
    );
  times.sort((a, b) => a - b);
  return {
    steps: size,
    compileMs: times[Math.floor(times.length / 2)],
    bytes: Buffer.byteLength(JSON.stringify(asl)),
    states: count(asl.States),
    events: historyEventBound(definition, planSteps(definition.steps)),
    rejected,
  };
}

function main(): void {
  measure(10, 2); // warm up module loading and the JIT
  const results = [measure(10, 7), measure(100, 5), measure(500, 5)];
  console.log('steps  compile (median)  definition bytes  bytes/step  states  worst-case history events');
  for (const r of results) {
    console.log(
      `${String(r.steps).padStart(5)}  ${`${r.compileMs.toFixed(1)} ms`.padStart(16)}  ${String(r.bytes).padStart(16)}  ` +
        `${String(Math.round(r.bytes / r.steps)).padStart(10)}  ${String(r.states).padStart(6)}  ${String(r.events).padStart(24)}`,
    );
  }
  for (const r of results.filter((m) => m.rejected)) {
    console.log(`${r.steps} steps: rejected by the compiler: ${r.rejected}`);
  }
  const largest = results[results.length - 1];
  const ratio = largest.bytes / largest.steps / (results[1].bytes / results[1].steps);
  console.log(
    `500 steps compile in ${largest.compileMs.toFixed(0)} ms (target < 500 ms): ${largest.compileMs < 500 ? 'met' : 'NOT met'}`,
  );
  console.log(`bytes per step at 500 vs 100 steps: x${ratio.toFixed(2)} (linear growth keeps this near 1)`);
}

if (require.main === module) main();
