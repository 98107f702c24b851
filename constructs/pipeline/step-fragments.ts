/**
 * State machine fragments for pipeline steps: container (ECS Fargate, runTask.sync), sql (one Task state that runs
 * the pipeline's shared `Run SQL` machine, which polls the Data API in its own execution) and copy (server-side S3
 * copy). Every Task retries transient errors with backoff
 * and is caught: the failure is alerted to the alert topic, then the run fails.
 */
import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ConfigError } from '../../lib/config/errors';
import { copySourceExpression } from '../../lib/copy-source';
import { sqlPollPlan } from '../../lib/pipeline/limits';
import type { ContainerStep, CopyStep, SqlStep, StepDefinition } from '../../lib/pipeline/model';
import {
  catchChild,
  CompileContext,
  describeFailure,
  escapeLiteral,
  FailureTargets,
  PATHS,
  RETRYABLE,
  retryTransient,
  startChild,
} from './states';
import { stepVerdict, TestFragment } from './test-fragment';

/** Base of the step fragments: the failure handler, the catch on every task, and the step's tests. */
abstract class StepFragment extends sfn.StateMachineFragment {
  public abstract readonly startState: sfn.State;
  public abstract readonly endStates: sfn.INextable[];
  /** Where this step's failures go: `{ Error, Cause }` at `$.failure`, the cause naming the step. */
  protected readonly onFailure: sfn.IChainable;
  protected readonly targets: FailureTargets;
  private readonly caught: sfn.IChainable;

  constructor(
    scope: Construct,
    id: string,
    protected readonly context: CompileContext,
    protected readonly step: StepDefinition,
    targets: FailureTargets,
  ) {
    super(scope, id);
    this.targets = targets;
    const onFailure = targets.handler;
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

  /** For Task states that start a child execution. */
  protected catchChild = (task: sfn.TaskStateBase): void => catchChild(task, this.targets, this.caught);

  /**
   * Chains the step's tests after `body`, every one of them whatever the others' results, then the verdict of its
   * error tests (which fails the step when one did not pass).
   */
  protected withTests(body: sfn.Chain): sfn.Chain {
    let chain = body;
    this.step.tests.forEach((test, i) => {
      const fragment = new TestFragment(this, `Test${i}`, {
        context: this.context,
        step: this.step,
        test,
        catchTo: this.catchChild,
      });
      chain = chain.next(fragment);
    });
    const verdict = stepVerdict(this, this.step, () => this.targets.testFailed);
    return verdict ? chain.next(verdict.afterwards({ includeOtherwise: true })) : chain;
  }
}

/** Runs a container app on Fargate and waits for it; a non-zero exit code fails with the stopped reason. */
export class ContainerStepFragment extends StepFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, context: CompileContext, step: ContainerStep, targets: FailureTargets) {
    super(scope, id, context, step, targets);
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
    const failed = describeFailure(
      this,
      'ExitFailure',
      `Container failed: ${step.name}`,
      'Kitchens.ContainerFailed',
      `States.Format('Step "${escapeLiteral(step.name)}": container app ${escapeLiteral(step.app)} stopped: {} (containers: {})', $.container.stoppedReason, States.JsonToString($.container.containers))`,
      this.onFailure,
    );
    // A container that never started has no exit code: it fails saying so, with ECS's stopped reason. Two rules, in
    // order, rather than one Or: a numeric comparison on a missing path is a runtime error, and
    // aws-local-stepfunctions 3.0.0 evaluates `IsPresent: false` wrongly, so the first rule is Not(IsPresent: true).
    const neverStarted = describeFailure(
      this,
      'NotStarted',
      `Container not started: ${step.name}`,
      'Kitchens.ContainerNotStarted',
      `States.Format('Step "${escapeLiteral(step.name)}": container app ${escapeLiteral(step.app)} never started: {}', $.container.stoppedReason)`,
      this.onFailure,
    );
    const check = new sfn.Choice(this, 'CheckExit', { stateName: `Exit code: ${step.name}` })
      .when(sfn.Condition.not(sfn.Condition.isPresent(exitCode)), neverStarted)
      .when(sfn.Condition.not(sfn.Condition.numberEquals(exitCode, 0)), failed);
    const chain = this.withTests(sfn.Chain.start(run).next(check.afterwards({ includeOtherwise: true })));
    this.startState = run;
    this.endStates = chain.endStates;
  }
}

/**
 * Runs one statement (ExecuteStatement) or several in one transaction (BatchExecuteStatement) in a `Run SQL` child
 * execution and waits for it; the statement's error fails the step.
 */
export class SqlStepFragment extends StepFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, context: CompileContext, step: SqlStep, targets: FailureTargets) {
    super(scope, id, context, step, targets);
    const { definition } = context;
    const single = step.statements.length === 1;
    const execute = startChild(
      this,
      'Execute',
      step.name,
      context.runners.sql,
      {
        ...(single ? { sql: step.statements[0] } : { sqls: [...step.statements] }),
        name: `${definition.id}: ${step.name}`,
        what: `step "${step.name}"`,
        ...sqlPollPlan(step),
      },
      { resultPath: sfn.JsonPath.DISCARD },
    );
    this.catchChild(execute);
    const chain = this.withTests(sfn.Chain.start(execute));
    this.startState = execute;
    this.endStates = chain.endStates;
  }
}

/** Copies every object under a prefix to the same key in another data lake bucket, server-side. */
export class CopyStepFragment extends StepFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, context: CompileContext, step: CopyStep, targets: FailureTargets) {
    super(scope, id, context, step, targets);
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
    // JSONata, for its $encodeUrlComponent: S3 decodes CopySource, so a key with `+`, `%` or non-ASCII characters
    // must be URL-encoded there (JSONPath has no function for it). The rest of the machine stays JSONPath.
    const copyObject = tasks.CallAwsService.jsonata(this, 'CopyObject', {
      stateName: `Copy object: ${step.name}`,
      service: 's3',
      action: 'copyObject',
      parameters: {
        Bucket: to.bucketName,
        Key: '{% $states.input.key %}',
        CopySource: copySourceExpression(from.bucketName, '$states.input.key'),
      },
      iamAction: 's3:PutObject',
      iamResources: [to.arnForObjects(`${target.dataLake.prefix}*`)],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [from.arnForObjects(`${prefix}*`)] }),
      ],
      // The item's output is not used (the map counts the items); keep it small.
      outputs: {},
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

/** The fragment of one step; its failures go to `targets` (the run's alert, or the Fail state of a branch). */
export function stepFragment(
  scope: Construct,
  id: string,
  context: CompileContext,
  step: StepDefinition,
  targets: FailureTargets,
): sfn.StateMachineFragment {
  switch (step.type) {
    case 'container':
      return new ContainerStepFragment(scope, id, context, step, targets);
    case 'sql':
      return new SqlStepFragment(scope, id, context, step, targets);
    case 'copy':
      return new CopyStepFragment(scope, id, context, step, targets);
  }
}
