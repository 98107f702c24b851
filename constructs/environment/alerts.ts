import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Names } from '../../lib/naming';
import { acknowledge } from '../core/nag';

export interface AlertsProps {
  readonly names: Names;
  readonly slackWorkspaceId: string;
  readonly slackChannelId: string;
  /** Key that encrypts the topic. */
  readonly encryptionKey: kms.IKey;
}

/**
 * Alerts of an environment or Kitchen: an encrypted, TLS-only SNS topic and an AWS Chatbot Slack channel
 * subscribed to it. People in the channel can only read: the guardrail allows describing executions and alarms.
 */
export class Alerts extends Construct {
  public readonly topic: sns.Topic;
  public readonly slackChannel: chatbot.SlackChannelConfiguration;
  public readonly guardrail: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.names.topicName(),
      displayName: `cdk-kitchens alerts: ${props.names.stackName}`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // Services that publish alarms and events to the topic must be able to use the key.
    props.encryptionKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    props.encryptionKey.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    // What people in the Slack channel may do from Slack: look at this environment's executions, nothing else.
    const stack = Stack.of(this);
    const prefix = props.names.stateMachineName('x').slice(0, -1);
    this.guardrail = new iam.ManagedPolicy(this, 'Guardrail', {
      description: `Read-only guardrail for Slack users of ${props.names.stackName} alerts`,
      statements: [
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          resources: [
            Arn.format(
              {
                service: 'states',
                resource: 'execution',
                resourceName: `${prefix}*`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              },
              stack,
            ),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['states:ListExecutions', 'states:DescribeStateMachine'],
          resources: [
            Arn.format(
              {
                service: 'states',
                resource: 'stateMachine',
                resourceName: `${prefix}*`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              },
              stack,
            ),
          ],
        }),
      ],
    });
    for (const resource of ['execution', 'stateMachine']) {
      acknowledge(
        this.guardrail,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${stack.region}:${stack.account}:${resource}:${prefix}*]`,
        'Read-only Step Functions actions limited by name prefix to the state machines and executions of this ' +
          'environment or Kitchen; execution names are generated at run time, so they cannot be listed.',
      );
    }
    this.slackChannel = new chatbot.SlackChannelConfiguration(this, 'Slack', {
      slackChannelConfigurationName: props.names.chatbotName(),
      slackWorkspaceId: props.slackWorkspaceId,
      slackChannelId: props.slackChannelId,
      notificationTopics: [this.topic],
      guardrailPolicies: [this.guardrail],
      loggingLevel: chatbot.LoggingLevel.ERROR,
      userRoleRequired: false,
    });
  }

  /** Lets the grantee publish alerts (and use the topic key). */
  public grantPublish(grantee: iam.IGrantable): void {
    this.topic.grantPublish(grantee);
  }
}
