import type { StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentBoundStack } from '../core/environment-bound-stack';
import type { KitchensConfig } from '../../lib/config/model';
import { kitchenTags, type KitchenOptions } from '../../lib/kitchen/options';
import { Names } from '../../lib/naming';
import type { PipelineDefinition } from '../../lib/pipeline/model';
import { Kitchen } from './kitchen';

/** Props of a {@link KitchenStack}; the account, region and stack description come from `options`. */
export interface KitchenStackProps extends StackProps {
  /** The loaded kitchens.config.yaml: the project name and the container apps the Kitchen gets. */
  readonly config: KitchensConfig;
  /** The Kitchen to deploy: name, host environment, owner, expiry and the rest (see {@link kitchenOptions}). */
  readonly options: KitchenOptions;
  /**
   * The environment's pipelines; the Kitchen gets its own copies.
   *
   * @default - no pipelines in the Kitchen
   */
  readonly pipelines?: readonly PipelineDefinition[];
}

/** The stack of one Kitchen, in the account and region of its development environment. */
export class KitchenStack extends EnvironmentBoundStack {
  public readonly kitchen: Kitchen;

  constructor(scope: Construct, id: string, props: KitchenStackProps) {
    const env = props.options.environment;
    const names = new Names({
      project: props.config.project,
      environment: env.name,
      account: env.account,
      kitchen: props.options.name,
    });
    super(scope, id, {
      stackName: names.stackName,
      boundTo: props.options.environment,
      description: `cdk-kitchens Kitchen "${props.options.name}" in ${env.name} (owner ${props.options.owner}, expires ${props.options.expires})`,
      ...props,
      // Stack-level tags: the toolkit passes them to CloudFormation, which is where the reaper and
      // `kitchen list` look (resource tags set inside the stack are invisible to them).
      tags: { ...props.tags, ...kitchenTags(props.config.project, props.options) },
    });
    this.kitchen = new Kitchen(this, 'Kitchen', {
      project: props.config.project,
      options: props.options,
      apps: props.config.apps,
      pipelines: props.pipelines,
    });
  }
}
