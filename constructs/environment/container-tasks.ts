import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AppConfig } from '../../lib/config/model';
import { partitionOf, pascal, type Names } from '../../lib/naming';
import { acknowledge } from '../core/nag';

/** The user every app's container runs as unless its config names another (`apps[].user`): not root. */
export const DEFAULT_CONTAINER_USER = '1000:1000';

/** Properties of {@link ContainerTasks}. */
export interface ContainerTasksProps {
  /** Names of the environment or Kitchen: cluster, task families, log groups and roles derive from them. */
  readonly names: Names;
  /** The container apps: one Fargate task definition each, with the image, size, command and secrets given. */
  readonly apps: readonly AppConfig[];
  /** VPC of the cluster and the tasks' security group. */
  readonly vpc: ec2.IVpc;
  /** Secrets the apps may reference by name (from the Vault). */
  readonly secrets: Readonly<Record<string, secretsmanager.ISecret>>;
  /** Key that encrypts the tasks' log groups. */
  readonly encryptionKey: kms.IKey;
  /** How long the tasks' logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Run on an existing cluster (a Kitchen uses its environment's) instead of creating one. */
  readonly existingCluster?: ecs.ICluster;
  /**
   * Removal policy of the log groups.
   *
   * @default - the log groups are kept when removed from the stack (`RETAIN`)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Python apps as Fargate task definitions: one per app, the same image reference in every environment, logs to
 * an encrypted log group, secrets injected from the Vault (never as plain environment variables).
 */
export class ContainerTasks extends Construct {
  public readonly cluster: ecs.ICluster;
  public readonly taskDefinitions: Readonly<Record<string, ecs.FargateTaskDefinition>>;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ContainerTasksProps) {
    super(scope, id);
    this.cluster =
      props.existingCluster ??
      new ecs.Cluster(this, 'Cluster', {
        clusterName: props.names.ecsClusterName(),
        vpc: props.vpc,
        containerInsightsV2: ecs.ContainerInsights.ENABLED,
      });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Fargate tasks of ${props.names.stackName}: outbound HTTPS and SQL only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and the image registry');
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.names.logGroupName('apps'),
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const taskDefinitions: Record<string, ecs.FargateTaskDefinition> = {};
    for (const app of props.apps) {
      const taskDefinition = new ecs.FargateTaskDefinition(this, pascal(app.name), {
        family: `${props.names.stackName}-${app.name}`,
        cpu: app.cpu,
        memoryLimitMiB: app.memory,
        runtimePlatform: {
          cpuArchitecture: ecs.CpuArchitecture.X86_64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
      });
      const secrets: Record<string, ecs.Secret> = {};
      for (const name of app.secrets ?? []) {
        const secret = props.secrets[name];
        if (!secret) {
          throw new Error(
            `App "${app.name}" needs secret "${name}", but the vault has: ${Object.keys(props.secrets).join(', ') || 'none'}`,
          );
        }
        secrets[name.toUpperCase().replace(/-/g, '_')] = ecs.Secret.fromSecretsManager(secret);
      }
      taskDefinition.addContainer(app.name, {
        containerName: app.name,
        image: ecs.ContainerImage.fromRegistry(app.image),
        command: app.command ? [...app.command] : undefined,
        environment: { KITCHENS_APP: app.name, ...(app.environment ?? {}) },
        secrets,
        readonlyRootFilesystem: true,
        // Not root unless the app's config says so, and never more memory than the task size (a hard limit).
        user: app.user ?? DEFAULT_CONTAINER_USER,
        memoryLimitMiB: app.memory,
        logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: app.name }),
      });
      const repository = ecrRepository(this, app);
      if (repository) {
        // The image stays the literal reference from the config (what reviewers and the alignment gate compare);
        // pull rights are granted on exactly its repository.
        repository.grantPull(taskDefinition.obtainExecutionRole());
        Annotations.of(taskDefinition.node.findChild(app.name)).acknowledgeWarning(
          '@aws-cdk/aws-ecs:ecrImageRequiresPolicy',
          'Pull rights on the repository are granted to the execution role right here (grantPull).',
        );
        acknowledge(
          taskDefinition.obtainExecutionRole(),
          'AwsSolutions-IAM5[Resource::*]',
          'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are limited to the app repository.',
        );
      }
      acknowledge(
        taskDefinition,
        'AwsSolutions-ECS2',
        'Plain environment variables carry non-secret configuration only (app name, log level, from the reviewed ' +
          'config file); credentials are injected from Secrets Manager through the secrets property.',
      );
      taskDefinitions[app.name] = taskDefinition;
    }
    this.taskDefinitions = taskDefinitions;
  }
}

const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([a-z0-9._\/-]+)(?::([\w.-]+)|@(sha256:[a-f0-9]{64}))$/;

/** The parts of an Amazon ECR image reference, or undefined for another registry. */
export function ecrImage(
  image: string,
): { account: string; region: string; repository: string; tag: string } | undefined {
  const m = ECR_IMAGE.exec(image);
  return m ? { account: m[1], region: m[2], repository: m[3], tag: m[4] ?? m[5] } : undefined;
}

/** The ECR repository of an app's image, or undefined for another registry. */
function ecrRepository(scope: Construct, app: AppConfig): ecr.IRepository | undefined {
  const ref = ecrImage(app.image);
  if (!ref) {
    return undefined;
  }
  return ecr.Repository.fromRepositoryAttributes(scope, `${pascal(app.name)}Repository`, {
    repositoryName: ref.repository,
    repositoryArn: `arn:${partitionOf(ref.region)}:ecr:${ref.region}:${ref.account}:repository/${ref.repository}`,
  });
}
