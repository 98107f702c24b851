/**
 * The fragment of one data test, a state a person can see: `Test: <name>` records the value and the verdict in the
 * history table and reads them back (one BatchExecuteStatement), then the rule decides by level: `error` alerts
 * and fails the run, `warning` alerts and continues, `log` only records. The result lands in `$.tests.<key>`.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { TEST_POLL_SECONDS, maxPolls } from '../../lib/pipeline/limits';
import type { StepDefinition, TestDefinition, TestRule } from '../../lib/pipeline/model';
import { testStatements, toFormat } from '../../lib/pipeline/sql';
import { CompileContext, PATHS, RETRYABLE, dataApiTarget, dataApiTask, retryTransient, statementPoll } from './states';

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
      return `within ${rule.k} standard deviations of the last ${rule.last} values`;
  }
}

export interface TestFragmentProps {
  readonly context: CompileContext;
  readonly step: StepDefinition;
  readonly test: TestDefinition;
  /** Where SQL failures of the test go (the step's failure handler). */
  readonly onFailure: sfn.IChainable;
  readonly catchTo: (task: sfn.TaskStateBase | sfn.Map) => void;
}

export class TestFragment extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: TestFragmentProps) {
    super(scope, id);
    const { context, step, test } = props;
    const { definition, target } = context;
    const key = testResultKey(test.name);
    const statements = testStatements(test, {
      historyTable: target.historyTable,
      pipeline: definition.id,
      step: step.id,
    });
    const sqls = statements.map((sql) => {
      const { template, args } = toFormat(sql, { runId: PATHS.runId, startedAt: PATHS.startedAt });
      return `States.Format('${template}', ${args.join(', ')})`;
    });
    const record = dataApiTask(
      this,
      'Record',
      `Test: ${test.name}`,
      'batchExecuteStatement',
      {
        ...dataApiTarget(target),
        'Sqls.$': `States.Array(${sqls.join(', ')})`,
        StatementName: `${definition.id}: Test: ${test.name}`,
      },
      target,
      { resultSelector: { 'id.$': '$.Id', polls: 0 }, resultPath: PATHS.statement },
    );
    props.catchTo(record);
    const poll = statementPoll(
      this,
      '',
      test.name,
      {
        step: step.name,
        pollSeconds: TEST_POLL_SECONDS,
        maxPolls: maxPolls(test.timeoutSeconds, TEST_POLL_SECONDS),
        onFailure: props.onFailure,
        catchTo: props.catchTo,
      },
      target,
    );
    const read = dataApiTask(
      this,
      'Read',
      `Result: ${test.name}`,
      'getStatementResult',
      { 'Id.$': "States.Format('{}:2', $.statement.id)" },
      target,
      {
        resultSelector: {
          step: step.id,
          test: test.name,
          level: test.level,
          'status.$': '$.Records[0][0].StringValue',
          'value.$': '$.Records[0][1].StringValue',
          'expectation.$': '$.Records[0][2].StringValue',
        },
        resultPath: `${PATHS.tests}.${key}`,
      },
    );
    props.catchTo(read);
    let chain = sfn.Chain.start(record).next(poll).next(read);
    if (test.level !== 'log') {
      const alert = this.alert(context, step, test, key);
      const failed = sfn.Condition.stringEquals(`${PATHS.tests}.${key}.status`, 'failed');
      const verdict = new sfn.Choice(this, 'Verdict', { stateName: `Verdict: ${test.name}` });
      if (test.level === 'error') {
        verdict.when(
          failed,
          alert.next(
            new sfn.Fail(this, 'Failed', {
              stateName: `Failed: ${test.name}`,
              error: 'Kitchens.TestFailed',
              cause: `Test "${test.name}" of step "${step.name}" failed: expected ${describeRule(test.rule)}; the value is in the alert and in ${target.historyTable}`,
            }),
          ),
        );
      } else {
        verdict.when(failed, alert);
      }
      chain = chain.next(verdict.afterwards({ includeOtherwise: true }));
    }
    this.startState = record;
    this.endStates = chain.endStates;
  }

  private alert(context: CompileContext, step: StepDefinition, test: TestDefinition, key: string): tasks.SnsPublish {
    const { definition, target } = context;
    const environment = target.variables.env ?? target.names.context.environment;
    const result = `${PATHS.tests}.${key}`;
    const icon = test.level === 'error' ? ':x:' : ':warning:';
    const alert = new tasks.SnsPublish(this, 'Alert', {
      stateName: `Alert: ${test.name}`,
      topic: target.alertTopic,
      message: sfn.TaskInput.fromObject({
        version: '1.0',
        source: 'custom',
        content: {
          textType: 'client-markdown',
          title: `${icon} ${environment} / ${definition.id}: test "${test.name}" failed (${test.level})`,
          description: sfn.JsonPath.format(
            `Step "${step.name}": value {}, expected {}`,
            sfn.JsonPath.stringAt(`${result}.value`),
            sfn.JsonPath.stringAt(`${result}.expectation`),
          ),
        },
        metadata: {
          additionalContext: {
            environment,
            pipeline: definition.id,
            step: step.id,
            test: test.name,
            level: test.level,
            value: sfn.JsonPath.stringAt(`${result}.value`),
            expectation: sfn.JsonPath.stringAt(`${result}.expectation`),
            runId: sfn.JsonPath.stringAt(PATHS.runId),
          },
        },
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    retryTransient(alert, RETRYABLE.sns, Duration.seconds(1));
    return alert;
  }
}
