/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
/**
 * Latency and state transitions of compiled pipelines, on a virtual clock. Run: npx ts-node --swc bench/pipeline-latency.ts
 *
 * Each pipeline (the bundled pipelines/*.yaml and a generated 50-step DAG, `generated`) is
 * compiled as for an environment and run by the local engine (lib/local/runner.ts) with:
 * - every Data API statement and every container run taking a duration drawn uniformly from 0.5-30 s, fixed per
 *   statement name by the seed (so the hand-written machine below meets the same durations);
 * - a DescribeStatement answering FINISHED once that much virtual time has passed since the statement started;
 * - Wait states advancing the virtual clock by their seconds as compiled; API calls and other states take no time.
 *
 * Per pipeline: the run's virtual duration R, the sum S of the statement durations on its critical path (the run's
 * duration had every finished statement been noticed at once), N the statements on that path, and the overhead per
 * statement O = (R - S) / N; then the state transitions (states entered, child executions included) against a
 * hand-written machine that runs and polls the same statements in one execution with the same waits. The last line
 * sums the pipelines: `latency: run R s, statements S s, overhead per statement O s` (target O <= 2 s; transitions
 * <= 1.5x the hand-written machine's).
 */
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalClock, runPipelineLocally } from '../lib/local/runner';
import { compileWithStandIns } from '../lib/local/stand-in';
import { Names } from '../lib/naming';
import { planSteps, planStepIds, type PlanNode } from '../lib/pipeline/graph';
import { POLL_SCHEDULE, PollPlan, SETUP_POLL_PLAN, sqlPollPlan, testPollPlan } from '../lib/pipeline/limits';
import { loadPipelineFile } from '../lib/pipeline/loader';
import type { PipelineDefinition, StepDefinition } from '../lib/pipeline/model';
import { pipelineVariables } from '../lib/pipeline/variables';
import { PipelineBuilder } from '../lib/pipeline/builder';

const SEED = 22;
const MIN_SECONDS = 0.5;
const MAX_SECONDS = 30;
const APPS = ['ingest', 'transform'];

/** A statement's duration: uniform in [MIN_SECONDS, MAX_SECONDS), fixed by the seed and the statement's name. */
function duration(key: string): number {
  const hash = createHash('sha256').update(`${SEED}:${key}`).digest();
  return MIN_SECONDS + (hash.readUInt32BE(0) / 2 ** 32) * (MAX_SECONDS - MIN_SECONDS);
}

/**
 * A discrete-event clock: `sleep` registers a timer; when the process has been quiet (no sleep, no call) for a few
 * turns of the event loop, every branch is waiting on the clock, and it jumps to the earliest timer.
 */
class VirtualClock implements LocalClock {
  private time = 0;
  private sequence = 0;
  private activity = 0;
  private checking = false;
  private readonly timers: { at: number; order: number; resolve: () => void }[] = [];

  public now(): number {
    return this.time;
  }

  /** Marks work in progress (a call handled), so the clock does not jump while it runs. */
  public touch(): void {
    this.activity++;
  }

  public sleep(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`VirtualClock: cannot sleep ${seconds} s`);
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + seconds, order: this.sequence++, resolve });
      this.touch();
      this.check();
    });
  }

  private check(): void {
    if (this.checking) return;
    this.checking = true;
    let seen = this.activity;
    let quiet = 0;
    const turn = () => {
      if (this.activity !== seen) {
        seen = this.activity;
        quiet = 0;
      } else if (++quiet >= 8) {
        this.timers.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = this.timers.shift()!;
        this.time = Math.max(this.time, next.at);
        this.checking = false;
        next.resolve();
        if (this.timers.length > 0) this.check();
        return;
      }
      setImmediate(turn);
    };
    setImmediate(turn);
  }
}

interface Statement {
  readonly start: number;
  readonly seconds: number;
}

/** Data API and container stand-ins on the virtual clock. */
function bindings(clock: VirtualClock) {
  const statements = new Map<string, Statement>();
  let ids = 0;
  const execute = async (input: any) => {
    clock.touch();
    const id = `statement-${++ids}`;
    statements.set(id, { start: clock.now(), seconds: duration(String(input.StatementName)) });
    return { Id: id };
  };
  return {
    redshiftData: (_state: string, action: string) => {
      switch (action) {
        case 'executeStatement':
        case 'batchExecuteStatement':
          return execute;
        case 'describeStatement':
          return async (input: any) => {
            clock.touch();
            const statement = statements.get(String(input.Id))!;
            // A hundredth of a millisecond of slack for the sums of floating-point waits.
            const done = clock.now() + 1e-5 >= statement.start + statement.seconds;
            return { Id: input.Id, Status: done ? 'FINISHED' : 'STARTED' };
          };
        case 'getStatementResult':
          return async () => {
            clock.touch();
            const row = ['passed', '1', '>= 1', '', '', '', ''];
            return { Records: [row.map((v) => ({ StringValue: v }))], TotalNumRows: 1 };
          };
      }
      throw new Error(`no stand-in for redshiftdata:${action}`);
    },
    container: () => async (input: any) => {
      clock.touch();
      const environment: { Name: string; Value: string }[] =
        input.Overrides?.ContainerOverrides?.[0]?.Environment ?? [];
      const step = environment.find((e) => e.Name === 'KITCHENS_STEP')?.Value;
      await clock.sleep(duration(`container: ${step}`));
      return { Containers: [{ Name: 'app', ExitCode: 0 }], StoppedReason: 'Essential container in task exited' };
    },
  };
}

/**
 * A 50-step DAG: layers of one to three steps, each step after one or two steps of the layer before; every fifth step
 * a container app, the others SQL; a test on every step, every third test a warning.
 */
export function generated(size = 50): PipelineDefinition {
  const builder = new PipelineBuilder(`latency-${size}`);
  let previous: string[] = [];
  let layer: string[] = [];
  for (let i = 0; i < size; i++) {
    const id = `s${i}`;
    const pick = (k: number) => previous[Math.floor(duration(`pick ${i} ${k}`) * 7919) % previous.length];
    const after = previous.length === 0 ? [] : [...new Set([pick(0), pick(1)])];
    const tests = [
      {
        name: `check ${i}`,
        query: `SELECT COUNT(*) FROM {{schema}}.t${i}`,
        rule: { min: 1 },
        level: i % 3 === 2 ? ('warning' as const) : ('error' as const),
      },
    ];
    if (i % 5 === 4) builder.container(id, { app: APPS[i % 2], after, tests });
    else builder.sql(id, { after, tests, sql: `INSERT INTO {{schema}}.t${i} SELECT 1` });
    layer.push(id);
    if (layer.length >= 1 + (i % 3)) {
      previous = layer;
      layer = [];
    }
  }
  return builder.build({ apps: APPS });
}

/** The statements (and container runs) one step makes the run wait for, with the keys their durations use. */
function stepStatements(definition: PipelineDefinition, step: StepDefinition): string[] {
  const own =
    step.type === 'sql'
      ? [`${definition.id}: ${step.name}`]
      : step.type === 'container'
        ? [`container: ${step.id}`]
        : [];
  return [...own, ...step.tests.map((t) => `Test: ${t.name}`)];
}

/** Seconds and statement count of the longest path through the plan, each statement noticed the moment it ends. */
function criticalPath(definition: PipelineDefinition, node: PlanNode): { seconds: number; statements: number } {
  switch (node.kind) {
    case 'step': {
      const keys = stepStatements(
        definition,
        definition.steps.find((s) => s.id === node.id)!,
      );
      return { seconds: keys.reduce((sum, k) => sum + duration(k), 0), statements: keys.length };
    }
    case 'sequence':
      return node.items
        .map((n) => criticalPath(definition, n))
        .reduce((a, b) => ({ seconds: a.seconds + b.seconds, statements: a.statements + b.statements }));
    case 'parallel':
      return node.branches.map((n) => criticalPath(definition, n)).reduce((a, b) => (b.seconds > a.seconds ? b : a));
  }
}

/**
 * A hand-written machine for the same statements, in one execution and in plan order: each statement is executed and
 * polled with the compiled machine's waits (Wait, DescribeStatement, a Choice, a Pass that counts the poll and picks
 * the next wait), a test's result read and judged (a Choice), a container run with
 * runTask.sync, a copy listed; no child executions, no metrics, no alerts.
 */
function handWritten(definition: PipelineDefinition): Record<string, any> {
  const states: Record<string, any> = {};
  const order: string[] = [];
  let n = 0;
  const add = (name: string, state: Record<string, any>) => {
    states[name] = state;
    order.push(name);
  };
  const statement = (name: string, plan: PollPlan, read: boolean) => {
    const i = ++n;
    // The same waits as the compiled machine's: the schedule up to the longest wait, then the longest wait.
    const waits = Array.from({ length: plan.maxPolls + 1 }, (_, k) =>
      k === 0 ? POLL_SCHEDULE[0] : k - 1 >= plan.capPolls ? plan.pollSeconds : POLL_SCHEDULE[k],
    );
    add(`Execute ${i}`, {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
      Parameters: { Sql: 'SELECT 1', StatementName: name },
      ResultSelector: { 'id.$': '$.Id', polls: 0, wait: waits[0] },
      ResultPath: '$.statement',
    });
    add(`Wait ${i}`, { Type: 'Wait', SecondsPath: '$.statement.wait' });
    add(`Describe ${i}`, {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
      Parameters: { 'Id.$': '$.statement.id' },
      ResultSelector: { 'status.$': '$.Status' },
      ResultPath: '$.description',
    });
    add(`Done ${i}`, {
      Type: 'Choice',
      Choices: [
        { Variable: '$.description.status', StringEquals: 'FAILED', Next: 'Failed' },
        { Variable: '$.description.status', StringEquals: 'FINISHED', Next: '' },
      ],
      Default: `Count ${i}`,
    });
    states[`Count ${i}`] = {
      Type: 'Pass',
      Parameters: {
        'id.$': '$.statement.id',
        'polls.$': 'States.MathAdd($.statement.polls, 1)',
        'wait.$': `States.ArrayGetItem(States.Array(${waits.join(', ')}), States.MathAdd($.statement.polls, 1))`,
      },
      ResultPath: '$.statement',
      Next: `Wait ${i}`,
    };
    if (read) {
      add(`Read ${i}`, {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:redshiftdata:getStatementResult',
        Parameters: { 'Id.$': '$.statement.id' },
        ResultSelector: { 'status.$': '$.Records[0][0].StringValue' },
        ResultPath: '$.result',
      });
      add(`Verdict ${i}`, {
        Type: 'Choice',
        Choices: [{ Not: { Variable: '$.result.status', StringEquals: 'passed' }, Next: 'Failed' }],
        Default: '',
      });
    }
  };
  statement(`${definition.id}: Prepare run history`, SETUP_POLL_PLAN, false);
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  for (const id of planStepIds(planSteps(definition.steps))) {
    const step = steps.get(id)!;
    const i = ++n;
    if (step.type === 'sql') {
      statement(`${definition.id}: ${step.name}`, sqlPollPlan(step), false);
    } else if (step.type === 'container') {
      add(`Run ${i}`, {
        Type: 'Task',
        Resource: 'arn:aws:states:::ecs:runTask.sync',
        Parameters: {
          Overrides: { ContainerOverrides: [{ Name: step.app, Environment: [{ Name: 'KITCHENS_STEP', Value: id }] }] },
        },
        ResultPath: null,
      });
    } else {
      add(`List ${i}`, {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:s3:listObjectsV2',
        Parameters: { Bucket: 'landing', Prefix: step.from.prefix },
        ResultSelector: { 'count.$': '$.KeyCount' },
        ResultPath: '$.listing',
      });
      add(`Objects ${i}`, {
        Type: 'Choice',
        Choices: [{ Variable: '$.listing.count', NumericGreaterThan: 0, Next: 'Failed' }],
        Default: '',
      });
    }
    for (const test of step.tests) statement(`Test: ${test.name}`, testPollPlan(test), true);
  }
  statement(`${definition.id}: Record run`, SETUP_POLL_PLAN, false);
  // Chain the states in order: each one's open `Next` (or Default) is the state after it.
  order.forEach((name, i) => {
    const state = states[name];
    const following = order[i + 1] ?? 'Succeeded';
    if (state.Type === 'Choice') {
      for (const choice of state.Choices) if (choice.Next === '') choice.Next = following;
      if (state.Default === '') state.Default = following;
    } else {
      state.Next = following;
    }
  });
  states.Succeeded = { Type: 'Succeed' };
  states.Failed = { Type: 'Fail', Error: 'Failed' };
  return { StartAt: order[0], States: states };
}

interface Measured {
  readonly pipeline: string;
  readonly steps: number;
  readonly run: number;
  readonly statements: number;
  readonly count: number;
  readonly transitions: number;
  readonly handTransitions: number;
}

async function measure(definition: PipelineDefinition, lake: string): Promise<Measured> {
  const names = new Names({ project: 'acme', environment: 'dev', account: '222222222222' });
  const variables = pipelineVariables({
    project: 'acme',
    environment: 'dev',
    account: '222222222222',
    region: 'eu-west-1',
    schema: 'analytics',
    database: 'analytics',
    prefix: names.dataPrefix,
    buckets: { landing: 'landing', raw: 'raw', curated: 'curated' },
  });
  const { asl, stateMachines } = compileWithStandIns(definition, { names, variables, apps: APPS });
  const clock = new VirtualClock();
  const result = await runPipelineLocally({
    definition: asl,
    stateMachines,
    bindings: bindings(clock),
    clock,
    dataLakeDirectory: lake,
  });
  if (result.status !== 'succeeded') throw new Error(`${definition.id}: ${result.error}: ${result.cause}`);
  const run = clock.now();
  const handClock = new VirtualClock();
  const hand = await runPipelineLocally({
    definition: handWritten(definition),
    bindings: bindings(handClock),
    clock: handClock,
    dataLakeDirectory: lake,
  });
  if (hand.status !== 'succeeded') throw new Error(`hand-written ${definition.id}: ${hand.error}: ${hand.cause}`);
  // Setup at the start and the run record at the end are statements on every path.
  const path = criticalPath(definition, planSteps(definition.steps));
  const bookkeeping = duration(`${definition.id}: Prepare run history`) + duration(`${definition.id}: Record run`);
  if (run + 1e-3 < path.seconds + bookkeeping) {
    throw new Error(
      `${definition.id}: the virtual clock ran ahead: run ${run} s < statements ${path.seconds + bookkeeping} s`,
    );
  }
  return {
    pipeline: definition.id,
    steps: definition.steps.length,
    run,
    statements: path.seconds + bookkeeping,
    count: path.statements + 2,
    transitions: result.transitions,
    handTransitions: hand.transitions,
  };
}

async function main(): Promise<void> {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-latency-lake-'));
  try {
    const root = path.resolve(__dirname, '..');
    const bundled = fs
      .readdirSync(path.join(root, 'pipelines'))
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .map((f) => loadPipelineFile(path.join(root, 'pipelines', f), { apps: APPS }));
    const pipelines = [...bundled, generated(50)];
    console.log(
      `statements and container runs: uniform ${MIN_SECONDS}-${MAX_SECONDS} s (seed ${SEED}); Wait states advance a virtual clock`,
    );
    const results: Measured[] = [];
    for (const definition of pipelines) {
      const m = await measure(definition, lake);
      results.push(m);
      console.log(
        `${m.pipeline} (${m.steps} steps): run ${m.run.toFixed(1)} s, statements ${m.statements.toFixed(1)} s ` +
          `(${m.count} on the critical path), overhead per statement ${((m.run - m.statements) / m.count).toFixed(2)} s; ` +
          `transitions ${m.transitions} vs ${m.handTransitions} hand-written (${(m.transitions / m.handTransitions).toFixed(2)}x)`,
      );
    }
    const sum = (f: (m: Measured) => number) => results.reduce((s, m) => s + f(m), 0);
    const transitions = sum((m) => m.transitions);
    const hand = sum((m) => m.handTransitions);
    console.log(
      `transitions: ${transitions} per run of all pipelines vs ${hand} hand-written (${(transitions / hand).toFixed(2)}x, target <= 1.5x)`,
    );
    const run = sum((m) => m.run);
    const statements = sum((m) => m.statements);
    const overhead = (run - statements) / sum((m) => m.count);
    console.log(
      `latency: run ${run.toFixed(1)} s, statements ${statements.toFixed(1)} s, overhead per statement ${overhead.toFixed(2)} s`,
    );
  } finally {
    fs.rmSync(lake, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
