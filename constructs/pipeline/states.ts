/**
 * The states every pipeline fragment shares: the compile context, state paths, transient-error retries, Data API
 * calls and their poll loop, and the run's failure handler. Step and test fragments build on these; nothing here
 * imports a fragment, so the pipeline modules form no import circle.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { PipelineDefinition } from '../../lib/pipeline/model';
import type { PipelineTarget } from './target';

/** What every fragment of one pipeline shares. */
export interface CompileContext {
  readonly definition: PipelineDefinition;
  readonly target: PipelineTarget;
}

/** Where fragments keep their working data in the state; `tests` and `run` are the results that survive. */
export const PATHS = {
  run: '$.run',
  runId: '$.run.id',
  startedAt: '$.run.startedAt',
  tests: '$.tests',
  statement: '$.statement',
  failure: '$.failure',
  container: '$.container',
  listing: '$.listing',
} as const;

/** Transient errors worth a retry, per service (names as Step Functions reports them for aws-sdk integrations). */
export const RETRYABLE = {
  redshiftData: [
    'RedshiftData.ActiveStatementsExceededException',
    'RedshiftData.InternalServerException',
    'RedshiftData.ThrottlingException',
  ],
  // AmazonECS.Unknown: RunTask returned Failures (no capacity, ENI limits), which usually pass.
  ecs: [
    'ECS.AmazonECSException',
    'ECS.ServerException',
    'ECS.ThrottlingException',
    'ECS.LimitExceededException',
    'AmazonECS.Unknown',
  ],
  sns: ['SNS.ThrottledException', 'SNS.InternalErrorException', 'SNS.KmsThrottlingException'],
  s3: ['S3.SlowDownException', 'S3.InternalErrorException', 'S3.ServiceUnavailableException', 'S3.SdkClientException'],
} as const;

export function retryTransient(
  task: sfn.TaskStateBase,
  errors: readonly string[],
  interval = Duration.seconds(2),
): void {
  task.addRetry({
    errors: [...errors],
    interval,
    maxAttempts: 5,
    backoffRate: 2,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  });
}

/** The common parameters of every Data API call (secret-based authentication, scoped to one cluster). */
export function dataApiTarget(target: PipelineTarget): Record<string, string> {
  return {
    ClusterIdentifier: target.warehouse.clusterIdentifier,
    Database: target.warehouse.database,
    SecretArn: target.warehouse.credentials.secretArn,
  };
}

/** A Data API call. Execute actions are scoped to the cluster; statement-id actions have no resource type. */
export function dataApiTask(
  scope: Construct,
  id: string,
  stateName: string,
  action: 'executeStatement' | 'batchExecuteStatement' | 'describeStatement' | 'getStatementResult',
  parameters: Record<string, unknown>,
  target: PipelineTarget,
  options: { readonly resultSelector?: Record<string, unknown>; readonly resultPath: string },
): tasks.CallAwsService {
  const execute = action === 'executeStatement' || action === 'batchExecuteStatement';
  const task = new tasks.CallAwsService(scope, id, {
    stateName,
    service: 'redshiftdata',
    action,
    parameters,
    iamAction: `redshift-data:${action.charAt(0).toUpperCase()}${action.slice(1)}`,
    iamResources: execute ? [target.warehouse.clusterArn] : ['*'],
    resultSelector: options.resultSelector,
    resultPath: options.resultPath,
  });
  retryTransient(task, RETRYABLE.redshiftData);
  return task;
}

/** The end of a failed run: one alert naming environment, pipeline and the failure, then the Fail state. */
export interface RunFailure {
  /** Alert, then fail: for failures nobody has alerted yet. */
  readonly alert: sfn.IChainable;
  /** Fail without alerting: for failures already alerted (an error-level test). */
  readonly fail: sfn.Fail;
}

/**
 * The run's failure handler, shared by every step outside Parallel states (inside, a branch's Fail state ends the
 * branch and the Parallel state's Catch brings the failure here). Expects `{ Error, Cause }` at `$.failure`;
 * the cause names the step.
 */
export function runFailureHandler(scope: Construct, context: CompileContext): RunFailure {
  const { definition, target } = context;
  const environment = target.variables.env ?? target.names.context.environment;
  const alert = new tasks.SnsPublish(scope, 'AlertFailure', {
    stateName: 'Alert: run failed',
    topic: target.alertTopic,
    message: sfn.TaskInput.fromObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: `:x: ${environment} / ${definition.id}: run failed`,
        description: sfn.JsonPath.format(
          '{}: {}',
          sfn.JsonPath.stringAt('$.failure.Error'),
          sfn.JsonPath.stringAt('$.failure.Cause'),
        ),
      },
      metadata: {
        additionalContext: {
          environment,
          pipeline: definition.id,
          error: sfn.JsonPath.stringAt('$.failure.Error'),
          cause: sfn.JsonPath.stringAt('$.failure.Cause'),
          runId: sfn.JsonPath.stringAt(PATHS.runId),
        },
      },
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  retryTransient(alert, RETRYABLE.sns, Duration.seconds(1));
  const fail = new sfn.Fail(scope, 'Failed', {
    stateName: 'Run failed',
    errorPath: '$.failure.Error',
    causePath: '$.failure.Cause',
  });
  return { alert: alert.next(fail), fail };
}

/**
 * A Pass state that writes `{ Error, Cause }` to `$.failure` and goes to the failure handler. An empty `error`
 * keeps the caught error's name; a `cause` starting with `States.` is an intrinsic function.
 */
export function describeFailure(
  scope: Construct,
  id: string,
  stateName: string,
  error: string,
  cause: string,
  onFailure: sfn.IChainable,
): sfn.IChainable {
  const dynamic = cause.startsWith('States.');
  return new sfn.Pass(scope, id, {
    stateName,
    parameters: {
      ...(error === '' ? { 'Error.$': '$.failure.Error' } : { Error: error }),
      ...(dynamic ? { 'Cause.$': cause } : { Cause: cause }),
    },
    resultPath: PATHS.failure,
  }).next(onFailure);
}

/**
 * Waits for the statement whose id is at `$.statement.id`: Wait, DescribeStatement, then fail with the statement's
 * error on FAILED or ABORTED, fail when `maxPolls` polls pass, loop while running, continue when FINISHED.
 */
export function statementPoll(
  scope: Construct,
  idPrefix: string,
  label: string,
  options: {
    /** Name of the step the statement belongs to, for failure causes. */
    readonly step: string;
    readonly pollSeconds: number;
    readonly maxPolls: number;
    readonly onFailure: sfn.IChainable;
    readonly catchTo: (task: sfn.TaskStateBase | sfn.Map) => void;
  },
  target: PipelineTarget,
): sfn.Chain {
  const wait = new sfn.Wait(scope, `${idPrefix}Wait`, {
    stateName: `Wait: ${label}`,
    time: sfn.WaitTime.duration(Duration.seconds(options.pollSeconds)),
  });
  const describe = dataApiTask(
    scope,
    `${idPrefix}Describe`,
    `Check: ${label}`,
    'describeStatement',
    { 'Id.$': '$.statement.id' },
    target,
    {
      resultPath: '$.statement.description',
    },
  );
  options.catchTo(describe);
  const count = new sfn.Pass(scope, `${idPrefix}Count`, {
    stateName: `Count poll: ${label}`,
    parameters: { 'id.$': '$.statement.id', 'polls.$': 'States.MathAdd($.statement.polls, 1)' },
    resultPath: PATHS.statement,
  });
  const status = '$.statement.description.Status';
  const what = `${options.step === label ? '' : `test "${label}" of `}step "${options.step}"`;
  const done = new sfn.Choice(scope, `${idPrefix}Done`, { stateName: `Done? ${label}` });
  const stopped = describeFailure(
    scope,
    `${idPrefix}SqlStopped`,
    `SQL stopped: ${label}`,
    'Kitchens.SqlStopped',
    `States.Format('SQL of ${escapeLiteral(what)} stopped with status {} after {} polls of ${options.pollSeconds} seconds', $.statement.description.Status, $.statement.polls)`,
    options.onFailure,
  );
  done
    .when(
      sfn.Condition.stringEquals(status, 'FAILED'),
      describeFailure(
        scope,
        `${idPrefix}SqlFailed`,
        `SQL failed: ${label}`,
        'Kitchens.SqlFailed',
        `States.Format('SQL of ${escapeLiteral(what)} failed: {}', $.statement.description.Error)`,
        options.onFailure,
      ),
    )
    .when(sfn.Condition.stringEquals(status, 'ABORTED'), stopped)
    .when(
      sfn.Condition.and(
        sfn.Condition.not(sfn.Condition.stringEquals(status, 'FINISHED')),
        sfn.Condition.numberGreaterThanEquals('$.statement.polls', options.maxPolls),
      ),
      stopped,
    )
    .when(sfn.Condition.not(sfn.Condition.stringEquals(status, 'FINISHED')), count.next(wait));
  // Close the loop before asking the Choice for its end states: otherwise the loop looks open at Describe.
  wait.next(describe).next(done);
  const ends = done.afterwards({ includeOtherwise: true });
  return sfn.Chain.custom(wait, ends.endStates, done);
}

/** Escapes text for a single-quoted intrinsic function string literal. */
export function escapeLiteral(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}
