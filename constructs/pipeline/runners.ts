/**
 * The two child state machines one pipeline shares between all its steps and tests, so the pipeline's own history
 * and definition do not grow with how long statements run or how many states a test needs:
 *
 * - `Run SQL` (`<machine>_sql`): runs one statement (ExecuteStatement) or a batch in one transaction
 *   (BatchExecuteStatement) and polls DescribeStatement until it finishes; FAILED, ABORTED or the poll budget
 *   fails the execution with the statement's error.
 * - `Evaluate test` (`<machine>_test`): records a test's value and verdict in the history table, reads them back,
 *   publishes them as CloudWatch metrics (see constructs/observability/test-metrics.ts),
 *   alerts on a failed warning/error test and on an errored test query, and returns the test's result record.
 *
 * The pipeline starts them with `startExecution.sync:2`: every step and test is one Task state in the pipeline and
 * one execution a person can open from it (linked to the parent). Each child execution has its own 25,000-event
 * history budget.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { POLL_SCHEDULE } from '../../lib/pipeline/limits';
import {
  erroredTestStatement,
  TEST_SQL_PARTS,
  testReadBackStatement,
  testStatementTemplate,
  toFormat,
} from '../../lib/pipeline/sql';
import { acknowledge, acknowledgeGrantWildcards, KMS_GRANT_ACTION_WILDCARDS } from '../core/nag';
import { pipelineIdentity, publishTestResult } from '../observability/test-metrics';
import { BaseContext, dataApiTarget, dataApiTask, RETRYABLE, retryTransient } from './states';

/** What the `Run SQL` machine expects as input (built by the pipeline's SQL and setup states). */
export interface SqlRunInput {
  /** One statement (ExecuteStatement) ... */
  readonly sql?: string;
  /** ... or several run in one transaction (BatchExecuteStatement). */
  readonly sqls?: readonly string[];
  /** With `sql`: its Data API parameters (`:name` in the statement), `{ Name, Value }` each. */
  readonly parameters?: readonly { readonly Name: string; readonly Value: string }[];
  /** Data API statement name. */
  readonly name: string;
  /** What the statement belongs to, for failure causes: `step "Load raw"`. */
  readonly what: string;
  /** The poll plan (lib/pipeline/limits.ts `pollPlan`): longest wait, poll budget, where the longest wait starts. */
  readonly pollSeconds: number;
  readonly maxPolls: number;
  readonly capPolls: number;
}

/**
 * Waits for the statement at `$.statement.id`: Wait `$.statement.wait` (1 s first, then POLL_SCHEDULE's next
 * entry, at most `$.pollSeconds`: lib/pipeline/limits.ts), DescribeStatement, then `{ Error, Cause }` at `$.failure`
 * and `onFailure` on FAILED, ABORTED or after `$.maxPolls` polls; loops while running; `finished` when FINISHED.
 * Failure causes name `$.what`.
 */
function statementLoop(
  scope: Construct,
  context: BaseContext,
  onFailure: sfn.IChainable,
  finished: sfn.IChainable,
  catchTo: (task: sfn.TaskStateBase) => void,
): sfn.State {
  const wait = new sfn.Wait(scope, 'Wait', {
    stateName: 'Wait for the statement',
    time: sfn.WaitTime.secondsPath('$.statement.wait'),
  });
  const describe = dataApiTask(
    scope,
    'Describe',
    'Check the statement',
    'describeStatement',
    { 'Id.$': '$.statement.id' },
    context.target,
    { resultPath: '$.statement.description' },
  );
  catchTo(describe);
  const fail = (id: string, stateName: string, error: string, cause: string) =>
    new sfn.Pass(scope, id, {
      stateName,
      parameters: { Error: error, 'Cause.$': cause },
      resultPath: '$.failure',
    }).next(onFailure);
  const status = '$.statement.description.Status';
  const stopped = fail(
    'Stopped',
    'SQL stopped',
    'Kitchens.SqlStopped',
    "States.Format('SQL of {} stopped with status {} after {} polls, at most {} seconds apart', $.what, $.statement.description.Status, $.statement.polls, $.pollSeconds)",
  );
  // The next wait: the schedule's entry for the next poll, or the longest wait once the schedule reaches it.
  const count = new sfn.Pass(scope, 'Count', {
    stateName: 'Count the poll',
    parameters: {
      'id.$': '$.statement.id',
      'polls.$': 'States.MathAdd($.statement.polls, 1)',
      'wait.$': `States.ArrayGetItem(States.Array(${POLL_SCHEDULE.join(', ')}), States.MathAdd($.statement.polls, 1))`,
    },
    resultPath: '$.statement',
  });
  const countLongest = new sfn.Pass(scope, 'CountLongest', {
    stateName: 'Count the poll, longest wait',
    parameters: {
      'id.$': '$.statement.id',
      'polls.$': 'States.MathAdd($.statement.polls, 1)',
      'wait.$': '$.pollSeconds',
    },
    resultPath: '$.statement',
  });
  const done = new sfn.Choice(scope, 'Done', { stateName: 'Statement done?' })
    .when(
      sfn.Condition.stringEquals(status, 'FAILED'),
      fail(
        'SqlFailed',
        'SQL failed',
        'Kitchens.SqlFailed',
        "States.Format('SQL of {} failed: {}', $.what, $.statement.description.Error)",
      ),
    )
    .when(sfn.Condition.stringEquals(status, 'ABORTED'), stopped)
    .when(sfn.Condition.stringEquals(status, 'FINISHED'), finished)
    .when(sfn.Condition.numberGreaterThanEqualsJsonPath('$.statement.polls', '$.maxPolls'), stopped)
    .when(sfn.Condition.numberGreaterThanEqualsJsonPath('$.statement.polls', '$.capPolls'), countLongest)
    .otherwise(count);
  count.next(wait);
  countLongest.next(wait);
  wait.next(describe).next(done);
  return wait;
}

/** A child state machine with the pipeline machine's logging and tracing. */
function childMachine(
  scope: Construct,
  id: string,
  context: BaseContext,
  suffix: string,
  comment: string,
  definition: sfn.IChainable,
): sfn.StateMachine {
  const { target } = context;
  // `_` never occurs in a pipeline id, so `<machine>_sql` cannot collide with another pipeline's machine. The
  // pipeline's states reference this name (pipeline.ts).
  const stateMachineName = target.names.stateMachineName(`${context.definition.id}_${suffix}`);
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
    encryptionKey: target.encryptionKey,
    retention: target.logRetentionDays as logs.RetentionDays,
  });
  const machine = new sfn.StateMachine(scope, id, {
    stateMachineName,
    comment,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    tracingEnabled: true,
    queryLanguage: sfn.QueryLanguage.JSON_PATH,
  });
  grantCredentialsRead(target.warehouse.credentials, machine);
  acknowledge(
    machine.role,
    'AwsSolutions-IAM5[Resource::*]',
    'redshift-data:DescribeStatement and GetStatementResult have no resource type (statement ids are not ARNs); ' +
      'X-Ray and CloudWatch Logs delivery actions require "*".',
  );
  return machine;
}

/** The `Run SQL` machine: execute, poll, fail with the statement's error or succeed with `{ id }`. */
function sqlMachine(scope: Construct, context: BaseContext): sfn.StateMachine {
  const { target } = context;
  const failed = new sfn.Fail(scope, 'SqlRunFailed', {
    stateName: 'SQL run failed',
    errorPath: '$.failure.Error',
    causePath: '$.failure.Cause',
  });
  const caught = new sfn.Pass(scope, 'SqlCaught', {
    stateName: 'Data API call failed',
    parameters: { 'Error.$': '$.failure.Error', 'Cause.$': "States.Format('SQL of {}: {}', $.what, $.failure.Cause)" },
    resultPath: '$.failure',
  }).next(failed);
  const catchTo = (task: sfn.TaskStateBase) =>
    task.addCatch(caught, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
  const finished = new sfn.Pass(scope, 'SqlFinished', {
    stateName: 'Statement finished',
    parameters: { 'id.$': '$.statement.id', 'polls.$': '$.statement.polls' },
  });
  const loop = statementLoop(new Construct(scope, 'SqlPoll'), context, failed, finished, catchTo);
  const options = { resultSelector: { 'id.$': '$.Id', polls: 0, wait: POLL_SCHEDULE[0] }, resultPath: '$.statement' };
  const single = dataApiTask(
    scope,
    'SqlExecute',
    'Execute the statement',
    'executeStatement',
    { ...dataApiTarget(target), 'Sql.$': '$.sql', 'StatementName.$': '$.name' },
    target,
    options,
  );
  const batch = dataApiTask(
    scope,
    'SqlBatch',
    'Execute the statements in one transaction',
    'batchExecuteStatement',
    { ...dataApiTarget(target), 'Sqls.$': '$.sqls', 'StatementName.$': '$.name' },
    target,
    options,
  );
  // Values from the execution (the run record's) go as parameters, never spliced into the statement.
  const parameterized = dataApiTask(
    scope,
    'SqlParameters',
    'Execute the statement with parameters',
    'executeStatement',
    { ...dataApiTarget(target), 'Sql.$': '$.sql', 'Parameters.$': '$.parameters', 'StatementName.$': '$.name' },
    target,
    options,
  );
  [single, batch, parameterized].forEach((task) => {
    catchTo(task);
    task.next(loop);
  });
  // IsPresent: true only (aws-local-stepfunctions 3.0.0 evaluates IsPresent: false wrongly).
  const start = new sfn.Choice(scope, 'SqlKind', { stateName: 'One statement or a batch?' })
    .when(sfn.Condition.isPresent('$.sqls'), batch)
    .when(sfn.Condition.isPresent('$.parameters'), parameterized)
    .otherwise(single);
  return childMachine(
    scope,
    'SqlRunner',
    context,
    'sql',
    `Runs the SQL of pipeline ${context.definition.id}'s steps on the warehouse and waits for it`,
    start,
  );
}

/** What the `Evaluate test` machine expects as input (built by each `Test: <name>` state). */
export interface TestRunInput {
  /** The rule's SQL parts (TestSqlParts), filled into the statement that evaluates and records the test. */
  readonly sql: Readonly<Record<string, string>>;
  readonly step: string;
  readonly stepName: string;
  readonly test: string;
  readonly level: string;
  readonly expectation: string;
  /** `:x:`, `:warning:` or `:information_source:`: the alert's icon. */
  readonly icon: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly what: string;
  /** The poll plan (lib/pipeline/limits.ts `pollPlan`): longest wait, poll budget, where the longest wait starts. */
  readonly pollSeconds: number;
  readonly maxPolls: number;
  readonly capPolls: number;
}

/**
 * The `Evaluate test` machine. Its output is the test's result record (see docs/pipelines.md):
 * `{ step, test, level, status: passed|failed|errored, value, expectation, band: { low, high }, message, error }`.
 */
function testMachine(scope: Construct, context: BaseContext): sfn.StateMachine {
  const { target, definition } = context;
  const environment = target.variables.env ?? target.names.context.environment;
  const historyTable = target.historyTable;
  const format = (sql: string, args: Record<string, string>) => {
    const { template, args: paths } = toFormat(sql, args);
    return `States.Format('${template}', ${paths.join(', ')})`;
  };
  const ids = { runId: '$.runId', startedAt: '$.startedAt', step: '$.step', test: '$.test', level: '$.level' };
  const readBack = format(testReadBackStatement(historyTable, definition.id), ids);
  const insert = format(testStatementTemplate(historyTable, definition.id), {
    ...ids,
    ...Object.fromEntries(TEST_SQL_PARTS.map((part) => [part, `$.sql.${part}`])),
  });
  const recordError = format(erroredTestStatement(historyTable, definition.id), {
    ...ids,
    expectation: '$.expectation',
  });

  const done = new sfn.Pass(scope, 'TestDone', { stateName: 'Test result', inputPath: '$.result' });
  const alertFailed = new sfn.Pass(scope, 'AlertNotSent', {
    stateName: 'Alert could not be published',
    parameters: {
      Error: 'Kitchens.AlertFailed',
      'Cause.$':
        'States.Format(\'The alert for test "{}" of step "{}" could not be published: {}: {}\', $.test, $.stepName, $.alertFailure.Error, $.alertFailure.Cause)',
    },
    resultPath: '$.failure',
  }).next(
    new sfn.Fail(scope, 'TestRunFailed', {
      stateName: 'Test run failed',
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    }),
  );
  const alert = (id: string, stateName: string, verb: string, detail: string, paths: readonly string[]) => {
    const task = new tasks.SnsPublish(scope, id, {
      stateName,
      topic: target.alertTopic,
      message: sfn.TaskInput.fromObject({
        version: '1.0',
        source: 'custom',
        content: {
          textType: 'client-markdown',
          title: sfn.JsonPath.format(
            `{} ${environment} / ${definition.id}: test "{}" ${verb} ({})`,
            sfn.JsonPath.stringAt('$.icon'),
            sfn.JsonPath.stringAt('$.test'),
            sfn.JsonPath.stringAt('$.level'),
          ),
          description: sfn.JsonPath.format(
            `Step "{}": ${detail}`,
            sfn.JsonPath.stringAt('$.stepName'),
            ...paths.map((p) => sfn.JsonPath.stringAt(p)),
          ),
        },
        metadata: {
          additionalContext: {
            environment,
            pipeline: definition.id,
            step: sfn.JsonPath.stringAt('$.step'),
            test: sfn.JsonPath.stringAt('$.test'),
            level: sfn.JsonPath.stringAt('$.level'),
            status: sfn.JsonPath.stringAt('$.result.status'),
            value: sfn.JsonPath.stringAt('$.result.value'),
            expectation: sfn.JsonPath.stringAt('$.result.expectation'),
            runId: sfn.JsonPath.stringAt('$.runId'),
          },
        },
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    retryTransient(task, RETRYABLE.sns, Duration.seconds(1));
    task.addCatch(alertFailed, { errors: [sfn.Errors.ALL], resultPath: '$.alertFailure' });
    return task.next(done);
  };

  // An errored test query: record it (best effort), alert, and return `errored` with the database's message.
  const errored = new sfn.Pass(scope, 'Errored', {
    stateName: 'Test query errored',
    parameters: {
      'step.$': '$.step',
      'test.$': '$.test',
      'level.$': '$.level',
      status: 'errored',
      value: 'null',
      'expectation.$': '$.expectation',
      band: { low: '', high: '' },
      message: 'the test query failed',
      'error.$': '$.failure.Cause',
    },
    resultPath: '$.result',
  });
  const alertErrored = alert('AlertErrored', 'Alert: test errored', 'errored', 'the test query failed: {}', [
    '$.result.error',
  ]);
  // The alert for what happened: failed or errored.
  const alertFailedTest = alert('AlertTestFailed', 'Alert: test failed', 'failed', 'value {}, expected {}{}', [
    '$.result.value',
    '$.result.expectation',
    '$.read.note',
  ]);
  const whichAlert = new sfn.Choice(scope, 'WhichAlert', { stateName: 'Which alert?' })
    .when(sfn.Condition.stringEquals('$.result.status', 'errored'), alertErrored)
    .otherwise(alertFailedTest);
  const record = dataApiTask(
    scope,
    'RecordError',
    'Record the error',
    'executeStatement',
    { ...dataApiTarget(target), 'Sql.$': recordError, 'StatementName.$': "States.Format('Test: {}', $.test)" },
    target,
    { resultPath: sfn.JsonPath.DISCARD },
  );
  // The history row is best effort: the error is already in the result and the alert.
  // Every result (passed, failed, errored; every level) publishes its metrics, then: an errored test alerts, a
  // passed or log-level one returns, a failed warning or error test alerts.
  const verdict = new sfn.Choice(scope, 'Verdict', { stateName: 'Verdict' })
    .when(sfn.Condition.stringEquals('$.result.status', 'errored'), whichAlert)
    .when(sfn.Condition.stringEquals('$.result.status', 'passed'), done)
    .when(sfn.Condition.stringEquals('$.level', 'log'), done)
    .otherwise(whichAlert);
  const metrics = publishTestResult(scope, 'TestMetrics', {
    identity: pipelineIdentity(target, definition.id),
    resultPath: '$.result',
    levelPath: '$.level',
    inControlPath: '$.inControl',
    next: verdict,
  });
  record.addCatch(metrics.start, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  errored.next(record).next(metrics.start);
  const catchTo = (task: sfn.TaskStateBase) =>
    task.addCatch(errored, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });

  const read = dataApiTask(
    scope,
    'Read',
    'Read the result',
    'getStatementResult',
    { 'Id.$': "States.Format('{}:2', $.statement.id)" },
    target,
    {
      resultSelector: {
        'status.$': '$.Records[0][0].StringValue',
        'value.$': '$.Records[0][1].StringValue',
        'expectation.$': '$.Records[0][2].StringValue',
        band: { 'low.$': '$.Records[0][3].StringValue', 'high.$': '$.Records[0][4].StringValue' },
        'message.$': '$.Records[0][5].StringValue',
        'note.$': '$.Records[0][6].StringValue',
        error: '',
      },
      resultPath: '$.read',
    },
  );
  catchTo(read);
  const shape = new sfn.Pass(scope, 'Shape', {
    stateName: 'Result record',
    parameters: {
      'step.$': '$.step',
      'test.$': '$.test',
      'level.$': '$.level',
      'status.$': '$.read.status',
      'value.$': '$.read.value',
      'expectation.$': '$.read.expectation',
      'band.$': '$.read.band',
      'message.$': '$.read.message',
      'error.$': '$.read.error',
    },
    resultPath: '$.result',
  });
  read.next(shape).next(metrics.start);

  const loop = statementLoop(new Construct(scope, 'TestPoll'), context, errored, read, catchTo);
  const evaluate = dataApiTask(
    scope,
    'Evaluate',
    'Evaluate and record',
    'batchExecuteStatement',
    {
      ...dataApiTarget(target),
      'Sqls.$': `States.Array(${insert}, ${readBack})`,
      'StatementName.$': "States.Format('Test: {}', $.test)",
    },
    target,
    { resultSelector: { 'id.$': '$.Id', polls: 0, wait: POLL_SCHEDULE[0] }, resultPath: '$.statement' },
  );
  catchTo(evaluate);
  evaluate.next(loop);
  const machine = childMachine(
    scope,
    'TestRunner',
    context,
    'test',
    `Evaluates, records and alerts on the tests of pipeline ${definition.id}`,
    evaluate,
  );
  target.alertTopic.grantPublish(machine);
  acknowledgeGrantWildcards(
    machine.role,
    { actions: KMS_GRANT_ACTION_WILDCARDS },
    'Written by the topic grant: the data key actions publishing to the KMS-encrypted alert topic needs.',
  );
  return machine;
}

/** The two child machines of one pipeline. */
export class PipelineRunners extends Construct {
  public readonly sql: sfn.StateMachine;
  public readonly test: sfn.StateMachine;

  constructor(scope: Construct, id: string, context: BaseContext) {
    super(scope, id);
    this.sql = sqlMachine(new Construct(this, 'Sql'), context);
    this.test = testMachine(new Construct(this, 'Test'), context);
  }
}

/**
 * Read access to the warehouse credentials. In the secret's own stack, through `grantRead`. From another stack (a
 * pipeline's nested stack), `grantRead` would also add the machine's role to the secret's key policy: the parent
 * template would then reference the nested stack, which references the parent (a circular dependency). The key
 * trusts the account's IAM policies, so the role's own policy allows `kms:Decrypt` instead, only through Secrets
 * Manager (`kms:ViaService`), as `grantRead` does.
 */
function grantCredentialsRead(secret: secretsmanager.ISecret, machine: sfn.StateMachine): void {
  if (secret.encryptionKey === undefined || Stack.of(secret) === Stack.of(machine)) {
    secret.grantRead(machine);
    return;
  }
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      // As grantRead: the complete ARN, or the partial one followed by the 6 characters Secrets Manager appends.
      resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
    }),
  );
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [secret.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(secret).region}.amazonaws.com` } },
    }),
  );
}
