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
}

/**
 * Deletes expired Kitchens of one environment without anyone's help: on a schedule, it finds the Kitchen stacks
 * by their stack tags, compares each `kitchens:expires` tag with the execution's start time, deletes the expired
 * stacks (their custom resources drop the schema and empty the prefix) and announces each one on the alert topic.
 * A stack without exactly one valid expiry is reported and skipped; a DeleteStack that still fails after its
 * retries is reported; neither stops the other Kitchens. It can delete only stacks named like this environment's
 * Kitchens.
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
    const outcome = (id: string, stateName: string, result: string) =>
      new sfn.Pass(this, id, {
        stateName,
        parameters: { 'kitchen.$': '$.kitchen', 'stack.$': '$.stackArn', outcome: result },
      });
    const report = (id: string, stateName: string, subject: string, message: Record<string, unknown>) =>
      new tasks.SnsPublish(this, id, {
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
    const noExpiry = report(
      'ReportNoExpiry',
      'Report missing or invalid expiry',
      `Kitchen {} has no valid ${KITCHEN_TAGS.expires} tag and was not deleted (${environment})`,
      {
        problem: `the stack needs a ${KITCHEN_TAGS.expires} tag holding an ISO 8601 UTC time; delete it by hand or fix the tag`,
      },
    ).next(outcome('SkippedNoExpiry', 'Skipped: no valid expiry', 'skipped-invalid-expiry'));
    const remove = new tasks.CallAwsService(this, 'Delete', {
      stateName: 'Delete expired Kitchen',
      service: 'cloudformation',
      action: 'deleteStack',
      iamAction: 'cloudformation:DeleteStack',
      iamResources: [
        stack.formatArn({
          service: 'cloudformation',
          resource: 'stack',
          resourceName: `${project}-${environment}-kitchen-*/*`,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ],
      parameters: { 'StackName.$': '$.stackArn' },
      resultPath: sfn.JsonPath.DISCARD,
    });
    remove.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 3 });
    remove.addCatch(
      report(
        'ReportDeleteFailed',
        'Report failed deletion',
        `Kitchen {} expired but could not be deleted (${environment})`,
        {
          'expires.$': '$.expires',
          'error.$': '$.failure.Error',
          'cause.$': '$.failure.Cause',
        },
      ).next(outcome('DeleteFailed', 'Delete failed', 'delete-failed')),
      { errors: [sfn.Errors.ALL], resultPath: '$.failure' },
    );
    const announce = new tasks.SnsPublish(this, 'Announce', {
      stateName: 'Announce deletion',
      topic: props.alertTopic,
      subject: sfn.JsonPath.format(
        `Kitchen {} expired and is being deleted (${environment})`,
        sfn.JsonPath.stringAt('$.kitchen'),
      ),
      message: sfn.TaskInput.fromObject({
        'kitchen.$': '$.kitchen',
        'expires.$': '$.expires',
        'stack.$': '$.stackArn',
        environment,
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const expired = new sfn.Choice(this, 'Expired', { stateName: 'Expired?' })
      .when(
        sfn.Condition.timestampLessThanJsonPath('$.expires', '$.now'),
        remove.next(announce).next(outcome('Deleted', 'Deleted', 'deleted')),
      )
      .otherwise(outcome('Keep', 'Not expired yet', 'kept'));
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
      maxConcurrency: 5,
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
      timeout: Duration.minutes(30),
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
