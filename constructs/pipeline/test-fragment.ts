/**
 * The fragment of one data test, a state a person can see: `Test: <name>` starts the pipeline's shared
 * `Evaluate test` machine (see runners.ts), which records the value and verdict in the history table, alerts, and
 * returns the result record into `$.tests.<key>`. Every test of a step runs and is recorded; then an `error` test
 * that did not pass fails the step (`Verdict: <step>` -> `Failed: <test>` or `Errored: <test>`, which names the
 * failure and hands it to the scope's `testFailed` target); `warning` and `log` tests never fail it.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { testPollPlan } from '../../lib/pipeline/limits';
import type { StepDefinition, TestDefinition, TestRule } from '../../lib/pipeline/model';
import { testSqlParts } from '../../lib/pipeline/sql';
import { testResultKey } from '../../lib/pipeline/validate';
import { CompileContext, escapeLiteral, PATHS, startChild } from './states';

export function describeRule(rule: TestRule): string {
  switch (rule.kind) {
    case 'equals':
      return `= ${rule.value}`;
    case 'not_equals':
      return `!= ${rule.value}`;
    case 'min':
      return `>= ${rule.value}`;
    case 'max':
      return `<= ${rule.value}`;
    case 'between':
      return `between ${rule.min} and ${rule.max}`;
    case 'in_control':
      return `within ${rule.k} robust standard deviations of the median of the last ${rule.last} passed values`;
  }
}

/** The fields of a test's result record (the `Evaluate test` output) kept in `$.tests.<key>`. */
export const TEST_RESULT_FIELDS = [
  'step',
  'test',
  'level',
  'status',
  'value',
  'expectation',
  'band',
  'message',
  'error',
] as const;

const ICONS = { error: ':x:', warning: ':warning:', log: ':information_source:' } as const;

/** Input of a {@link TestFragment}: one test of one step, compiled into the pipeline's state machine. */
export interface TestFragmentProps {
  /** The pipeline being compiled: its definition, target and runner state machines. */
  readonly context: CompileContext;
  /** The step the test belongs to (its id and name label the result and the alert). */
  readonly step: StepDefinition;
  /** The test to run and judge. */
  readonly test: TestDefinition;
  /** Catches the test's Task state (a child execution). */
  readonly catchTo: (task: sfn.TaskStateBase) => void;
}

export class TestFragment extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: TestFragmentProps) {
    super(scope, id);
    const { context, step, test } = props;
    const { definition, target } = context;
    const key = testResultKey(test.name);
    const sql = testSqlParts(test, { historyTable: target.historyTable, pipeline: definition.id, step: step.id });
    const evaluate = startChild(
      this,
      'Evaluate',
      `Test: ${test.name}`,
      context.runners.test,
      {
        sql,
        step: step.id,
        stepName: step.name,
        test: test.name,
        level: test.level,
        expectation: describeRule(test.rule),
        // An in_control test also publishes its band (constructs/observability/test-metrics.ts).
        inControl: test.rule.kind === 'in_control',
        icon: ICONS[test.level],
        'runId.$': PATHS.runId,
        'startedAt.$': PATHS.startedAt,
        what: `test "${test.name}" of step "${step.name}"`,
        ...testPollPlan(test),
      },
      {
        resultSelector: Object.fromEntries(TEST_RESULT_FIELDS.map((f) => [`${f}.$`, `$.Output.${f}`])),
        resultPath: `${PATHS.tests}.${key}`,
      },
    );
    props.catchTo(evaluate);
    this.startState = evaluate;
    this.endStates = [evaluate];
  }
}

/**
 * The verdict of a step's `error` tests, after every test of the step has run and been recorded: the first error
 * test (in declaration order) that errored or did not pass fails the step, naming it; an errored one says so with the
 * database's error. Undefined for a step without error tests.
 */
export function stepVerdict(
  scope: Construct,
  step: StepDefinition,
  onFailed: () => sfn.IChainable,
): sfn.Choice | undefined {
  const errorTests = step.tests.filter((t) => t.level === 'error');
  if (errorTests.length === 0) return undefined;
  const verdict = new sfn.Choice(scope, 'Verdict', { stateName: `Verdict: ${step.name}` });
  errorTests.forEach((test, i) => {
    const status = `${PATHS.tests}.${testResultKey(test.name)}.status`;
    const what = escapeLiteral(`Test "${test.name}" of step "${step.name}"`);
    const failure = (id: string, stateName: string, cause: Record<string, string>) =>
      new sfn.Pass(scope, id, {
        stateName,
        parameters: { Error: 'Kitchens.TestFailed', ...cause },
        resultPath: PATHS.failure,
      }).next(onFailed());
    verdict
      .when(
        sfn.Condition.stringEquals(status, 'errored'),
        failure(`Errored${i}`, `Errored: ${test.name}`, {
          'Cause.$': `States.Format('${what} errored: {}', ${PATHS.tests}.${testResultKey(test.name)}.error)`,
        }),
      )
      .when(
        sfn.Condition.not(sfn.Condition.stringEquals(status, 'passed')),
        failure(`Failed${i}`, `Failed: ${test.name}`, {
          Cause: `Test "${test.name}" of step "${step.name}" did not pass (expected ${describeRule(test.rule)}): see the alert and the run output`,
        }),
      );
  });
  return verdict;
}
