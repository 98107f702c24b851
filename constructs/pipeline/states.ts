/**
 * The states every pipeline fragment shares: the compile context, state paths, transient-error retries, Data API
 * calls and their poll loop, and the run's failure handler. Step and test fragments build on these; nothing here
 * imports a fragment, so the pipeline modules form no import circle.
 */
import { createHash } from 'crypto';
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { PipelineDefinition } from '../../lib/pipeline/model';
import type { PipelineTarget } from './target';

/** What the child state machines of one pipeline are built from. */
export interface BaseContext {
  readonly definition: PipelineDefinition;
  readonly target: PipelineTarget;
}

/** What every fragment of one pipeline shares: the definition, the target and the child machines. */
export interface CompileContext extends BaseContext {
  /** `Run SQL` and `Evaluate test` (see runners.ts). */
  readonly runners: { readonly sql: sfn.IStateMachine; readonly test: sfn.IStateMachine };
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
  // Starting a child execution (startExecution.sync:2): throttling, the running-executions quota and service errors.
  // Never States.TaskFailed (a failed child): a failed SQL step is not idempotent.
  stepFunctions: [
    'StepFunctions.ThrottlingException',
    'StepFunctions.ExecutionLimitExceededException',
    'StepFunctions.AWSStepFunctionsException',
    'StepFunctions.SdkClientException',
  ],
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
  readonly fail: sfn.IChainable;
}

/**
 * The run's failure handler, shared by every step outside Parallel states (inside, a branch's Fail state ends the
 * branch and the Parallel state's Catch brings the failure here). Expects `{ Error, Cause }` at `$.failure`;
 * the cause names the step. `beforeFail` puts states between the failure and the Fail state (the pipeline's run
 * record); they must keep `$.failure` and end in the Fail state they are given.
 */
export function runFailureHandler(
  scope: Construct,
  context: BaseContext,
  beforeFail?: (fail: sfn.Fail) => sfn.IChainable,
): RunFailure {
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
  const failed = new sfn.Fail(scope, 'Failed', {
    stateName: 'Run failed',
    errorPath: '$.failure.Error',
    causePath: '$.failure.Cause',
  });
  const fail = beforeFail ? beforeFail(failed) : failed;
  // The run still fails when its alert cannot be published, and says so in its cause.
  alert.addCatch(
    new sfn.Pass(scope, 'AlertNotSent', {
      stateName: 'Run failed, alert not sent',
      parameters: {
        'Error.$': '$.failure.Error',
        'Cause.$':
          "States.Format('{} (the failure alert could not be published: {}: {})', $.failure.Cause, $.alertFailure.Error, $.alertFailure.Cause)",
      },
      resultPath: PATHS.failure,
    }).next(fail),
    { errors: [sfn.Errors.ALL], resultPath: '$.alertFailure' },
  );
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

/** Longest execution name Step Functions accepts. */
export const EXECUTION_NAME_MAX = 80;

/**
 * The part of a child execution's name after the run id: the state's name as lowercase letters, digits and hyphens
 * (at most 32 characters), then 8 hex digits of a hash of the whole name, so that two states whose names read alike
 * (state names are unique across a pipeline's machines) still start differently named executions. Nothing of the
 * environment or Kitchen is in it, so their machines stay aligned. With the run id (a UUID, 36 characters) and two
 * hyphens the name is at most 78 characters.
 */
export function childExecutionSuffix(stateName: string): string {
  const slug = stateName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(stateName).digest('hex').slice(0, 8);
  return `${slug === '' ? 'state' : slug}-${hash}`;
}

/**
 * Starts a child execution (`startExecution.sync:2`) and waits for it, linked to the parent in the console. A failed
 * child fails this state with States.TaskFailed (caught by the caller). The child's name is the run id and the
 * state (`childExecutionSuffix`), the same on every attempt: Step Functions treats a second StartExecution with the
 * same name and input as the running execution (and refuses it once that one has ended), so a retry of this state
 * can never start a second run of the child. Throttling and service errors are retried with backoff; a failed child
 * never is.
 */
export function startChild(
  scope: Construct,
  id: string,
  stateName: string,
  stateMachine: sfn.IStateMachine,
  input: Record<string, unknown>,
  options: { readonly resultSelector?: Record<string, unknown>; readonly resultPath: string },
): tasks.StepFunctionsStartExecution {
  const task = new tasks.StepFunctionsStartExecution(scope, id, {
    stateName,
    stateMachine,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    associateWithParent: true,
    input: sfn.TaskInput.fromObject(input),
    name: sfn.JsonPath.format(`{}-${childExecutionSuffix(stateName)}`, sfn.JsonPath.stringAt(PATHS.runId)),
    resultSelector: options.resultSelector,
    resultPath: options.resultPath,
  });
  retryTransient(task, RETRYABLE.stepFunctions, Duration.seconds(1));
  return task;
}

/** Where the failures of one scope (the run, or one Parallel branch) go, `{ Error, Cause }` at `$.failure`. */
export interface FailureTargets {
  /** For failures of this run's own states. */
  readonly handler: sfn.IChainable;
  /**
   * For an error-level test that did not pass, already alerted (and its metrics published) by its `Evaluate test`
   * execution: `{ Error, Cause }` at `$.failure`. Ends the scope without a second alert.
   */
  readonly testFailed: sfn.IChainable;
  /**
   * For a failed child execution (`States.TaskFailed` of a `startExecution.sync:2` state, whose cause is the child's
   * DescribeExecution as JSON): takes the child's own error and cause (which name the step and test), then `handler`.
   */
  readonly child: sfn.IChainable;
}

/**
 * The states for `child` are created when first used: a scope without child executions gets none. `testFailed` is the
 * scope's Fail path without an alert; scopes that run no tests leave it out.
 */
export function failureTargets(
  scope: Construct,
  id: string,
  label: string,
  handler: sfn.IChainable,
  testFailed?: sfn.IChainable,
): FailureTargets {
  let child: sfn.IChainable | undefined;
  return {
    handler,
    get testFailed() {
      if (!testFailed) throw new Error(`failureTargets ${scope.node.path}/${id}: this scope runs no tests`);
      return testFailed;
    },
    get child() {
      if (!child) {
        const parse = new sfn.Pass(scope, `${id}ChildFailed`, {
          stateName: `${label}: child execution failed`,
          parameters: { 'execution.$': 'States.StringToJson($.failure.Cause)' },
          resultPath: PATHS.failure,
        });
        const name = new sfn.Pass(scope, `${id}ChildFailure`, {
          stateName: `${label}: child failure`,
          parameters: { 'Error.$': '$.failure.execution.Error', 'Cause.$': '$.failure.execution.Cause' },
          resultPath: PATHS.failure,
        });
        // In a Catch, States.TaskFailed matches every error but States.Timeout: only a failed child's cause is its
        // DescribeExecution JSON. Any other (a refused start, say) goes on as it is.
        child = new sfn.Choice(scope, `${id}ChildOrCall`, { stateName: `${label}: child or call failed?` })
          .when(sfn.Condition.stringMatches('$.failure.Cause', '{*'), parse.next(name).next(handler))
          .otherwise(handler);
      }
      return child;
    },
  };
}

/** Catches a child-execution Task: a failed child to `targets.child`, anything else to `caught`. */
export function catchChild(task: sfn.TaskStateBase, targets: FailureTargets, caught: sfn.IChainable): void {
  task.addCatch(targets.child, { errors: [sfn.Errors.TASKS_FAILED], resultPath: PATHS.failure });
  task.addCatch(caught, { errors: [sfn.Errors.ALL], resultPath: PATHS.failure });
}

/** Escapes text for a single-quoted intrinsic function string literal. */
export function escapeLiteral(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}
