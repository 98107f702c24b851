/**
 * Step Functions and Data API limits, checked before anything is synthesized. History estimates are worst cases:
 * every poll loop runs until its timeout and every failure path is taken once. Statements and tests run in child
 * executions (constructs/pipeline/runners.ts), each with its own history: the pipeline's own history grows by a
 * fixed number of events per step and test, and each child's by its poll budget.
 */
import { ConfigError } from '../config/errors';
import type { PipelineDefinition, SqlStep, StepDefinition, TestDefinition } from './model';
import { planStages, planStepIds, type PlanNode, type StagedPlan } from './graph';
import { historySetupStatements, runRecordStatement, testStatement } from './sql';

export const LIMITS = {
  definitionBytes: 1024 * 1024,
  historyEvents: 25000,
  statementBytes: 100 * 1024,
} as const;

/**
 * Statements are polled adaptively: the first DescribeStatement 1 s after the statement starts, then every
 * max(1 s, POLL_FRACTION of the time since it started) seconds (whole seconds, rounded down), up to a longest wait
 * (`pollSeconds` of a SQL step). A statement that finishes is noticed within max(1 s, 10 % of its running time), and a
 * statement of T seconds costs about 10 + 10 ln(T / 10) polls instead of T / interval.
 */
export const POLL_FRACTION = 0.1;
/** The longest wait between polls a step may ask for (the schema's limit of `pollSeconds`). */
export const MAX_POLL_SECONDS = 300;
/**
 * The waits before each poll, in order, until one reaches MAX_POLL_SECONDS: 1, 1, ... (20 times), 2, 2, 2, ... The
 * `Run SQL` and `Evaluate test` machines hold this list once each and pick the next wait from it.
 */
export const POLL_SCHEDULE: readonly number[] = (() => {
  const waits: number[] = [];
  let elapsed = 0;
  for (;;) {
    const wait = Math.max(1, Math.floor(elapsed * POLL_FRACTION + 1e-9));
    waits.push(wait);
    elapsed += wait;
    if (wait >= MAX_POLL_SECONDS) return waits;
  }
})();

/** Longest wait between two polls of a test statement (seconds). */
export const TEST_POLL_SECONDS = 30;
/** Longest wait between two polls of the history table setup and the run record (seconds), and their timeout. */
export const SETUP_POLL_SECONDS = 5;
export const SETUP_TIMEOUT_SECONDS = 120;

/** How a statement is polled: `maxPolls`, the poll budget, and from which poll on the wait is `pollSeconds`. */
export interface PollPlan {
  /** The longest wait between polls. */
  readonly pollSeconds: number;
  /**
   * The machine gives up (the statement `stopped`) when it has counted this many polls: the waits before them add up
   * to at least the timeout.
   */
  readonly maxPolls: number;
  /** From this count of polls on, the next wait is `pollSeconds` rather than the schedule's (never past its end). */
  readonly capPolls: number;
}

/** The poll plan of a statement with a timeout, polled at most every `pollSeconds` (1 to MAX_POLL_SECONDS). */
export function pollPlan(timeoutSeconds: number, pollSeconds: number): PollPlan {
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > MAX_POLL_SECONDS) {
    throw new Error(`pollPlan: pollSeconds must be an integer from 1 to ${MAX_POLL_SECONDS}, got: ${pollSeconds}`);
  }
  const capIndex = POLL_SCHEDULE.findIndex((w) => w >= pollSeconds);
  const wait = (j: number) => (j < capIndex ? POLL_SCHEDULE[j] : pollSeconds);
  // The Choice after poll k+1 sees `polls` = k and stops at k >= maxPolls; the waits before it are wait(0..k).
  let waited = wait(0);
  let k = 0;
  while (waited < timeoutSeconds) {
    k++;
    waited += wait(k);
  }
  return { pollSeconds, maxPolls: Math.max(1, k), capPolls: Math.max(0, capIndex - 1) };
}

/** The history table setup's and the run record's poll plan. */
export const SETUP_POLL_PLAN = pollPlan(SETUP_TIMEOUT_SECONDS, SETUP_POLL_SECONDS);
/**
 * Largest stage, by weight (a step counts 1, each of its tests 1 more). A pipeline heavier than this compiles to a
 * parent machine that runs stage child machines one after another, each with its own 1 MB definition and 25,000
 * history events; lighter pipelines stay one machine. About 2 KB of definition per unit of weight.
 */
export const STAGE_WEIGHT = 200;
/** History events one unit of stage weight may bring: a step costs at least its events / EVENTS_PER_WEIGHT. */
export const EVENTS_PER_WEIGHT = 100;

/**
 * A step's weight in a stage: 1, plus 1 per test, and at least its worst-case history events / EVENTS_PER_WEIGHT, so a
 * stage of STAGE_WEIGHT stays within about 20,000 events (copy steps with many objects are what makes this bind).
 */
export function stepWeight(step: StepDefinition): number {
  return Math.max(1 + step.tests.length, Math.ceil(stepEvents(step) / EVENTS_PER_WEIGHT));
}

/** Branch results merged per Pass state after a Parallel state (intrinsic functions nest at most 10 deep). */
export const MERGE_FAN_IN = 9;

// Events each kind of state adds to an execution history. A `.sync` Task (ECS runTask, StartExecution): entered,
// scheduled, started, submitted, succeeded, exited.
const EVENTS = { pass: 2, task: 5, syncTask: 6, parallel: 4, map: 4, mapItem: 7, execution: 2, fail: 2 } as const;
/** One poll in a child: Wait, DescribeStatement, Choice, counter Pass. */
const POLL_EVENTS = EVENTS.pass + EVENTS.task + EVENTS.pass + EVENTS.pass;
/** Name the step in the failure, alert, fail. */
const FAILURE_EVENTS = EVENTS.pass + EVENTS.task + EVENTS.fail;

/** The poll plan of a SQL step. */
export const sqlPollPlan = (step: SqlStep): PollPlan => pollPlan(step.timeoutMinutes * 60, step.pollSeconds);

/** The poll plan of a test. */
export const testPollPlan = (test: TestDefinition): PollPlan => pollPlan(test.timeoutSeconds, TEST_POLL_SECONDS);

/** Worst case of one `Run SQL` child execution: Choice, execute, every poll, then fail with the error. */
export function sqlRunEvents(polls: number): number {
  return EVENTS.execution + EVENTS.pass + EVENTS.task + polls * POLL_EVENTS + EVENTS.pass + EVENTS.fail;
}

/**
 * Worst case of one `Evaluate test` child execution: evaluate, every poll, read, the error path, the test's metrics
 * (two PutMetricData calls, the band Choice and its call), the verdict and alert Choices, the alert.
 */
export function testRunEvents(test: TestDefinition): number {
  const polls = testPollPlan(test).maxPolls;
  // The read and the result record; the verdict Choice is counted with the alert Choice below.
  const read = EVENTS.task + EVENTS.pass;
  const errored = EVENTS.pass + EVENTS.task;
  const metrics = 3 * EVENTS.task + EVENTS.pass;
  const choices = 2 * EVENTS.pass;
  return (
    EVENTS.execution +
    EVENTS.task +
    polls * POLL_EVENTS +
    read +
    errored +
    metrics +
    choices +
    EVENTS.task +
    EVENTS.pass * 2 +
    EVENTS.fail
  );
}

/** Events a test adds to the pipeline's own history: its Task state. */
export function testEvents(_test: TestDefinition): number {
  return EVENTS.syncTask;
}

/** The verdict Choice after a step's tests and the Pass that names a failed error test (none without error tests). */
export function verdictEvents(step: StepDefinition): number {
  return step.tests.some((t) => t.level === 'error') ? 2 * EVENTS.pass : 0;
}

/** Events a step adds to the pipeline's own history (its child executions have their own). */
export function stepEvents(step: StepDefinition): number {
  let events: number;
  switch (step.type) {
    case 'sql':
      events = EVENTS.syncTask;
      break;
    case 'container':
      events = EVENTS.syncTask + EVENTS.pass;
      break;
    case 'copy':
      events = EVENTS.task + 2 * EVENTS.pass + EVENTS.map + step.maxObjects * EVENTS.mapItem;
      break;
  }
  return events + FAILURE_EVENTS + step.tests.reduce((sum, t) => sum + testEvents(t), 0) + verdictEvents(step);
}

/** The worst case of the largest child execution a step starts (0 for container and copy steps without tests). */
export function stepChildEvents(step: StepDefinition): number {
  const sql = step.type === 'sql' ? sqlRunEvents(sqlPollPlan(step).maxPolls) : 0;
  return Math.max(sql, ...step.tests.map(testRunEvents));
}

/** A Parallel state, each branch's closing Pass, and the Passes that merge the branches' results. */
const parallelEvents = (branches: number) =>
  EVENTS.parallel + branches * EVENTS.pass + Math.ceil(branches / MERGE_FAN_IN) * EVENTS.pass;

function planEvents(node: PlanNode, steps: ReadonlyMap<string, StepDefinition>): number {
  switch (node.kind) {
    case 'step':
      return stepEvents(steps.get(node.id)!);
    case 'sequence':
      return node.items.reduce((sum, n) => sum + planEvents(n, steps), 0);
    case 'parallel':
      return parallelEvents(node.branches.length) + node.branches.reduce((sum, n) => sum + planEvents(n, steps), 0);
  }
}

/** Worst-case history events of the pipeline's own execution when it is one machine (not counting child executions). */
export function historyEventBound(definition: PipelineDefinition, plan: PlanNode): number {
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  // Start Pass, results Pass, Succeed.
  return EVENTS.execution + 3 * EVENTS.pass + RUN_BOOKKEEPING_EVENTS + planEvents(plan, steps);
}

/**
 * The history tables' setup at the start of every run and the run's record at its end (one `Run SQL` child
 * execution each; the record runs once, on the success or the failure path, and a failed write is caught).
 */
const RUN_BOOKKEEPING_EVENTS = 2 * EVENTS.syncTask;

/** The stages a pipeline compiles to (see STAGE_WEIGHT), or undefined when it is one machine. */
export function pipelineStages(
  definition: PipelineDefinition,
  plan: PlanNode,
  stageWeight: number = STAGE_WEIGHT,
): { readonly staged: StagedPlan; readonly stages: readonly PlanNode[] } | undefined {
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  return planStages(plan, (id) => stepWeight(steps.get(id)!), stageWeight);
}

/** Worst-case history events of the pipeline's own execution and of each stage execution (none when one machine). */
export interface HistoryBounds {
  readonly pipeline: number;
  readonly stages: readonly number[];
}

export function historyEventBounds(
  definition: PipelineDefinition,
  plan: PlanNode,
  stages: { readonly staged: StagedPlan; readonly stages: readonly PlanNode[] } | undefined,
): HistoryBounds {
  if (!stages) return { pipeline: historyEventBound(definition, plan), stages: [] };
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  // A stage in the pipeline: its Task and the Pass that merges its results; when it fails, two Passes name the
  // failure and the run fails. A stage execution: its start Pass, its steps, its results Pass.
  const skeleton = (node: StagedPlan): number => {
    switch (node.kind) {
      case 'stage':
        return EVENTS.syncTask + EVENTS.pass + 2 * EVENTS.pass;
      case 'sequence':
        return node.items.reduce((sum, n) => sum + skeleton(n), 0);
      case 'parallel':
        return parallelEvents(node.branches.length) + node.branches.reduce((sum, n) => sum + skeleton(n), 0);
    }
  };
  return {
    pipeline: EVENTS.execution + 3 * EVENTS.pass + RUN_BOOKKEEPING_EVENTS + skeleton(stages.staged) + EVENTS.fail,
    stages: stages.stages.map((stage) => EVENTS.execution + 2 * EVENTS.pass + planEvents(stage, steps)),
  };
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Problems with statements over the Data API limit, and with an execution that could exceed the history limit. */
export function limitProblems(
  definition: PipelineDefinition,
  plan: PlanNode,
  historyTable: string,
  stageWeight: number = STAGE_WEIGHT,
): string[] {
  const problems: string[] = [];
  const source = definition.source;
  const tooLong = (where: string, sql: string) => {
    const size = bytes(sql);
    if (size > LIMITS.statementBytes) {
      problems.push(
        `${source}: ${where} must be at most ${LIMITS.statementBytes} bytes (the Redshift Data API statement limit), got: ${size} bytes`,
      );
    }
  };
  historySetupStatements(historyTable).forEach((s) => tooLong('the history table setup', s));
  tooLong('the run record', runRecordStatement(historyTable, definition.id, false));
  definition.steps.forEach((step, i) => {
    if (step.type === 'sql') {
      step.statements.forEach((s, j) =>
        tooLong(step.statements.length === 1 ? `steps[${i}].sql` : `steps[${i}].sql[${j}]`, s),
      );
    }
    step.tests.forEach((test, j) => {
      const insert = testStatement(test, { historyTable, pipeline: definition.id, step: step.id });
      tooLong(`steps[${i}].tests[${j}].query (with the SQL that records its result)`, insert);
    });
  });
  definition.steps.forEach((step, i) => {
    if (step.type === 'sql') {
      const events = sqlRunEvents(sqlPollPlan(step).maxPolls);
      if (events > LIMITS.historyEvents) {
        problems.push(
          `${source}: steps[${i}] (${step.id}) could record up to ${events} history events in its Run SQL execution ` +
            `(timeoutMinutes ${step.timeoutMinutes}, pollSeconds ${step.pollSeconds}); Step Functions allows at most ` +
            `${LIMITS.historyEvents}. Raise pollSeconds or lower timeoutMinutes`,
        );
      }
    }
    step.tests.forEach((test, j) => {
      const events = testRunEvents(test);
      if (events > LIMITS.historyEvents) {
        problems.push(
          `${source}: steps[${i}].tests[${j}] (${test.name}) could record up to ${events} history events in its ` +
            `Evaluate test execution (timeoutSeconds ${test.timeoutSeconds}); Step Functions allows at most ` +
            `${LIMITS.historyEvents}. Lower timeoutSeconds`,
        );
      }
    });
  });
  const stages = pipelineStages(definition, plan, stageWeight);
  const bounds = historyEventBounds(definition, plan, stages);
  const executions = [
    { what: 'an execution', events: bounds.pipeline, ids: definition.steps.map((s) => s.id) },
    ...bounds.stages.map((events, i) => ({
      what: `the execution of stage ${i + 1}`,
      events,
      ids: planStepIds(stages!.stages[i]),
    })),
  ];
  for (const execution of executions) {
    if (execution.events <= LIMITS.historyEvents) continue;
    const largest = definition.steps
      .map((s, i) => ({ at: `steps[${i}] (${s.id})`, id: s.id, events: stepEvents(s) }))
      .filter((s) => execution.ids.includes(s.id))
      .sort((a, b) => b.events - a.events)
      .slice(0, 3)
      .map((s) => `${s.at}: ${s.events}`)
      .join(', ');
    problems.push(
      `${source}: ${execution.what} could record up to ${execution.events} history events; Step Functions allows at most ` +
        `${LIMITS.historyEvents}. Largest steps: ${largest}. Lower maxObjects of copy steps, or split the pipeline`,
    );
  }
  return problems;
}

export function checkLimits(
  definition: PipelineDefinition,
  plan: PlanNode,
  historyTable: string,
  stageWeight: number = STAGE_WEIGHT,
): void {
  const problems = limitProblems(definition, plan, historyTable, stageWeight);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
}

/**
 * Throws when a rendered definition is over the Step Functions definition size limit; `machine` names the state
 * machine (the pipeline's own, a stage's or a runner's).
 */
export function checkDefinitionSize(source: string, definitionBytes: number, machine?: string): void {
  if (definitionBytes > LIMITS.definitionBytes) {
    throw new ConfigError([
      `${source}: the compiled state machine definition${machine ? ` of ${machine}` : ''} must be at most ${LIMITS.definitionBytes} bytes (the Step Functions limit), ` +
        `got: ${definitionBytes} bytes; split the pipeline, remove tests or shorten long SQL`,
    ]);
  }
}
