/**
 * One pipeline in a nested stack of its own (issue 22): an environment or a Kitchen holds many pipelines, and
 * CloudFormation counts 1,000,000 bytes and 500 resources per template, nested templates each on their own. The
 * parent template then holds one `AWS::CloudFormation::Stack` per pipeline, with the references the pipeline makes to
 * the parent's resources as its parameters; the pipeline's definitions are file assets (see `AssetDefinitionBody`).
 *
 * Resources keep the logical ids they had when the pipeline was a construct of the parent (`Pipeline<Id>` directly
 * below it): the pipeline is the nested stack's `Default` child, which logical ids leave out, and ids are allocated
 * from the path below the outermost stack without the nested stack's `<id>.NestedStack` wrapper. So the templates
 * the readers fold back together (lib/templates.ts) name every resource as before, ids stay unique across an
 * environment's pipelines, and moving a pipeline into its nested stack renames nothing a diff or alarm follows. The
 * pipeline's monitoring (`PipelineMonitoring`) is here too, named as the parent's `Monitoring` named it.
 */
import { createHash } from 'crypto';
import { CfnResource, NestedStack, Stack, type CfnElement } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { MonitoringThresholds } from '../../lib/observability/thresholds';
import { PipelineMonitoring } from '../observability/pipeline-monitoring';
import { Pipeline, type PipelineProps } from './pipeline';

/** Props of a {@link PipelineStack}: those of the {@link Pipeline} it holds, and its monitoring's thresholds. */
export interface PipelineStackProps extends PipelineProps {
  /** Alarm thresholds of the pipeline's monitoring. @default - `MONITORING_DEFAULTS` */
  readonly thresholds?: MonitoringThresholds;
}

/**
 * A nested stack holding one {@link Pipeline} (its `Default` child) and its {@link PipelineMonitoring} (`Monitoring`:
 * alarms to the target's alert topic, metric filters, a composite alarm and a dashboard).
 */
export class PipelineStack extends NestedStack {
  /** The pipeline the stack holds. */
  public readonly pipeline: Pipeline;
  /** The pipeline's monitoring; the parent's all-green composite watches `monitoring.allGreen`. */
  public readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, { description: `Pipeline ${props.definition.id}` });
    this.pipeline = new Pipeline(this, 'Default', props);
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      names: props.target.names,
      alertTopic: props.target.alertTopic,
      pipeline: this.pipeline,
      thresholds: props.thresholds,
    });
  }

  protected allocateLogicalId(element: CfnElement): string {
    // Parameters and outputs (references to and from the parent) keep aws-cdk-lib's names.
    if (!CfnResource.isCfnResource(element)) return super.allocateLogicalId(element);
    let outermost: Stack = this.nestedStackParent!;
    while (outermost.nestedStackParent !== undefined) outermost = outermost.nestedStackParent;
    const scopes = element.node.scopes;
    // The monitoring's resources are named as the parent's `Monitoring` (DataOpsMonitoring, a sibling of this stack)
    // named them before they moved here: alarms and metric filters keep their logical ids; what is new names the
    // pipeline.
    const monitoring = scopes.includes(this.monitoring);
    const components = scopes
      .slice(scopes.indexOf(outermost) + 1)
      .filter((c) => !(monitoring && c === this))
      .filter((c) => !(c.node.id.endsWith('.NestedStack') && c.node.children.some((k) => NestedStack.isNestedStack(k))))
      .map((c) => c.node.id);
    return uniqueId(components);
  }
}

/** aws-cdk-lib's logical id of a path below a stack (core/lib/private/uniqueid.ts `makeUniqueId`, not exported). */
export function uniqueId(path: readonly string[]): string {
  const components = path.filter((c) => c !== 'Default');
  if (components.length === 0) throw new Error('uniqueId: an empty path has no logical id');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (components.length === 1 && alphanumeric(components[0]).length <= 255) return alphanumeric(components[0]);
  const hash = createHash('md5').update(components.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const c of components) if (human.length === 0 || !human[human.length - 1].endsWith(c)) human.push(c);
  return (
    human
      .filter((c) => c !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + hash
  );
}
