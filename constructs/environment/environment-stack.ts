import type { StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentBoundStack } from '../core/environment-bound-stack';
import type { EnvironmentConfig, KitchensConfig } from '../../lib/config/model';
import { Names } from '../../lib/naming';
import type { PipelineDefinition } from '../../lib/pipeline/model';
import { ReleaseEnvironment } from './release-environment';

/** Properties of an {@link EnvironmentStack}; stack name, account, region and description default from the config. */
export interface EnvironmentStackProps extends StackProps {
  /** The validated config (`loadConfig`): project name and container apps. */
  readonly config: KitchensConfig;
  /** The environment this stack deploys, one of `config.environments`. */
  readonly environment: EnvironmentConfig;
  /**
   * Pipelines deployed in the environment, rendered with its variables.
   * @default - no pipelines
   */
  readonly pipelines?: readonly PipelineDefinition[];
}

/** The stack of one release environment, deployed to the account and region its config names. */
export class EnvironmentStack extends EnvironmentBoundStack {
  public readonly releaseEnvironment: ReleaseEnvironment;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    const names = new Names({
      project: props.config.project,
      environment: props.environment.name,
      account: props.environment.account,
    });
    super(scope, id, {
      stackName: names.stackName,
      boundTo: props.environment,
      description: `cdk-kitchens ${props.environment.stage} release environment "${props.environment.name}"`,
      terminationProtection: props.environment.stage === 'production',
      ...props,
    });
    this.releaseEnvironment = new ReleaseEnvironment(this, 'Environment', {
      project: props.config.project,
      environment: props.environment,
      apps: props.config.apps,
      pipelines: props.pipelines,
    });
  }
}
