import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { copySourceExpression } from '../../lib/copy-source';
import type { Names } from '../../lib/naming';

/** Props of `ObjectClone`: where objects are copied from and to, and the manifests that list them. */
export interface ObjectCloneProps {
  /** Names of the Kitchen's environment; the state machine is named `<project>-<env>-object-clone`. */
  readonly names: Names;
  /** The parent's bucket: only read, and only under `sourcePrefix`. */
  readonly sourceBucket: s3.IBucket;
  /** Keys the state machine may read. @default - the whole bucket */
  readonly sourcePrefix?: string;
  /** The Kitchen's bucket: written only under `targetPrefix`. */
  readonly targetBucket: s3.IBucket;
  /** Keys the state machine may write. @default 'kitchens/' (every Kitchen's prefix, never the environment's own data) */
  readonly targetPrefix?: string;
  /** Bucket holding the manifests the cloner writes (a JSON array of `{ "source": key, "target": key }`). */
  readonly manifestBucket: s3.IBucket;
  /** Prefix of the manifests. @default 'clone-manifests/' */
  readonly manifestPrefix?: string;
  /** Child executions running at once. @default 200 */
  readonly maxConcurrency?: number;
  /** Share of failed copies the run tolerates before it fails. @default 0 */
  readonly toleratedFailurePercentage?: number;
  /** @default - CloudWatch log group with 30 days of retention */
  readonly logGroup?: logs.ILogGroup;
}

/**
 * For clones too large for one machine: a Step Functions Distributed Map that reads a manifest of sampled keys and
 * runs one S3 CopyObject per item (server-side; objects up to 5 GiB, the CopyObject limit, larger ones are copied
 * by the CLI in parts), with retries on throttling. Start an execution with `{ "manifestKey": "clone-manifests/..." }`.
 * Least privilege: read the source prefix and the manifests, write the target prefix, nothing else.
 */
export class ObjectClone extends Construct {
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ObjectCloneProps) {
    super(scope, id);
    const sourcePrefix = props.sourcePrefix ?? '';
    const targetPrefix = props.targetPrefix ?? 'kitchens/';
    const manifestPrefix = props.manifestPrefix ?? 'clone-manifests/';
    if (targetPrefix === '' && props.sourceBucket === props.targetBucket) {
      throw new Error('ObjectClone: targetPrefix must not be empty when the source and target bucket are the same');
    }

    // JSONata, for its $encodeUrlComponent: S3 decodes CopySource, so keys must be URL-encoded there.
    const copy = tasks.CallAwsService.jsonata(this, 'Copy object', {
      service: 's3',
      action: 'copyObject',
      parameters: {
        Bucket: props.targetBucket.bucketName,
        Key: '{% $states.input.target %}',
        CopySource: copySourceExpression(props.sourceBucket.bucketName, '$states.input.source'),
        MetadataDirective: 'COPY',
      },
      // Permissions come from the grants below, scoped to prefixes.
      iamResources: [props.targetBucket.arnForObjects(`${targetPrefix}*`)],
      iamAction: 's3:PutObject',
      outputs: { etag: '{% $states.result.CopyObjectResult.ETag %}' },
    });
    copy.addRetry({
      errors: ['S3.SlowDownException', 'S3.S3Exception', 'S3.SdkClientException', 'States.Timeout'],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 8,
      jitterStrategy: sfn.JitterType.FULL,
    });

    const map = new sfn.DistributedMap(this, 'Copy sampled objects', {
      itemReader: new sfn.S3JsonItemReader({
        bucket: props.manifestBucket,
        key: sfn.JsonPath.stringAt('$.manifestKey'),
      }),
      maxConcurrency: props.maxConcurrency ?? 200,
      toleratedFailurePercentage: props.toleratedFailurePercentage ?? 0,
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      label: 'ObjectClone',
    });
    map.itemProcessor(copy, { mode: sfn.ProcessorMode.DISTRIBUTED, executionType: sfn.ProcessorType.EXPRESS });

    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      stateMachineName: props.names.stateMachineName('object-clone'),
      definitionBody: sfn.DefinitionBody.fromChainable(map),
      tracingEnabled: true,
      logs: {
        destination: props.logGroup ?? new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }),
        level: sfn.LogLevel.ERROR,
      },
    });
    props.sourceBucket.grantRead(this.stateMachine, `${sourcePrefix}*`);
    props.manifestBucket.grantRead(this.stateMachine, `${manifestPrefix}*`);
    props.targetBucket.grantPut(this.stateMachine, `${targetPrefix}*`);
  }
}
