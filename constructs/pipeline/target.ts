/** What a pipeline runs against: one environment's or Kitchen's warehouse, data lake, containers and alert topic. */
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Names } from '../../lib/naming';

/**
 * The resources of one release environment or Kitchen that a `Pipeline` is compiled against. Built by
 * `ReleaseEnvironment` and `Kitchen`; a pipeline definition refers to these only through its `{{variables}}`.
 */
export interface PipelineTarget {
  /** Naming rules of the environment or Kitchen: the pipeline's state machines, log groups and roles are named by them. */
  readonly names: Names;
  /** Values of the `{{variables}}`: env, kitchen, schema, bucket, landing_bucket, raw_bucket, curated_bucket, prefix, database, ... */
  readonly variables: Readonly<Record<string, string>>;
  /** The Redshift cluster the SQL steps and tests run on, through the Redshift Data API. */
  readonly warehouse: {
    /** Identifier of the Redshift cluster. */
    readonly clusterIdentifier: string;
    /** ARN of the Redshift cluster, for the Data API permissions. */
    readonly clusterArn: string;
    /** Database the statements run in. */
    readonly database: string;
    /** Secret with the database user the statements run as; the state machines are granted read on it. */
    readonly credentials: secretsmanager.ISecret;
  };
  /** The data lake the copy steps read from and write to. */
  readonly dataLake: {
    /** The landing, raw and curated buckets, by zone; a copy step's `from.bucket` and `to.bucket` name one. */
    readonly buckets: Readonly<Record<'landing' | 'raw' | 'curated', s3.IBucket>>;
    /** Key prefix every object this target reads or writes is under (a Kitchen's own prefix in a Kitchen); permissions are scoped to it. */
    readonly prefix: string;
  };
  /** The container name inside each task definition is the app name. */
  readonly containers: {
    /** ECS cluster the container steps run their Fargate tasks on. */
    readonly cluster: ecs.ICluster;
    /** Task definition of each container app, by app name; a container step's `app` must be one of these keys. */
    readonly taskDefinitions: Readonly<Record<string, ecs.FargateTaskDefinition>>;
    /** Security groups the Fargate tasks are given. */
    readonly securityGroups: readonly ec2.ISecurityGroup[];
    /** Subnets the Fargate tasks are placed in. */
    readonly subnets: ec2.SubnetSelection;
  };
  /** SNS topic the pipeline publishes failure and test alerts to; the state machines are granted publish on it. */
  readonly alertTopic: sns.ITopic;
  /** Schema-qualified, e.g. "analytics.kitchens_test_history". */
  readonly historyTable: string;
  /**
   * Whether the pipeline's schedule rule (when its definition has a `schedule`) is enabled. The rule is created
   * either way; `false` deploys it disabled (Kitchens always pass `false`).
   */
  readonly schedulesEnabled: boolean;
  /** Encrypts the state machine log group; its key policy must let CloudWatch Logs use it (`logs.<region>.amazonaws.com`). */
  readonly encryptionKey: kms.IKey;
  /** Days the pipeline's CloudWatch log groups keep their events (a `logs.RetentionDays` value). */
  readonly logRetentionDays: number;
}
