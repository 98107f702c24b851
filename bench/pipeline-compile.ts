/**
 * Capacity and compile time of generated pipelines, with default budgets (SQL 30 min polled every 15 s, tests
 * 300 s, copies of up to 100 objects). Run: npx ts-node --swc bench/pipeline-compile.ts
 *
 * Two shapes:
 * - `sequential sql`: N SQL steps in a row, each with a test (the 200-step target).
 * - `mixed DAG`: layered (up to 4 steps per layer, each depending on 1-2 steps of the previous layer), container
 *   and sql steps with a test on every step, and a copy step every fiftieth step.
 *
 * Per size: definition bytes of the pipeline machine as the 1 MB check computes them (and of the two child
 * machines), the worst-case history events of the pipeline's own execution and of its largest child execution
 * (each has its own 25,000-event limit), and the compile time (median of several samples): rendering, planning,
 * the construct tree and the definition, without creating the stand-in environment resources.
 */
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
import { App, Stack } from 'aws-cdk-lib';
import { ConfigError } from '../lib/config/errors';
import { definitionBytes, Pipeline } from '../constructs/pipeline/pipeline';
import { standInTarget } from '../lib/local/stand-in';
import { Names } from '../lib/naming';
import { PipelineBuilder } from '../lib/pipeline/builder';
import { planSteps } from '../lib/pipeline/graph';
import { historyEventBound, LIMITS, stepChildEvents } from '../lib/pipeline/limits';
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

const test = (i: number) => [{ name: `check ${i}`, query: `SELECT COUNT(*) FROM {{schema}}.t${i}`, rule: { min: 1 } }];

/** N SQL steps in a row, each with a test. */
export function sequentialPipeline(size: number): PipelineDefinition {
  const builder = new PipelineBuilder(`seq-${size}`);
  for (let i = 0; i < size; i++) {
    builder.sql(`s${i}`, {
      after: i === 0 ? [] : [`s${i - 1}`],
      tests: test(i),
      sql: `INSERT INTO {{schema}}.t${i} SELECT * FROM {{schema}}.t${i === 0 ? 'source' : i - 1}`,
    });
  }
  return builder.build({ apps: APPS });
}

/** A layered DAG of container and sql steps with a test each, and a copy step every fiftieth step. */
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
    if (i % 50 === 49) {
      builder.copy(id, { after, tests: test(i), from: { bucket: 'landing', prefix: `p${i}/` }, to: { bucket: 'raw' } });
    } else if (i % 2 === 0) {
      builder.container(id, { app: APPS[i % 2], after, tests: test(i), environment: { TABLE: `{{schema}}.t${i}` } });
    } else {
      builder.sql(id, {
        after,
        tests: test(i),
        sql: `INSERT INTO {{schema}}.t${i} SELECT * FROM {{schema}}.t${i - 1}`,
      });
    }
    layer.push(id);
    if (layer.length === 1 + Math.floor(next() * 4)) {
      previous = layer;
      layer = [];
    }
  }
  return builder.build({ apps: APPS });
}

interface Measurement {
  readonly shape: string;
  readonly steps: number;
  readonly compileMs: number;
  /** Pipeline machine, as the size check computes it. */
  readonly bytes: number;
  /** The two child machines together (constant per pipeline). */
  readonly childBytes: number;
  readonly events: number;
  readonly childEvents: number;
  /** The compiler's verdict: undefined when it accepted the definition, else the limit it reported. */
  readonly rejected?: string;
}

function measure(shape: string, definition: PipelineDefinition, runs: number): Measurement {
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
  let bytes = 0;
  let childBytes = 0;
  let rejected: string | undefined;
  for (let run = 0; run < runs; run++) {
    const stack = new Stack(new App(), 'Bench', { env: { account: '222222222222', region: 'eu-west-1' } });
    const target = standInTarget(stack, { names, variables, apps: APPS });
    const start = process.hrtime.bigint();
    let pipeline: Pipeline | undefined;
    try {
      pipeline = new Pipeline(stack, 'Pipeline', { definition, target });
      rejected = undefined;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      rejected = e.message.replace(/^[^:]*: /, '');
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (pipeline) {
      bytes = definitionBytes(pipeline.stateMachine);
      childBytes = definitionBytes(pipeline.runners.sql) + definitionBytes(pipeline.runners.test);
    }
  }
  times.sort((a, b) => a - b);
  return {
    shape,
    steps: definition.steps.length,
    compileMs: times[Math.floor(times.length / 2)],
    bytes,
    childBytes,
    events: historyEventBound(definition, planSteps(definition.steps)),
    childEvents: Math.max(...definition.steps.map(stepChildEvents)),
    rejected,
  };
}

function main(): void {
  measure('warm-up', generatePipeline(10), 2); // module loading and the JIT
  const results = [
    ...[10, 100, 250, 500].map((n) => measure('mixed DAG', generatePipeline(n), n >= 250 ? 5 : 7)),
    ...[200, 500].map((n) => measure('sequential sql', sequentialPipeline(n), 5)),
  ];
  console.log(
    'shape           steps  compile (median)  definition bytes  bytes/step  child bytes  history events  largest child',
  );
  for (const r of results) {
    console.log(
      `${r.shape.padEnd(14)}  ${String(r.steps).padStart(5)}  ${`${r.compileMs.toFixed(1)} ms`.padStart(16)}  ` +
        `${(r.rejected ? 'rejected' : String(r.bytes)).padStart(16)}  ${String(Math.round(r.bytes / r.steps)).padStart(10)}  ` +
        `${String(r.childBytes).padStart(11)}  ${String(r.events).padStart(14)}  ${String(r.childEvents).padStart(13)}`,
    );
  }
  console.log(
    `limits: ${LIMITS.definitionBytes} definition bytes, ${LIMITS.historyEvents} history events per execution`,
  );
  for (const r of results.filter((m) => m.rejected)) {
    console.log(`${r.shape} ${r.steps}: rejected by the compiler: ${r.rejected}`);
  }
  const seq200 = results.find((r) => r.shape === 'sequential sql' && r.steps === 200)!;
  console.log(`200 sequential SQL steps with a test each: ${seq200.rejected ? 'REJECTED' : 'accepted'}`);
  const largest = results.find((r) => r.shape === 'mixed DAG' && r.steps === 500)!;
  console.log(
    `500 steps compile in ${largest.compileMs.toFixed(0)} ms (target < 500 ms): ${largest.compileMs < 500 ? 'met' : 'NOT met'}`,
  );
}

if (require.main === module) main();
