/**
 * State machine fragments for pipeline steps: container (ECS Fargate, runTask.sync), sql (Redshift Data API with
 * a DescribeStatement poll loop) and copy (server-side S3 copy). Every Task retries transient errors with backoff
 * and is caught: the failure is alerted to the alert topic, then the run fails.
 */
import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ConfigError } from '../lib/config/errors';
import { maxPolls } from '../lib/pipeline/limits';
import type { ContainerStep, CopyStep, PipelineDefinition, SqlStep, StepDefinition } from '../lib/pipeline/model';
import type { PipelineTarget } from './pipeline';
import { TestFragment } from './pipeline-tests';

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

/** Base of the step fragments: the failure handler, the catch on every task, and the step's tests. */
abstract class StepFragment extends sfn.StateMachineFragment {
  public abstract readonly startState: sfn.State;
  public abstract readonly endStates: sfn.INextable[];
  /** Where this step's failures go: `{ Error, Cause }` at `$.failure`, the cause naming the step. */
  protected readonly onFailure: sfn.IChainable;
  private readonly caught: sfn.IChainable;

  constructor(
    scope: Construct,
    id: string,
    protected readonly context: CompileContext,
    protected readonly step: StepDefinition,
    onFailure: sfn.IChainable,
  ) {
    super(scope, id);
    this.onFailure = onFailure;
    // A caught error says what failed but not where: name the step in the cause.
    this.caught = describeFailure(
      this,
      'Caught',
      `Failed: ${step.name}`,
      '',
      `States.Format('Step "${escapeLiteral(step.name)}": {}', $.failure.Cause)`,
      onFailure,
    );
  }

  protected catchTo = (task: sfn.TaskStateBase | sfn.Map): void => {
    task.addCatch(this.caught, { errors: [sfn.Errors.ALL], resultPath: PATHS.failure });
  };

  /** Chains the step's tests after `body`. */
  protected withTests(body: sfn.Chain): sfn.Chain {
    let chain = body;
    this.step.tests.forEach((test, i) => {
      const fragment = new TestFragment(this, `Test${i}`, {
        context: this.context,
        step: this.step,
        test,
        onFailure: this.onFailure,
        catchTo: this.catchTo,
      });
      chain = chain.next(fragment);
    });
    return chain;
  }
}

/** Runs a container app on Fargate and waits for it; a non-zero exit code fails with the stopped reason. */
export class ContainerStepFragment extends StepFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, context: CompileContext, step: ContainerStep, onFailure: sfn.IChainable) {
    super(scope, id, context, step, onFailure);
    const { target, definition } = context;
    const index = definition.steps.indexOf(step);
    const taskDefinition = target.containers.taskDefinitions[step.app];
    if (!taskDefinition) {
      throw new ConfigError([
        `${definition.source}: steps[${index}].app must be a container app of this environment (${Object.keys(target.containers.taskDefinitions).join(', ')}), got: ${JSON.stringify(step.app)}`,
      ]);
    }
    const container = taskDefinition.findContainer(step.app);
    if (!container) {
      throw new ConfigError([
        `${definition.source}: steps[${index}].app ${JSON.stringify(step.app)} must name a container of its task definition, which has: ${taskDefinition.node.children
          .filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition)
          .map((c) => c.containerName)
          .join(', ')}`,
      ]);
    }
    const run = new tasks.EcsRunTask(this, 'Run', {
      stateName: step.name,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      cluster: target.containers.cluster,
      taskDefinition,
      launchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST }),
      subnets: target.containers.subnets,
      securityGroups: [...target.containers.securityGroups],
      assignPublicIp: false,
      containerOverrides: [
        {
          containerDefinition: container,
          command: step.command ? [...step.command] : undefined,
          environment: [
            ...Object.entries(step.environment).map(([name, value]) => ({ name, value })),
            { name: 'KITCHENS_PIPELINE', value: definition.id },
            { name: 'KITCHENS_STEP', value: step.id },
            { name: 'KITCHENS_RUN_ID', value: sfn.JsonPath.stringAt(PATHS.runId) },
          ],
        },
      ],
      taskTimeout: sfn.Timeout.duration(Duration.minutes(step.timeoutMinutes)),
      resultSelector: { 'containers.$': '$.Containers', 'stoppedReason.$': '$.StoppedReason' },
      resultPath: PATHS.container,
    });
    retryTransient(run, RETRYABLE.ecs, Duration.seconds(10));
    this.catchTo(run);
    const exitCode = '$.container.containers[0].ExitCode';
    const check = new sfn.Choice(this, 'CheckExit', { stateName: `Exit code: ${step.name}` }).when(
      sfn.Condition.or(
        sfn.Condition.isNotPresent(exitCode),
        sfn.Condition.not(sfn.Condition.numberEquals(exitCode, 0)),
      ),
      describeFailure(
        this,
        'ExitFailure',
        `Container failed: ${step.name}`,
        'Kitchens.ContainerFailed',
        `States.Format('Step "${escapeLiteral(step.name)}": container app ${escapeLiteral(step.app)} stopped: {} (containers: {})', $.container.stoppedReason, States.JsonToString($.container.containers))`,
        this.onFailure,
      ),
    );
    const chain = this.withTests(sfn.Chain.start(run).next(check.afterwards({ includeOtherwise: true })));
    this.startState = run;
    this.endStates = chain.endStates;
  }
}

/** Runs one statement (ExecuteStatement) or several in one transaction (BatchExecuteStatement) and waits. */
export class SqlStepFragment extends StepFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, context: CompileContext, step: SqlStep, onFailure: sfn.IChainable) {
    super(scope, id, context, step, onFailure);
    const { target, definition } = context;
    const single = step.statements.length === 1;
    const execute = dataApiTask(
      this,
      'Execute',
      step.name,
      single ? 'executeStatement' : 'batchExecuteStatement',
      {
        ...dataApiTarget(target),
        ...(single ? { Sql: step.statements[0] } : { Sqls: [...step.statements] }),
        StatementName: `${definition.id}: ${step.name}`,
      },
      target,
      { resultSelector: { 'id.$': '$.Id', polls: 0 }, resultPath: PATHS.statement },
    );
    this.catchTo(execute);
    const poll = statementPoll(
      this,
      '',
      step.name,
      {
        step: step.name,
        pollSeconds: step.pollSeconds,
        maxPolls: maxPolls(step.timeoutMinutes * 60, step.pollSeconds),
        onFailure: this.onFailure,
        catchTo: this.catchTo,
      },
      target,
    );
    const chain = this.withTests(sfn.Chain.start(execute).next(poll));
    this.startState = execute;
    this.endStates = chain.endStates;
  }
}

/** Copies every object under a prefix to the same key in another data lake bucket, server-side. */
export class CopyStepFragment extends StepFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, context: CompileContext, step: CopyStep, onFailure: sfn.IChainable) {
    super(scope, id, context, step, onFailure);
    const { target } = context;
    const from = target.dataLake.buckets[step.from.bucket];
    const to = target.dataLake.buckets[step.to.bucket];
    const prefix = `${target.dataLake.prefix}${step.from.prefix}`;
    const list = new tasks.CallAwsService(this, 'List', {
      stateName: `List: ${step.name}`,
      service: 's3',
      action: 'listObjectsV2',
      parameters: { Bucket: from.bucketName, Prefix: prefix, MaxKeys: step.maxObjects },
      iamAction: 's3:ListBucket',
      iamResources: [from.bucketArn],
      resultSelector: { 'count.$': '$.KeyCount', 'truncated.$': '$.IsTruncated', 'objects.$': '$' },
      resultPath: PATHS.listing,
    });
    retryTransient(list, RETRYABLE.s3);
    this.catchTo(list);
    const copyObject = new tasks.CallAwsService(this, 'CopyObject', {
      stateName: `Copy object: ${step.name}`,
      service: 's3',
      action: 'copyObject',
      parameters: {
        Bucket: to.bucketName,
        Key: sfn.JsonPath.stringAt('$.key'),
        CopySource: sfn.JsonPath.format('{}/{}', from.bucketName, sfn.JsonPath.stringAt('$.key')),
      },
      iamAction: 's3:PutObject',
      iamResources: [to.arnForObjects(`${target.dataLake.prefix}*`)],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [from.arnForObjects(`${prefix}*`)] }),
      ],
      resultPath: sfn.JsonPath.DISCARD,
    });
    retryTransient(copyObject, RETRYABLE.s3);
    const copy = new sfn.Map(this, 'Copy', {
      stateName: step.name,
      itemsPath: '$.listing.objects.Contents',
      itemSelector: { 'key.$': '$$.Map.Item.Value.Key' },
      maxConcurrency: 10,
      resultSelector: { 'copied.$': 'States.ArrayLength($)' },
      resultPath: PATHS.listing,
    });
    copy.itemProcessor(copyObject);
    this.catchTo(copy);
    const check = new sfn.Choice(this, 'CheckListing', { stateName: `Objects to copy? ${step.name}` })
      .when(
        sfn.Condition.booleanEquals('$.listing.truncated', true),
        describeFailure(
          this,
          'TooMany',
          `Too many objects: ${step.name}`,
          'Kitchens.TooManyObjects',
          `Step "${step.name}": more than ${step.maxObjects} objects under s3://${step.from.bucket}/${prefix}; raise maxObjects (at most 1000) or split the prefix`,
          this.onFailure,
        ),
      )
      .when(sfn.Condition.numberGreaterThan('$.listing.count', 0), copy);
    const chain = this.withTests(sfn.Chain.start(list).next(check.afterwards({ includeOtherwise: true })));
    this.startState = list;
    this.endStates = chain.endStates;
  }
}

/** The fragment of one step; its failures go to `onFailure` (the run's alert, or the Fail state of a branch). */
export function stepFragment(
  scope: Construct,
  id: string,
  context: CompileContext,
  step: StepDefinition,
  onFailure: sfn.IChainable,
): sfn.StateMachineFragment {
  switch (step.type) {
    case 'container':
      return new ContainerStepFragment(scope, id, context, step, onFailure);
    case 'sql':
      return new SqlStepFragment(scope, id, context, step, onFailure);
    case 'copy':
      return new CopyStepFragment(scope, id, context, step, onFailure);
  }
}
