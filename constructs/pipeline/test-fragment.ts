/**
 * The fragment of one data test, a state a person can see: `Test: <name>` starts the pipeline's shared
 * `Evaluate test` machine (see runners.ts), which records the value and verdict in the history table, alerts, and
 * returns the result record into `$.tests.<key>`. An `error` test that did not pass then fails the run
 * (`Verdict: <name>` -> `Failed: <name>`, which names the failure and hands it to the scope's `testFailed` target);
 * `warning` and `log` tests continue.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { maxPolls, TEST_POLL_SECONDS } from '../../lib/pipeline/limits';
import type { StepDefinition, TestDefinition, TestRule } from '../../lib/pipeline/model';
import { testSqlParts } from '../../lib/pipeline/sql';
import { CompileContext, PATHS, startChild } from './states';

/** The key of a test's result in `$.tests` and in the execution output: `orders row count` -> `orders_row_count`. */
export function testResultKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

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
      return `within ${rule.k} standard deviations of the last ${rule.last} passed values`;
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
  /**
   * Where an `error` test that did not pass goes, with `{ Error, Cause }` at `$.failure`: the scope's
   * `FailureTargets.testFailed`. Read only for `error` tests.
   */
  readonly onFailed: () => sfn.IChainable;
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
        pollSeconds: TEST_POLL_SECONDS,
        maxPolls: maxPolls(test.timeoutSeconds, TEST_POLL_SECONDS),
      },
      {
        resultSelector: Object.fromEntries(TEST_RESULT_FIELDS.map((f) => [`${f}.$`, `$.Output.${f}`])),
        resultPath: `${PATHS.tests}.${key}`,
      },
    );
    props.catchTo(evaluate);
    let chain = sfn.Chain.start(evaluate);
    if (test.level === 'error') {
      const verdict = new sfn.Choice(this, 'Verdict', { stateName: `Verdict: ${test.name}` }).when(
        sfn.Condition.not(sfn.Condition.stringEquals(`${PATHS.tests}.${key}.status`, 'passed')),
        new sfn.Pass(this, 'Failed', {
          stateName: `Failed: ${test.name}`,
          parameters: {
            Error: 'Kitchens.TestFailed',
            Cause: `Test "${test.name}" of step "${step.name}" did not pass (expected ${describeRule(test.rule)}): see the alert and the run output`,
          },
          resultPath: PATHS.failure,
        }).next(props.onFailed()),
      );
      chain = chain.next(verdict.afterwards({ includeOtherwise: true }));
    }
    this.startState = evaluate;
    this.endStates = chain.endStates;
  }
}
