/**
 * Capacity and compile time of generated pipelines, with default budgets (SQL 30 min polled every 15 s, tests
 * 300 s, copies of up to 100 objects). Run: npx ts-node --swc bench/pipeline-compile.ts
 * (`--once SHAPE N` compiles one pipeline once and exits, for whole-process timings.)
 *
 * Two shapes, 10/100/250/500 steps each:
 * - `sequential sql`: N SQL steps in a row, each with a test (the 200-step target).
 * - `mixed DAG`: layered (up to 4 steps per layer, each depending on 1-2 steps of the previous layer), container
 *   and sql steps with a test on every step, and a copy step every fiftieth step.
 *
 * Per size: whether the compiler accepted it (and if not, its message), the machines it compiled to (the pipeline's
 * own plus stage machines, without the two shared runners), the definition bytes of the largest of them and of all
 * of them together exactly as the 1 MB check computed them, the worst-case history events of the pipeline's own
 * execution, of its largest stage and of its largest runner execution (each has its own 25,000-event limit), and
 * the compile time (median of several samples, wall and CPU): rendering, planning, limits, the construct tree, the definitions
 * and their size checks, without creating the stand-in environment resources. `render` is the extra time synthesis
 * later spends turning those definitions into template JSON (resolving them), measured once per size.
 */
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Pipeline } from '../constructs/pipeline/pipeline';
import { definitionStringOf } from '../constructs/pipeline/definition-size';
import { standInTarget } from '../lib/local/stand-in';
import { Names } from '../lib/naming';
import { PipelineBuilder } from '../lib/pipeline/builder';
import { planSteps } from '../lib/pipeline/graph';
import { historyEventBounds, LIMITS, pipelineStages, stepChildEvents } from '../lib/pipeline/limits';
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
  readonly compileCpuMs: number;
  /** Time to resolve every definition of the pipeline into template JSON, as synthesis does (once). */
  readonly renderMs: number;
  /** The compiler's verdict: undefined when it accepted the definition, else its message. */
  readonly rejected?: string;
  /** Pipeline machine plus stage machines. */
  readonly machines: number;
  /** Largest definition among them, and all of them together, as the size check computed them. */
  readonly largestBytes: number;
  readonly totalBytes: number;
  /** The two shared runner machines together (constant per pipeline). */
  readonly runnerBytes: number;
  readonly events: number;
  readonly stageEvents: number;
  readonly childEvents: number;
}

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

interface Compiled {
  readonly pipeline?: Pipeline;
  /** Wall time. */
  readonly ms: number;
  /** CPU time of the process (user + system, all its threads) while compiling: less sensitive to a loaded machine. */
  readonly cpuMs: number;
  readonly rejected?: string;
}

function compileOnce(definition: PipelineDefinition): Compiled {
  const stack = new Stack(new App(), 'Bench', { env: { account: '222222222222', region: 'eu-west-1' } });
  const target = standInTarget(stack, { names, variables, apps: APPS });
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const done = () => {
    const used = process.cpuUsage(cpu);
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (used.user + used.system) / 1000 };
  };
  try {
    const pipeline = new Pipeline(stack, 'Pipeline', { definition, target });
    return { pipeline, ...done() };
  } catch (e) {
    // Any refusal counts, whichever check made it (the size and history checks throw ConfigError).
    const message = (e as Error).message.replace(/^[^:]*: /, '');
    return { ...done(), rejected: message.split('\n')[0] };
  }
}

const machineName = (m: sfn.StateMachine) => (m.node.defaultChild as sfn.CfnStateMachine).stateMachineName!;

function measure(shape: string, definition: PipelineDefinition, runs: number): Measurement {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let last: Compiled = { ms: 0, cpuMs: 0 };
  for (let run = 0; run < runs; run++) {
    last = compileOnce(definition);
    times.push(last.ms);
    cpuTimes.push(last.cpuMs);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const plan = planSteps(definition.steps);
  const bounds = historyEventBounds(definition, plan, pipelineStages(definition, plan));
  const pipeline = last.pipeline;
  const machines = pipeline ? [pipeline.stateMachine, ...pipeline.stages] : [];
  const sizes = machines.map((m) => pipeline!.definitionSizes[machineName(m)]);
  let renderMs = 0;
  if (pipeline) {
    const start = process.hrtime.bigint();
    for (const m of [...machines, pipeline.runners.sql, pipeline.runners.test]) {
      Stack.of(m).resolve(definitionStringOf(m));
    }
    renderMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return {
    shape,
    steps: definition.steps.length,
    compileMs: median(times),
    compileCpuMs: median(cpuTimes),
    renderMs,
    rejected: last.rejected,
    machines: machines.length,
    largestBytes: Math.max(0, ...sizes),
    totalBytes: sizes.reduce((a, b) => a + b, 0),
    runnerBytes: pipeline
      ? pipeline.definitionSizes[machineName(pipeline.runners.sql)] +
        pipeline.definitionSizes[machineName(pipeline.runners.test)]
      : 0,
    events: bounds.pipeline,
    stageEvents: Math.max(0, ...bounds.stages),
    childEvents: Math.max(...definition.steps.map(stepChildEvents)),
  };
}

const SHAPES: Record<string, (n: number) => PipelineDefinition> = {
  sequential: sequentialPipeline,
  mixed: (n) => generatePipeline(n),
};

function main(): void {
  const once = process.argv.indexOf('--once');
  if (once >= 0) {
    const [shape, size] = process.argv.slice(once + 1);
    const result = compileOnce(SHAPES[shape](Number(size)));
    if (result.rejected) throw new Error(result.rejected);
    return;
  }
  measure('warm-up', generatePipeline(10), 2); // module loading and the JIT
  const sizes = [10, 100, 250, 500];
  const results = [
    ...sizes.map((n) => measure('sequential sql', sequentialPipeline(n), n >= 250 ? 5 : 7)),
    ...sizes.map((n) => measure('mixed DAG', generatePipeline(n), n >= 250 ? 5 : 7)),
  ];
  console.log(
    'shape           steps  accepted  machines  largest bytes  total bytes  bytes/step  events (pipeline / stage / runner)  compile wall / cpu (medians)  render',
  );
  for (const r of results) {
    console.log(
      `${r.shape.padEnd(14)}  ${String(r.steps).padStart(5)}  ${(r.rejected ? 'NO' : 'yes').padStart(8)}  ` +
        `${String(r.machines).padStart(8)}  ${String(r.largestBytes).padStart(13)}  ${String(r.totalBytes).padStart(11)}  ` +
        `${String(Math.round(r.totalBytes / r.steps)).padStart(10)}  ` +
        `${`${r.events} / ${r.stageEvents || '-'} / ${r.childEvents}`.padStart(35)}  ` +
        `${`${r.compileMs.toFixed(0)} / ${r.compileCpuMs.toFixed(0)} ms`.padStart(28)}  ${`${r.renderMs.toFixed(0)} ms`.padStart(6)}`,
    );
  }
  console.log(
    `limits: ${LIMITS.definitionBytes} definition bytes per machine, ${LIMITS.historyEvents} history events per execution; ` +
      `runner machines: ${results[0].runnerBytes} bytes together, once per pipeline`,
  );
  for (const r of results.filter((m) => m.rejected)) {
    console.log(`${r.shape} ${r.steps}: REJECTED by the compiler: ${r.rejected}`);
  }
  const seq200 = measure('sequential sql', sequentialPipeline(200), 3);
  console.log(`200 sequential SQL steps with a test each: ${seq200.rejected ? 'REJECTED' : 'accepted'}`);
  for (const r of results.filter((m) => m.steps === 500)) {
    console.log(
      `${r.shape} 500 steps: ${r.rejected ? 'REJECTED' : 'accepted'}, compiled in ${r.compileMs.toFixed(0)} ms wall, ` +
        `${r.compileCpuMs.toFixed(0)} ms CPU (target < 500 ms): ${!r.rejected && r.compileMs < 500 ? 'met' : 'NOT met'}`,
    );
  }
}

if (require.main === module) main();
