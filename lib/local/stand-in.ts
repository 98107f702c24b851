/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
/**
 * Stand-in environment resources for compiling a pipeline outside a release environment: for `kitchen run --local`
 * and for tests. They have the same types and names as the real ones (buckets named by the variables), so the
 * compiled definition is the one an environment would deploy, and bucket names map to local directories.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { Pipeline, PipelineTarget } from '../../constructs/pipeline/pipeline';
import type { Names } from '../naming';
import type { PipelineDefinition } from '../pipeline/model';
import { resolveDefinition } from './definition';

export interface StandInOptions {
  readonly names: Names;
  /** Pipeline variables; landing_bucket, raw_bucket and curated_bucket name the stand-in buckets. */
  readonly variables: Readonly<Record<string, string>>;
  /** Container apps to create task definitions for. */
  readonly apps: readonly string[];
  /** @default - `<schema>.kitchens_test_history` */
  readonly historyTable?: string;
  /** @default false */
  readonly schedulesEnabled?: boolean;
  /** @default 'analytics' (or the `database` variable) */
  readonly database?: string;
}

/** Creates stand-in resources in `scope` and returns a PipelineTarget over them. */
export function standInTarget(scope: Construct, options: StandInOptions): PipelineTarget {
  const { variables } = options;
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const cluster = new ecs.Cluster(scope, 'Cluster', { vpc });
  const securityGroup = new ec2.SecurityGroup(scope, 'TaskSecurityGroup', { vpc });
  const taskDefinitions: Record<string, ecs.FargateTaskDefinition> = {};
  for (const app of options.apps) {
    const taskDefinition = new ecs.FargateTaskDefinition(scope, `Task-${app}`, { cpu: 512, memoryLimitMiB: 1024 });
    taskDefinition.addContainer(app, { containerName: app, image: ecs.ContainerImage.fromRegistry(`local/${app}`) });
    taskDefinitions[app] = taskDefinition;
  }
  const key = new kms.Key(scope, 'Key', { enableKeyRotation: true });
  // Like an environment's key: CloudWatch Logs may use it for the state machine log group.
  key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${variables.region ?? 'eu-west-1'}.amazonaws.com`));
  const bucket = (id: string, variable: string) =>
    new s3.Bucket(scope, id, { bucketName: variables[variable], encryptionKey: key, enforceSSL: true });
  const schema = variables.schema ?? 'analytics';
  return {
    names: options.names,
    variables,
    warehouse: {
      clusterIdentifier: options.names.clusterIdentifier(),
      clusterArn: `arn:aws:redshift:${variables.region ?? 'eu-west-1'}:${options.names.context.account}:cluster:${options.names.clusterIdentifier()}`,
      database: options.database ?? variables.database ?? 'analytics',
      credentials: new secretsmanager.Secret(scope, 'WarehouseSecret', { encryptionKey: key }),
    },
    dataLake: {
      buckets: {
        landing: bucket('Landing', 'landing_bucket'),
        raw: bucket('Raw', 'raw_bucket'),
        curated: bucket('Curated', 'curated_bucket'),
      },
      prefix: variables.prefix ?? '',
    },
    containers: {
      cluster,
      taskDefinitions,
      securityGroups: [securityGroup],
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    },
    alertTopic: new sns.Topic(scope, 'Alerts', { masterKey: key }),
    historyTable: options.historyTable ?? variables.history_table ?? `${schema}.kitchens_test_history`,
    schedulesEnabled: options.schedulesEnabled ?? false,
    encryptionKey: key,
    logRetentionDays: 7,
  };
}

export interface CompiledPipeline {
  /** The ASL definition, references resolved to stand-in names. */
  readonly asl: Record<string, any>;
  /** The child machines' definitions by the name the pipeline's Task states start them with. */
  readonly stateMachines: Record<string, Record<string, any>>;
  readonly pipeline: Pipeline;
}

/** The child machines' definitions of a compiled pipeline (runners and stages), by state machine name. */
export function childDefinitions(pipeline: Pipeline): Record<string, Record<string, any>> {
  return Object.fromEntries(
    [pipeline.runners.sql, pipeline.runners.test, ...pipeline.stages].map((machine) => [
      (machine.node.defaultChild as sfn.CfnStateMachine).stateMachineName!,
      resolveDefinition(machine),
    ]),
  );
}

/** Compiles one pipeline against stand-in resources and returns its ASL definition. */
export function compileWithStandIns(definition: PipelineDefinition, options: StandInOptions): CompiledPipeline {
  const app = new App();
  const stack = new Stack(app, 'LocalPipeline', {
    env: { account: options.names.context.account, region: options.variables.region ?? 'eu-west-1' },
  });
  // Inline definitions: nothing is deployed, and the run reads the definition in process.
  const pipeline = new Pipeline(stack, 'Pipeline', {
    definition,
    target: standInTarget(stack, options),
    definitionStorage: 'inline',
  });
  return { asl: resolveDefinition(pipeline.stateMachine), stateMachines: childDefinitions(pipeline), pipeline };
}
