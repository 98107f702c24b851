/**
 * Step Functions and Data API limits, checked before anything is synthesized. The history estimate is a
 * worst case: every poll loop runs until its timeout and every failure path is taken once.
 */
import { ConfigError } from '../config/errors';
import type { PipelineDefinition, StepDefinition, TestDefinition } from './model';
import type { PlanNode } from './graph';
import { historySetupStatements, testStatements } from './sql';

export const LIMITS = {
  definitionBytes: 1024 * 1024,
  historyEvents: 25000,
  statementBytes: 100 * 1024,
} as const;

/** Poll interval of test statements (seconds). */
export const TEST_POLL_SECONDS = 5;
/** Poll interval of the history table setup statement (seconds) and its poll budget. */
export const SETUP_POLL_SECONDS = 5;
export const SETUP_MAX_POLLS = 24;
/** Branch results merged per Pass state after a Parallel state (intrinsic functions nest at most 10 deep). */
export const MERGE_FAN_IN = 9;

// Events each kind of state adds to an execution history.
const EVENTS = { pass: 2, task: 5, syncTask: 6, parallel: 4, map: 4, mapItem: 7, execution: 2 } as const;
/** One poll: Wait, DescribeStatement, Choice, counter Pass. */
const POLL_EVENTS = EVENTS.pass + EVENTS.task + EVENTS.pass + EVENTS.pass;
/** Name the step in the failure, describe it, alert, fail. */
const FAILURE_EVENTS = 2 * EVENTS.pass + EVENTS.task + EVENTS.pass;

export const maxPolls = (timeoutSeconds: number, pollSeconds: number) =>
  Math.max(1, Math.ceil(timeoutSeconds / pollSeconds));

export function testEvents(test: TestDefinition): number {
  const polls = maxPolls(test.timeoutSeconds, TEST_POLL_SECONDS);
  // Execute, polls, status Choice, GetStatementResult, rule Choice, failure path.
  return EVENTS.task + polls * POLL_EVENTS + EVENTS.pass + EVENTS.task + EVENTS.pass + FAILURE_EVENTS;
}

export function stepEvents(step: StepDefinition): number {
  let events: number;
  switch (step.type) {
    case 'sql':
      events = EVENTS.task + maxPolls(step.timeoutMinutes * 60, step.pollSeconds) * POLL_EVENTS + EVENTS.pass;
      break;
    case 'container':
      events = EVENTS.syncTask + EVENTS.pass;
      break;
    case 'copy':
      events = EVENTS.task + 2 * EVENTS.pass + EVENTS.map + step.maxObjects * EVENTS.mapItem;
      break;
  }
  return events + FAILURE_EVENTS + step.tests.reduce((sum, t) => sum + testEvents(t), 0);
}

function planEvents(node: PlanNode, steps: ReadonlyMap<string, StepDefinition>): number {
  switch (node.kind) {
    case 'step':
      return stepEvents(steps.get(node.id)!);
    case 'sequence':
      return node.items.reduce((sum, n) => sum + planEvents(n, steps), 0);
    case 'parallel':
      return (
        EVENTS.parallel +
        node.branches.length * EVENTS.pass +
        Math.ceil(node.branches.length / MERGE_FAN_IN) * EVENTS.pass +
        node.branches.reduce((sum, n) => sum + planEvents(n, steps), 0)
      );
  }
}

/** Worst-case history events of one execution. */
export function historyEventBound(definition: PipelineDefinition, plan: PlanNode): number {
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  const hasTests = definition.steps.some((s) => s.tests.length > 0);
  const setup = hasTests ? EVENTS.task + SETUP_MAX_POLLS * POLL_EVENTS + EVENTS.pass : 0;
  // Start Pass, results Pass, Succeed.
  return EVENTS.execution + 3 * EVENTS.pass + setup + planEvents(plan, steps);
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Problems with statements over the Data API limit, and with an execution that could exceed the history limit. */
export function limitProblems(definition: PipelineDefinition, plan: PlanNode, historyTable: string): string[] {
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
  definition.steps.forEach((step, i) => {
    if (step.type === 'sql') {
      step.statements.forEach((s, j) =>
        tooLong(step.statements.length === 1 ? `steps[${i}].sql` : `steps[${i}].sql[${j}]`, s),
      );
    }
    step.tests.forEach((test, j) => {
      const [insert] = testStatements(test, { historyTable, pipeline: definition.id, step: step.id });
      tooLong(`steps[${i}].tests[${j}].query (with the SQL that records its result)`, insert);
    });
  });
  const events = historyEventBound(definition, plan);
  if (events > LIMITS.historyEvents) {
    const largest = definition.steps
      .map((s, i) => ({ at: `steps[${i}] (${s.id})`, events: stepEvents(s) }))
      .sort((a, b) => b.events - a.events)
      .slice(0, 3)
      .map((s) => `${s.at}: ${s.events}`)
      .join(', ');
    problems.push(
      `${source}: an execution could record up to ${events} history events; Step Functions allows at most ` +
        `${LIMITS.historyEvents}. Largest steps: ${largest}. Lower timeoutMinutes or a test's timeoutSeconds, raise ` +
        'pollSeconds, lower maxObjects, or split the pipeline',
    );
  }
  return problems;
}

export function checkLimits(definition: PipelineDefinition, plan: PlanNode, historyTable: string): void {
  const problems = limitProblems(definition, plan, historyTable);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
}

/** Throws when a rendered definition is over the Step Functions definition size limit. */
export function checkDefinitionSize(source: string, definitionBytes: number): void {
  if (definitionBytes > LIMITS.definitionBytes) {
    throw new ConfigError([
      `${source}: the compiled state machine definition must be at most ${LIMITS.definitionBytes} bytes (the Step Functions limit), ` +
        `got: ${definitionBytes} bytes; split the pipeline or remove tests`,
    ]);
  }
}
