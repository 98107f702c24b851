import * as cdk from 'aws-cdk-lib/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, Alerts, DataLake, Vault } from 'cdk-kitchens';

/** Vault, DataLake and Alerts with plain props, in a stack of the user's own. */
export class ConsumerStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const vault = new Vault(this, 'Vault', { appSecrets: ['partner-api'] });
    const lake = new DataLake(this, 'DataLake', {
      encryptionKey: vault.key,
      landingExpiration: cdk.Duration.days(30),
    });
    const alerts = new Alerts(this, 'Alerts', {
      slackWorkspaceId: 'T07ACME0001',
      slackChannelId: 'C07ANALYTIC',
    });

    const reader = new iam.Role(this, 'Reader', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    vault.grantReadAppSecrets(reader);
    alerts.grantPublish(reader);
    acknowledge(
      reader,
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'Written by Alerts.grantPublish: publishing to the encrypted topic needs data keys of the alerts key only.',
    );
    new cdk.CfnOutput(this, 'RawBucket', { value: lake.buckets.raw.bucketName });
  }
}
