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

export interface KitchenReaperProps {
  /** Names of the environment the Kitchens live in. */
  readonly names: Names;
  /** Where to announce each deleted Kitchen. */
  readonly alertTopic: sns.ITopic;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /**
   * How often expired Kitchens are looked for.
   * @default Duration.hours(1)
   */
  readonly interval?: Duration;
}

/**
 * Deletes expired Kitchens of one environment without anyone's help: on a schedule, it finds the Kitchen stacks
 * by tag, compares each `kitchens:expires` tag with the execution's start time, deletes the expired stacks
 * (their custom resources drop the schema and empty the prefix) and announces each one on the alert topic.
 * It can delete only stacks named like this environment's Kitchens.
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

    const describe = new sfn.Pass(this, 'Describe', {
      stateName: 'Read expiry',
      parameters: {
        'stackArn.$': '$.stack.ResourceARN',
        'kitchen.$': `States.ArrayGetItem($.stack.Tags[?(@.Key == '${KITCHEN_TAGS.kitchen}')].Value, 0)`,
        'expires.$': `States.ArrayGetItem($.stack.Tags[?(@.Key == '${KITCHEN_TAGS.expires}')].Value, 0)`,
        'now.$': '$.now',
      },
    });
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
    remove.addRetry({
      errors: ['CloudFormation.CloudFormationException', 'States.Timeout'],
      maxAttempts: 3,
      backoffRate: 2,
    });
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
      .when(sfn.Condition.timestampLessThanJsonPath('$.expires', '$.now'), remove.next(announce))
      .otherwise(new sfn.Pass(this, 'Keep', { stateName: 'Not expired yet' }));
    const each = new sfn.Map(this, 'Each', {
      stateName: 'Each Kitchen',
      itemsPath: '$.page.stacks',
      itemSelector: { 'stack.$': '$$.Map.Item.Value', 'now.$': '$.now' },
      maxConcurrency: 5,
      resultPath: sfn.JsonPath.DISCARD,
    });
    each.itemProcessor(describe.next(expired));

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
