import type { StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EnvironmentBoundStack } from '../core/environment-bound-stack';
import type { EnvironmentConfig, KitchensConfig } from '../../lib/config/model';
import { Names } from '../../lib/naming';
import { ENVIRONMENT_PARAMETERS } from '../../lib/parameters';
import { KitchenReaper } from './kitchen-reaper';

export interface KitchenHostStackProps extends StackProps {
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
}

/**
 * What a development environment needs to host Kitchens, kept out of the environment stack so production and
 * development stay identical in shape: the reaper that deletes expired Kitchens.
 */
export class KitchenHostStack extends EnvironmentBoundStack {
  public readonly reaper: KitchenReaper;

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
    this.reaper = new KitchenReaper(this, 'Reaper', {
      names,
      alertTopic: sns.Topic.fromTopicArn(this, 'Alerts', value('alertTopicArn')),
      encryptionKey: kms.Key.fromKeyArn(this, 'Key', value('keyArn')),
      logRetention: env.retention.logDays as logs.RetentionDays,
    });
  }
}
