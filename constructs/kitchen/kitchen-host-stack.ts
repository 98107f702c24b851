import { ArnFormat, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EnvironmentBoundStack } from '../core/environment-bound-stack';
import type { EnvironmentConfig, KitchensConfig } from '../../lib/config/model';
import { Names } from '../../lib/naming';
import { ENVIRONMENT_PARAMETERS, KITCHEN_HOST_PARAMETERS } from '../../lib/parameters';
import { KitchenProvider } from './kitchen-provider';
import { KitchenReaper } from './kitchen-reaper';
import { JobMonitoring } from '../observability/job-monitoring';

/** Props of a {@link KitchenHostStack}. */
export interface KitchenHostStackProps extends StackProps {
  /** The loaded kitchens.config.yaml (the project name, for resource names). */
  readonly config: KitchensConfig;
  /** The development environment that hosts Kitchens; the stack is deployed to its account and region. */
  readonly environment: EnvironmentConfig;
}

/**
 * What a development environment needs to host Kitchens, kept out of the environment stack so production and
 * development stay identical in shape: the reaper that deletes expired Kitchens, and the one Kitchen provider
 * every Kitchen stack's custom resources use (published as an SSM parameter).
 */
export class KitchenHostStack extends EnvironmentBoundStack {
  public readonly reaper: KitchenReaper;
  public readonly provider: KitchenProvider;
  /** The reaper's alarms and dashboard. */
  public readonly monitoring: JobMonitoring;

  constructor(scope: Construct, id: string, props: KitchenHostStackProps) {
    const env = props.environment;
    const names = new Names({ project: props.config.project, environment: env.name, account: env.account });
    super(scope, id, {
      stackName: names.kitchensStackName,
      boundTo: props.environment,
      description: `cdk-kitchens: Kitchen hosting of "${env.name}" (expired Kitchen reaper)`,
      ...props,
    });
    const value = (key: keyof typeof ENVIRONMENT_PARAMETERS) =>
      ssm.StringParameter.valueForStringParameter(this, names.parameterName(ENVIRONMENT_PARAMETERS[key]));
    const alertTopic = sns.Topic.fromTopicArn(this, 'Alerts', value('alertTopicArn'));
    this.reaper = new KitchenReaper(this, 'Reaper', {
      names,
      alertTopic,
      encryptionKey: kms.Key.fromKeyArn(this, 'Key', value('keyArn')),
      logRetention: env.retention.logDays as logs.RetentionDays,
    });
    const key = kms.Key.fromKeyArn(this, 'VaultKey', value('keyArn'));
    const clusterIdentifier = value('clusterIdentifier');
    this.provider = new KitchenProvider(this, 'Provider', {
      names,
      clusterIdentifier,
      clusterArn: this.formatArn({
        service: 'redshift',
        resource: 'cluster',
        resourceName: clusterIdentifier,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      database: value('database'),
      encryptionKey: key,
      adminSecret: secretsmanager.Secret.fromSecretCompleteArn(this, 'AdminSecret', value('adminSecretArn')),
      buckets: (['landingBucket', 'rawBucket', 'curatedBucket'] as const).map((bucket) =>
        s3.Bucket.fromBucketAttributes(this, `${bucket[0].toUpperCase()}${bucket.slice(1)}`, {
          bucketName: value(bucket),
          encryptionKey: key,
        }),
      ),
      logRetention: env.retention.logDays as logs.RetentionDays,
    });
    // A reaper run that fails or times out alarms (and resolves) on the environment's alert topic.
    this.monitoring = new JobMonitoring(this, 'Monitoring', {
      prefix: names.kitchensStackName,
      alertTopic,
      jobs: [{ stateMachine: this.reaper.stateMachine, name: 'kitchen-reaper', title: 'Kitchen reaper' }],
    });
    new ssm.StringParameter(this, 'ProviderServiceToken', {
      parameterName: names.parameterName(KITCHEN_HOST_PARAMETERS.providerServiceToken),
      stringValue: this.provider.serviceToken,
      description: `cdk-kitchens ${names.kitchensStackName}: the Kitchen provider's service token`,
    });
  }
}
