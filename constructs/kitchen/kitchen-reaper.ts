import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { KITCHEN_TAGS } from '../../lib/kitchen/options';
import type { Names } from '../../lib/naming';
import { acknowledge, nagPartition } from '../core/nag';

/** Props of a {@link KitchenReaper}. */
export interface KitchenReaperProps {
  /** Names of the environment the Kitchens live in. */
  readonly names: Names;
  /** Where to announce each deleted Kitchen. */
  readonly alertTopic: sns.ITopic;
  /** KMS key that encrypts the reaper state machine's log group. */
  readonly encryptionKey: kms.IKey;
  /** How long the reaper state machine's log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
  /**
   * How often expired Kitchens are looked for.
   *
   * @default - every hour
   */
  readonly interval?: Duration;
  /**
   * How long the reaper waits for one stack to reach DELETE_COMPLETE (again after a forced delete) before it
   * reports the Kitchen as still deleting and leaves it to the next run.
   *
   * @default - 10 minutes
   */
  readonly deleteTimeout?: Duration;
  /**
   * How often the reaper checks a deleting stack's status.
   *
   * @default - every 30 seconds
   */
  readonly pollInterval?: Duration;
}

/**
 * The outputs of a Kitchen stack that name what the Kitchen holds outside its own resources; the reaper reports
 * them when a forced delete leaves resources behind.
 */
export const KITCHEN_OUTPUTS = {
  schema: 'KitchenSchema',
  databaseUser: 'KitchenDatabaseUser',
  dataPrefix: 'KitchenDataPrefix',
  sftpUser: 'KitchenSftpUser',
} as const;

/**
 * Deletes expired Kitchens of one environment without anyone's help: on a schedule, it finds the Kitchen stacks
 * by their stack tags, compares each `kitchens:expires` tag with the execution's start time and deletes the expired
 * stacks (their custom resources drop the schema and empty the prefix). A delete is done when the stack, checked by
 * its id every `pollInterval`, reaches DELETE_COMPLETE; a stack in DELETE_FAILED is deleted again with
 * FORCE_DELETE_STACK (CloudFormation allows that mode only there), and what the forced delete retained is reported
 * by resource and, from the stack's outputs, by the Kitchen's schema, users and prefix. A stack still deleting after
 * `deleteTimeout` is reported and left to the next run; any other failure is reported with CloudFormation's reason.
 * Every alert publish is retried and caught, so neither a bad Kitchen nor a failed publish stops the others; each
 * Kitchen ends in one outcome (`deleted`, `force-deleted`, `delete-failed`, `delete-timed-out`, `kept`,
 * `skipped-invalid-expiry`, `skipped-live-children`) saying whether its alert went out. It can delete only stacks named like this
 * environment's Kitchens. An expired Kitchen whose child Kitchens (stacks tagged `kitchens:parent` with its name)
 * are not all DELETE_COMPLETE is reported with their names and kept until a later run finds them gone, so a parent
 * never leaves orphaned children.
 */
export class KitchenReaper extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: KitchenReaperProps) {
    super(scope, id);
    const { project, environment } = props.names.context;
    const stack = Stack.of(this);

    const list = new tasks.CallAwsService(this, 'List', {
      stateName: 'List Kitchen stacks',
      service: 'resourcegroupstaggingapi',
      action: 'getResources',
      iamResources: ['*'],
      iamAction: 'tag:GetResources',
      parameters: {
        ResourceTypeFilters: ['cloudformation:stack'],
        TagFilters: [
          { Key: KITCHEN_TAGS.project, Values: [project] },
          { Key: KITCHEN_TAGS.environment, Values: [environment] },
          { Key: KITCHEN_TAGS.kitchen },
        ],
        'PaginationToken.$': '$.token',
      },
      resultSelector: { 'stacks.$': '$.ResourceTagMappingList', 'token.$': '$.PaginationToken' },
      resultPath: '$.page',
    });

    // One bad Kitchen never stops the others: every item ends in an outcome, and problems go to the alert topic.
    const tagValues = (key: string) => `$.stack.Tags[?(@.Key == '${key}')].Value`;
    const readTags = new sfn.Pass(this, 'ReadTags', {
      stateName: 'Read tags',
      parameters: {
        'stackArn.$': '$.stack.ResourceARN',
        'kitchen.$': `States.ArrayGetItem(${tagValues(KITCHEN_TAGS.kitchen)}, 0)`,
        // a filter that matches nothing is an error, so look at the keys first (tag keys are unique per stack)
        'hasExpiry.$': `States.ArrayContains($.stack.Tags[*].Key, '${KITCHEN_TAGS.expires}')`,
        'stack.$': '$.stack',
        'now.$': '$.now',
      },
    });
    const readExpiry = new sfn.Pass(this, 'Describe', {
      stateName: 'Read expiry',
      parameters: {
        'stackArn.$': '$.stackArn',
        'kitchen.$': '$.kitchen',
        'expires.$': `States.ArrayGetItem(${tagValues(KITCHEN_TAGS.expires)}, 0)`,
        'now.$': '$.now',
      },
    });
    // Every outcome names the Kitchen and whether its alert went out: a failed publish (KMS, throttling) is
    // caught, recorded here and counted by the alarm on failed publishes, and never stops the other Kitchens.
    const outcome = (id: string, stateName: string, result: string) => {
      const alerted = new sfn.Pass(this, id, {
        stateName,
        parameters: { 'kitchen.$': '$.kitchen', 'stack.$': '$.stackArn', outcome: result, alerted: true },
      });
      const unalerted = new sfn.Pass(this, `${id}Unalerted`, {
        stateName: `${stateName} (alert not sent)`,
        parameters: {
          'kitchen.$': '$.kitchen',
          'stack.$': '$.stackArn',
          outcome: result,
          alerted: false,
          'alertError.$': '$.alertFailure.Error',
        },
      });
      return { alerted, unalerted };
    };
    const report = (
      id: string,
      stateName: string,
      subject: string,
      message: Record<string, unknown>,
      then: { alerted: sfn.Pass; unalerted: sfn.Pass },
    ) => {
      const publish = new tasks.SnsPublish(this, id, {
        stateName,
        topic: props.alertTopic,
        subject: sfn.JsonPath.format(subject, sfn.JsonPath.stringAt('$.kitchen')),
        message: sfn.TaskInput.fromObject({
          'kitchen.$': '$.kitchen',
          'stack.$': '$.stackArn',
          environment,
          ...message,
        }),
        resultPath: sfn.JsonPath.DISCARD,
      });
      publish.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(2), maxAttempts: 2, backoffRate: 2 });
      publish.addCatch(then.unalerted, { errors: [sfn.Errors.ALL], resultPath: '$.alertFailure' });
      return publish.next(then.alerted);
    };
    const noExpiry = report(
      'ReportNoExpiry',
      'Report missing or invalid expiry',
      `Kitchen {} has no valid ${KITCHEN_TAGS.expires} tag and was not deleted (${environment})`,
      {
        problem: `the stack needs a ${KITCHEN_TAGS.expires} tag holding an ISO 8601 UTC time; delete it by hand or fix the tag`,
      },
      outcome('SkippedNoExpiry', 'Skipped: no valid expiry', 'skipped-invalid-expiry'),
    );

    const kitchenStacks = stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${project}-${environment}-kitchen-*/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const pollInterval = props.pollInterval ?? Duration.seconds(30);
    const deleteTimeout = props.deleteTimeout ?? Duration.minutes(10);
    const maxChecks = Math.max(1, Math.ceil(deleteTimeout.toSeconds() / pollInterval.toSeconds()));

    const deleteFailed = outcome('DeleteFailed', 'Delete failed', 'delete-failed');
    const reportDeleteFailed = report(
      'ReportDeleteFailed',
      'Report failed deletion',
      `Kitchen {} expired but could not be deleted (${environment})`,
      { 'expires.$': '$.expires', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
      deleteFailed,
    );
    // A stack's name stops resolving once it is deleted: every call after the first names it by its id (ARN).
    const deleteStack = (id: string, stateName: string, mode: 'STANDARD' | 'FORCE_DELETE_STACK') => {
      const call = new tasks.CallAwsService(this, id, {
        stateName,
        service: 'cloudformation',
        action: 'deleteStack',
        iamAction: 'cloudformation:DeleteStack',
        iamResources: [kitchenStacks],
        parameters: { 'StackName.$': '$.stackArn', ...(mode === 'STANDARD' ? {} : { DeletionMode: mode }) },
        // CloudFormation accepting the request is not the stack being gone: count the checks from here.
        // What a check reads when CloudFormation leaves a field out (no reason, a Kitchen without outputs).
        resultSelector: { checks: 0, mode, defaults: { StackStatusReason: 'none given', Outputs: [] } },
        resultPath: '$.deletion',
      });
      call.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 3 });
      call.addCatch(reportDeleteFailed, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
      return call;
    };
    const remove = deleteStack('Delete', 'Delete expired Kitchen', 'STANDARD');
    const forceRemove = deleteStack('ForceDelete', 'Force delete stuck Kitchen', 'FORCE_DELETE_STACK');

    const wait = new sfn.Wait(this, 'WaitForDeletion', {
      stateName: 'Wait for deletion',
      time: sfn.WaitTime.duration(pollInterval),
    });
    const check = new tasks.CallAwsService(this, 'CheckDeletion', {
      stateName: 'Check deletion',
      service: 'cloudformation',
      action: 'describeStacks',
      iamAction: 'cloudformation:DescribeStacks',
      iamResources: [kitchenStacks],
      parameters: { 'StackName.$': '$.stackArn' },
      resultSelector: { 'status.$': '$.Stacks[0].StackStatus', 'stack.$': '$.Stacks[0]' },
      resultPath: '$.check',
    });
    check.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 2 });
    check.addCatch(reportDeleteFailed, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    const count = new sfn.Pass(this, 'CountCheck', {
      stateName: 'Count check',
      // The optional fields are read from the stack merged over their defaults: a path to an absent field fails.
      parameters: {
        'checks.$': 'States.MathAdd($.deletion.checks, 1)',
        'mode.$': '$.deletion.mode',
        'defaults.$': '$.deletion.defaults',
        'stack.$': 'States.JsonMerge($.deletion.defaults, $.check.stack, false)',
      },
      resultPath: '$.deletion',
    });

    const announce = report(
      'Announce',
      'Announce deletion',
      `Kitchen {} expired and was deleted (${environment})`,
      { 'expires.$': '$.expires' },
      outcome('Deleted', 'Deleted', 'deleted'),
    );
    const announceForced = report(
      'AnnounceForced',
      'Announce forced deletion',
      `Kitchen {} expired and was deleted by force; some of its resources were left behind (${environment})`,
      {
        'expires.$': '$.expires',
        'firstAttempt.$': '$.stuck.reason',
        'leftBehind.$': '$.stuck.retained',
        'kitchenResources.$': '$.stuck.outputs',
        problem:
          'CloudFormation retained the resources that failed to delete; remove them by hand (leftBehind lists ' +
          'them, kitchenResources names the Kitchen schema, users and prefix)',
      },
      outcome('ForceDeleted', 'Deleted by force', 'force-deleted'),
    );
    const reportStillDeleting = report(
      'ReportStillDeleting',
      'Report deletion still in progress',
      `Kitchen {} expired and is still being deleted after ${deleteTimeout.toHumanString()} (${environment})`,
      {
        'expires.$': '$.expires',
        'status.$': '$.check.status',
        problem: 'the next run of the reaper checks it again',
      },
      outcome('StillDeleting', 'Still deleting', 'delete-timed-out'),
    );
    const reportStuck = report(
      'ReportStuck',
      'Report stuck deletion',
      `Kitchen {} expired but its stack could not be deleted (${environment})`,
      {
        'expires.$': '$.expires',
        'status.$': '$.check.status',
        'reason.$': '$.deletion.stack.StackStatusReason',
        'mode.$': '$.deletion.mode',
      },
      deleteFailed,
    );

    // Before forcing, keep what the failed delete said and which resources it could not delete: a forced
    // delete retains exactly those.
    const listRetained = new tasks.CallAwsService(this, 'ListRetained', {
      stateName: 'List resources that failed to delete',
      service: 'cloudformation',
      action: 'listStackResources',
      iamAction: 'cloudformation:ListStackResources',
      iamResources: [kitchenStacks],
      parameters: { 'StackName.$': '$.stackArn' },
      resultSelector: {
        'retained.$': "$.StackResourceSummaries[?(@.ResourceStatus == 'DELETE_FAILED')]",
      },
      resultPath: '$.listed',
    });
    listRetained.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 2 });
    listRetained.addCatch(reportStuck, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    const keepStuck = new sfn.Pass(this, 'KeepStuck', {
      stateName: 'Keep what failed',
      parameters: {
        'reason.$': '$.deletion.stack.StackStatusReason',
        'outputs.$': '$.deletion.stack.Outputs',
        'retained.$': '$.listed.retained',
      },
      resultPath: '$.stuck',
    });

    const status = (value: string) => sfn.Condition.stringEquals('$.check.status', value);
    const forced = sfn.Condition.stringEquals('$.deletion.mode', 'FORCE_DELETE_STACK');
    const deleted = new sfn.Choice(this, 'DeleteDone', { stateName: 'Deleted?' })
      .when(sfn.Condition.and(status('DELETE_COMPLETE'), forced), announceForced)
      .when(status('DELETE_COMPLETE'), announce)
      .when(
        sfn.Condition.and(status('DELETE_IN_PROGRESS'), sfn.Condition.numberLessThan('$.deletion.checks', maxChecks)),
        wait,
      )
      .when(status('DELETE_IN_PROGRESS'), reportStillDeleting)
      .when(
        sfn.Condition.and(status('DELETE_FAILED'), sfn.Condition.not(forced)),
        listRetained.next(keepStuck).next(forceRemove),
      )
      .otherwise(reportStuck);
    remove.next(wait);
    forceRemove.next(wait);
    wait.next(check).next(count).next(deleted);

    // A parent is never deleted before its children: an expired Kitchen with live child Kitchens (stacks tagged
    // kitchens:parent = its name, not DELETE_COMPLETE) is reported and left to a later run, by when they are gone.
    const findChildren = new tasks.CallAwsService(this, 'FindChildren', {
      stateName: 'Find child Kitchens',
      service: 'resourcegroupstaggingapi',
      action: 'getResources',
      iamResources: ['*'],
      iamAction: 'tag:GetResources',
      parameters: {
        ResourceTypeFilters: ['cloudformation:stack'],
        ResourcesPerPage: 100,
        TagFilters: [
          { Key: KITCHEN_TAGS.project, Values: [project] },
          { Key: KITCHEN_TAGS.environment, Values: [environment] },
          { Key: KITCHEN_TAGS.kitchen },
          { Key: KITCHEN_TAGS.parent, 'Values.$': 'States.Array($.kitchen)' },
        ],
      },
      // More than one page of children: the reaper reads only the first, so the rest are not known to be gone.
      resultSelector: { 'stacks.$': '$.ResourceTagMappingList', 'more.$': '$.PaginationToken' },
      resultPath: '$.children',
    });
    findChildren.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 2 });
    findChildren.addCatch(reportDeleteFailed, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    const readChild = new sfn.Pass(this, 'ReadChild', {
      stateName: 'Read child Kitchen',
      parameters: {
        'stackArn.$': '$.ResourceARN',
        'kitchen.$': `States.ArrayGetItem($.Tags[?(@.Key == '${KITCHEN_TAGS.kitchen}')].Value, 0)`,
      },
    });
    const describeChild = new tasks.CallAwsService(this, 'DescribeChild', {
      stateName: 'Check child Kitchen',
      service: 'cloudformation',
      action: 'describeStacks',
      iamAction: 'cloudformation:DescribeStacks',
      iamResources: [kitchenStacks],
      parameters: { 'StackName.$': '$.stackArn' },
      resultSelector: { 'status.$': '$.Stacks[0].StackStatus' },
      resultPath: '$.check',
    });
    describeChild.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 2 });
    // A child whose status cannot be read counts as alive: the parent waits for a run that can tell.
    describeChild.addCatch(
      new sfn.Pass(this, 'ChildUnknown', {
        stateName: 'Child Kitchen status unknown',
        parameters: { 'kitchen.$': '$.kitchen', status: 'UNKNOWN', 'error.$': '$.failure.Error' },
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.failure' },
    );
    describeChild.next(
      new sfn.Pass(this, 'ChildStatus', {
        stateName: 'Child Kitchen status',
        parameters: { 'kitchen.$': '$.kitchen', 'status.$': '$.check.status' },
      }),
    );
    const eachChild = new sfn.Map(this, 'EachChild', {
      stateName: 'Each child Kitchen',
      itemsPath: '$.children.stacks',
      maxConcurrency: 5,
      resultPath: '$.children.states',
    });
    eachChild.itemProcessor(readChild.next(describeChild));
    // Count the live children and join their names, one at a time: a JSONPath filter that matches nothing is an
    // error, and there is no intrinsic function to join an array.
    const tally = (id: string, stateName: string, fields: { index: string; count?: string; names?: string }) =>
      new sfn.Pass(this, id, {
        stateName,
        parameters: {
          'states.$': '$.children.states',
          'length.$': '$.children.length',
          'index.$': fields.index,
          'count.$': fields.count ?? '$.children.count',
          'names.$': fields.names ?? '$.children.names',
          'more.$': '$.children.more',
        },
        resultPath: '$.children',
      });
    const startTally = new sfn.Pass(this, 'StartTally', {
      stateName: 'Count live child Kitchens',
      parameters: {
        'states.$': '$.children.states',
        'length.$': 'States.ArrayLength($.children.states)',
        index: 0,
        count: 0,
        names: '',
        'more.$': '$.children.more',
      },
      resultPath: '$.children',
    });
    const next1 = 'States.MathAdd($.children.index, 1)';
    const pickChild = new sfn.Pass(this, 'PickChild', {
      stateName: 'Next child Kitchen',
      parameters: { 'value.$': 'States.ArrayGetItem($.children.states, $.children.index)' },
      resultPath: '$.child',
    });
    const goneChild = tally('GoneChild', 'Child Kitchen gone', { index: next1 });
    const firstLive = tally('FirstLiveChild', 'First live child Kitchen', {
      index: next1,
      count: 'States.MathAdd($.children.count, 1)',
      names: '$.child.value.kitchen',
    });
    const moreLive = tally('MoreLiveChild', 'Another live child Kitchen', {
      index: next1,
      count: 'States.MathAdd($.children.count, 1)',
      names: "States.Format('{}, {}', $.children.names, $.child.value.kitchen)",
    });
    const moreChildren = new sfn.Choice(this, 'MoreChildren', { stateName: 'More child Kitchens?' });
    goneChild.next(moreChildren);
    firstLive.next(moreChildren);
    moreLive.next(moreChildren);
    pickChild.next(
      new sfn.Choice(this, 'ChildAlive', { stateName: 'Child Kitchen alive?' })
        .when(sfn.Condition.stringEquals('$.child.value.status', 'DELETE_COMPLETE'), goneChild)
        .when(sfn.Condition.numberEquals('$.children.count', 0), firstLive)
        .otherwise(moreLive),
    );
    const reportLiveChildren = report(
      'ReportLiveChildren',
      'Report live child Kitchens',
      `Kitchen {} expired but was not deleted: it has live child Kitchens (${environment})`,
      {
        'expires.$': '$.expires',
        'outcome.$': "States.Format('skipped: has live children {}', $.children.names)",
        'liveChildren.$': '$.children.names',
        problem:
          'a Kitchen is deleted only after its child Kitchens (kitchen list --tree); the next run checks again, ' +
          'or delete them with kitchen delete --cascade',
      },
      outcome('SkippedLiveChildren', 'Skipped: live child Kitchens', 'skipped-live-children'),
    );
    // Over 100 children, none of the first page alive: the others are unread, so the parent waits like one with a
    // live child (a later run, once fewer are left, can tell).
    const reportUncountedChildren = report(
      'ReportUncountedChildren',
      'Report uncounted child Kitchens',
      `Kitchen {} expired but was not deleted: it has more child Kitchens than one listing returns (${environment})`,
      {
        'expires.$': '$.expires',
        outcome: 'skipped: more than 100 child Kitchens, not all checked',
        problem:
          'a Kitchen is deleted only after its child Kitchens, and only the first 100 were checked; ' +
          'delete them with kitchen delete --cascade, or wait for them to expire',
      },
      outcome('SkippedUncountedChildren', 'Skipped: child Kitchens not all checked', 'skipped-live-children'),
    );
    findChildren.next(eachChild).next(startTally).next(moreChildren);
    moreChildren
      .when(sfn.Condition.numberLessThanJsonPath('$.children.index', '$.children.length'), pickChild)
      .when(sfn.Condition.numberGreaterThan('$.children.count', 0), reportLiveChildren)
      .when(sfn.Condition.not(sfn.Condition.stringEquals('$.children.more', '')), reportUncountedChildren)
      .otherwise(remove);

    const expired = new sfn.Choice(this, 'Expired', { stateName: 'Expired?' })
      .when(sfn.Condition.timestampLessThanJsonPath('$.expires', '$.now'), findChildren)
      .otherwise(
        new sfn.Pass(this, 'Keep', {
          stateName: 'Not expired yet',
          parameters: { 'kitchen.$': '$.kitchen', 'stack.$': '$.stackArn', outcome: 'kept', alerted: true },
        }),
      );
    const validExpiry = new sfn.Choice(this, 'ValidExpiry', { stateName: 'Valid expiry?' })
      .when(sfn.Condition.isTimestamp('$.expires'), expired)
      .otherwise(noExpiry);
    const hasExpiry = new sfn.Choice(this, 'HasExpiry', { stateName: 'Has an expiry tag?' })
      .when(sfn.Condition.booleanEquals('$.hasExpiry', true), readExpiry.next(validExpiry))
      .otherwise(noExpiry);
    const each = new sfn.Map(this, 'Each', {
      stateName: 'Each Kitchen',
      itemsPath: '$.page.stacks',
      itemSelector: { 'stack.$': '$$.Map.Item.Value', 'now.$': '$.now' },
      maxConcurrency: 10,
      resultPath: '$.outcomes',
    });
    each.itemProcessor(readTags.next(hasExpiry));

    const start = new sfn.Pass(this, 'Start', {
      stateName: 'Start',
      parameters: { token: '', 'now.$': '$$.Execution.StartTime' },
    });
    const next = new sfn.Pass(this, 'Next', {
      stateName: 'Next page',
      parameters: { 'token.$': '$.page.token', 'now.$': '$.now' },
    });
    const more = new sfn.Choice(this, 'More', { stateName: 'More pages?' })
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.page.token'),
          sfn.Condition.not(sfn.Condition.stringEquals('$.page.token', '')),
        ),
        next.next(list),
      )
      .otherwise(new sfn.Succeed(this, 'Done', { stateName: 'Done' }));

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.names.stateMachineName('kitchen-reaper')}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      stateMachineName: props.names.stateMachineName('kitchen-reaper'),
      comment: `Deletes expired Kitchens of ${project}-${environment}`,
      definitionBody: sfn.DefinitionBody.fromChainable(start.next(list).next(each).next(more)),
      // Each Kitchen waits at most 2 x deleteTimeout (a delete, then a forced one); the run ends before the next.
      timeout: Duration.minutes(
        Math.max(
          (props.interval ?? Duration.hours(1)).toMinutes() - 5,
          Math.ceil((2 * deleteTimeout.toSeconds()) / 60) + 5,
        ),
      ),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // CloudFormation deletes CDK-deployed stacks with the role they were deployed with (the bootstrap
    // execution role); starting that needs PassRole on it, for CloudFormation only.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [
          `arn:${stack.partition}:iam::${stack.account}:role/cdk-*-cfn-exec-role-${stack.account}-${stack.region}`,
        ],
        conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    );
    const reason = 'The reaper';
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      `${reason} lists tagged stacks with tag:GetResources, which supports no resource-level permissions; X-Ray and log delivery need "*" too.`,
    );
    acknowledge(
      this.stateMachine.role,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:cloudformation:${stack.region}:${stack.account}:stack/${project}-${environment}-kitchen-*/*]`,
      `${reason} may delete only stacks named like this environment's Kitchens (${project}-${environment}-kitchen-NAME); their stack ids are generated.`,
    );
    acknowledge(
      this.stateMachine.role,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:iam::${stack.account}:role/cdk-*-cfn-exec-role-${stack.account}-${stack.region}]`,
      `${reason} passes only the CDK bootstrap execution role (any qualifier) and only to CloudFormation, to delete stacks deployed with it.`,
    );

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Deletes expired Kitchens of ${project}-${environment}`,
      schedule: events.Schedule.rate(props.interval ?? Duration.hours(1)),
      targets: [new targets.SfnStateMachine(this.stateMachine, { retryAttempts: 2 })],
    });
  }
}
