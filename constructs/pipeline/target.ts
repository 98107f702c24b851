/** What a pipeline runs against: one environment's or Kitchen's warehouse, data lake, containers and alert topic. */
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Names } from '../../lib/naming';

export interface PipelineTarget {
  readonly names: Names;
  /** Values of the `{{variables}}`: env, kitchen, schema, bucket, landing_bucket, raw_bucket, curated_bucket, prefix, database, ... */
  readonly variables: Readonly<Record<string, string>>;
  readonly warehouse: {
    readonly clusterIdentifier: string;
    readonly clusterArn: string;
    readonly database: string;
    readonly credentials: secretsmanager.ISecret;
  };
  readonly dataLake: {
    readonly buckets: Readonly<Record<'landing' | 'raw' | 'curated', s3.IBucket>>;
    readonly prefix: string;
  };
  /** The container name inside each task definition is the app name. */
  readonly containers: {
    readonly cluster: ecs.ICluster;
    readonly taskDefinitions: Readonly<Record<string, ecs.FargateTaskDefinition>>;
    readonly securityGroups: readonly ec2.ISecurityGroup[];
    readonly subnets: ec2.SubnetSelection;
  };
  readonly alertTopic: sns.ITopic;
  /** Schema-qualified, e.g. "analytics.kitchens_test_history". */
  readonly historyTable: string;
  readonly schedulesEnabled: boolean;
  /** Encrypts the state machine log group; its key policy must let CloudWatch Logs use it (`logs.<region>.amazonaws.com`). */
  readonly encryptionKey: kms.IKey;
  readonly logRetentionDays: number;
}
