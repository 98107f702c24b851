import { ArnFormat, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { AppConfig, EnvironmentConfig } from '../../lib/config/model';
import { Names, pascal } from '../../lib/naming';
import { ENVIRONMENT_PARAMETERS, EnvironmentParameter } from '../../lib/parameters';
import type { PipelineDefinition } from '../../lib/pipeline/model';
import { pipelineVariables } from '../../lib/pipeline/variables';
import { Alerts } from './alerts';
import { ContainerTasks } from './container-tasks';
import { DataLake } from './data-lake';
import {
  acknowledgeGrantWildcards,
  bucketObjectsFinding,
  KMS_GRANT_ACTION_WILDCARDS,
  S3_GRANT_ACTION_WILDCARDS,
} from '../core/nag';
import { statefulRemovalPolicy } from '../core/removal';
import { SftpIngest } from './sftp-ingest';
import type { Pipeline } from '../pipeline/pipeline';
import { PipelineStack } from '../pipeline/pipeline-stack';
import { DataOpsMonitoring } from '../observability/dataops-monitoring';
import { LandingFeeds } from './landing-feeds';
import { Vault } from './vault';
import { PipelineDatabaseUser, Warehouse } from './warehouse';

/** Properties of a {@link ReleaseEnvironment}: one environment of a validated config. */
export interface ReleaseEnvironmentProps {
  /** Project name, the first part of every physical name (`acme`). */
  readonly project: string;
  /** The environment's profile: account, region, network, warehouse size, retention, schedules, Slack, SFTP users. */
  readonly environment: EnvironmentConfig;
  /** Container apps, identical in every environment. */
  readonly apps: readonly AppConfig[];
  /**
   * Pipelines, identical in every environment; rendered with this environment's variables.
   * @default - no pipelines
   */
  readonly pipelines?: readonly PipelineDefinition[];
}

/**
 * One complete release environment: VPC, Vault, DataLake, SftpIngest, Warehouse, ContainerTasks and Alerts.
 * Production and development are two instances of this construct; only the environment profile differs.
 * Every identifier a Kitchen or a pipeline needs is published under the environment's SSM path.
 */
export class ReleaseEnvironment extends Construct {
  public readonly names: Names;
  public readonly config: EnvironmentConfig;
  public readonly vpc: ec2.Vpc;
  public readonly vault: Vault;
  public readonly dataLake: DataLake;
  public readonly sftp: SftpIngest;
  public readonly warehouse: Warehouse;
  public readonly pipelineUser: PipelineDatabaseUser;
  public readonly containers: ContainerTasks;
  public readonly alerts: Alerts;
  public readonly removalPolicy: RemovalPolicy;
  public readonly parameters: Readonly<Record<EnvironmentParameter, ssm.StringParameter>>;
  public readonly pipelines: readonly Pipeline[];

  constructor(scope: Construct, id: string, props: ReleaseEnvironmentProps) {
    super(scope, id);
    const env = props.environment;
    this.config = env;
    this.names = new Names({ project: props.project, environment: env.name, account: env.account });
    this.removalPolicy = statefulRemovalPolicy(this, env.stage, env.removalPolicy);
    const logRetention = env.retention.logDays as logs.RetentionDays;

    this.vault = new Vault(this, 'Vault', {
      ...Vault.namedAfter(this.names),
      appSecrets: [...new Set(props.apps.flatMap((a) => a.secrets ?? []))],
      removalPolicy: this.removalPolicy,
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      logGroupName: this.names.logGroupName('vpc-flow-logs'),
      retention: logRetention,
      encryptionKey: this.vault.key,
      removalPolicy: this.removalPolicy,
    });
    // CloudWatch Logs encrypts this environment's log groups with the vault key.
    // Only for log groups of this account and region: the encryption context CloudWatch Logs sends names the group.
    this.vault.key.grantEncryptDecrypt(
      new iam.ServicePrincipal(`logs.${env.region}.amazonaws.com`).withConditions({
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      }),
    );
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(env.cidr),
      availabilityZones: [...env.availabilityZones],
      natGateways: 1,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });

    this.dataLake = new DataLake(this, 'DataLake', {
      ...DataLake.namedAfter(this.names),
      encryptionKey: this.vault.key,
      landingExpiration: Duration.days(env.retention.landingDays),
      noncurrentVersionExpiration: Duration.days(env.retention.noncurrentVersionDays),
      accessLogExpiration: Duration.days(env.retention.logDays),
      removalPolicy: this.removalPolicy,
      // Feed freshness rules read the bucket's events; without feeds the bucket sends none.
      landingEventBridge: (env.feeds ?? []).length > 0,
    });
    const landingFeeds = new LandingFeeds(this, 'LandingFeeds', {
      bucket: this.dataLake.buckets.landing,
      feeds: env.feeds ?? [],
    });

    this.sftp = new SftpIngest(this, 'Sftp', {
      names: this.names,
      landingBucket: this.dataLake.buckets.landing,
      users: env.sftpUsers,
      encryptionKey: this.vault.key,
      logRetention,
      removalPolicy: this.removalPolicy,
    });

    this.warehouse = new Warehouse(this, 'Warehouse', {
      names: this.names,
      vpc: this.vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      sizing: env.warehouse,
      encryptionKey: this.vault.key,
      snapshotRetentionDays: env.retention.snapshotDays,
      removalPolicy: this.removalPolicy,
    });

    // Pipelines run their SQL as this user, never as the admin.
    this.pipelineUser = new PipelineDatabaseUser(this, 'PipelineUser', {
      names: this.names,
      clusterIdentifier: this.warehouse.clusterIdentifier,
      clusterArn: this.warehouse.clusterArn,
      database: this.warehouse.database,
      encryptionKey: this.vault.key,
      adminSecret: this.warehouse.adminSecret,
      schema: env.warehouse.schema,
      logRetention,
    });

    this.containers = new ContainerTasks(this, 'Containers', {
      names: this.names,
      apps: props.apps,
      vpc: this.vpc,
      secrets: this.vault.appSecrets,
      encryptionKey: this.vault.key,
      logRetention,
      removalPolicy: this.removalPolicy,
    });
    this.warehouse.allowConnectionsFrom('Tasks', this.containers.securityGroup);
    for (const taskDefinition of Object.values(this.containers.taskDefinitions)) {
      this.dataLake.grantReadWrite(taskDefinition.taskRole);
      acknowledgeGrantWildcards(
        taskDefinition.taskRole,
        {
          actions: [...S3_GRANT_ACTION_WILDCARDS, ...KMS_GRANT_ACTION_WILDCARDS],
          resources: Object.values(this.dataLake.buckets).map((b) => bucketObjectsFinding(b, '*')),
        },
        'Written by DataLake.grantReadWrite: the apps of this environment read landing and write raw and ' +
          'curated data, so object actions cover the objects of these three buckets and nothing else.',
      );
    }

    this.alerts = new Alerts(this, 'Alerts', {
      ...Alerts.namedAfter(this.names),
      slackWorkspaceId: env.slack.workspaceId,
      slackChannelId: env.slack.channelId,
      encryptionKey: this.vault.key,
    });

    const pipelineStacks = (props.pipelines ?? []).map((definition) => this.addPipeline(definition));
    this.pipelines = pipelineStacks.map((p) => p.pipeline);
    // Observability (issue 14): the environment's dashboard, alarms to its alert topic.
    new DataOpsMonitoring(this, 'Monitoring', {
      names: this.names,
      alertTopic: this.alerts.topic,
      pipelines: pipelineStacks.map((p) => p.monitoring),
      thresholds: env.monitoring,
      warehouseClusterIdentifier: this.warehouse.clusterIdentifier,
      sftpServerId: this.sftp.serverId,
      landingBucket: this.dataLake.buckets.landing,
      landingFeeds: landingFeeds.feeds,
    });

    this.parameters = this.publishParameters();
    for (const [key, value] of Object.entries(this.names.tags())) {
      Tags.of(this).add(key, value);
    }
    Tags.of(this).add('kitchens:stage', env.stage);
  }

  private addPipeline(definition: PipelineDefinition): PipelineStack {
    const env = this.config;
    const variables = pipelineVariables({
      project: this.names.context.project,
      environment: env.name,
      account: env.account,
      region: env.region,
      schema: env.warehouse.schema,
      database: env.warehouse.database,
      prefix: this.names.dataPrefix,
      buckets: {
        landing: this.dataLake.buckets.landing.bucketName,
        raw: this.dataLake.buckets.raw.bucketName,
        curated: this.dataLake.buckets.curated.bucketName,
      },
    });
    return new PipelineStack(this, `Pipeline${pascal(definition.id)}`, {
      definition,
      target: {
        names: this.names,
        variables,
        warehouse: {
          clusterIdentifier: this.warehouse.clusterIdentifier,
          clusterArn: this.warehouse.clusterArn,
          database: this.warehouse.database,
          credentials: this.pipelineUser.secret,
        },
        dataLake: { buckets: this.dataLake.buckets, prefix: this.names.dataPrefix },
        containers: {
          cluster: this.containers.cluster,
          taskDefinitions: this.containers.taskDefinitions,
          securityGroups: [this.containers.securityGroup],
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        },
        alertTopic: this.alerts.topic,
        historyTable: variables.history_table,
        // Deployed everywhere so environments stay aligned; enabled only where the profile runs schedules.
        schedulesEnabled: env.schedules,
        encryptionKey: this.vault.key,
        logRetentionDays: env.retention.logDays,
      },
      thresholds: env.monitoring,
    });
  }

  private publishParameters(): Record<EnvironmentParameter, ssm.StringParameter> {
    const values: Record<EnvironmentParameter, string> = {
      vpcId: this.vpc.vpcId,
      availabilityZones: this.vpc.availabilityZones.join(','),
      privateSubnetIds: this.vpc.privateSubnets.map((s) => s.subnetId).join(','),
      isolatedSubnetIds: this.vpc.isolatedSubnets.map((s) => s.subnetId).join(','),
      keyArn: this.vault.key.keyArn,
      landingBucket: this.dataLake.buckets.landing.bucketName,
      rawBucket: this.dataLake.buckets.raw.bucketName,
      curatedBucket: this.dataLake.buckets.curated.bucketName,
      clusterIdentifier: this.warehouse.clusterIdentifier,
      clusterEndpoint: this.warehouse.cluster.attrEndpointAddress,
      database: this.warehouse.database,
      adminSecretArn: this.warehouse.adminSecret.secretArn,
      warehouseSecurityGroupId: this.warehouse.securityGroup.securityGroupId,
      ecsClusterName: this.containers.cluster.clusterName,
      tasksSecurityGroupId: this.containers.securityGroup.securityGroupId,
      sftpServerId: this.sftp.serverId,
      alertTopicArn: this.alerts.topic.topicArn,
    };
    const parameters = {} as Record<EnvironmentParameter, ssm.StringParameter>;
    const scope = new Construct(this, 'Parameters');
    for (const [key, value] of Object.entries(values) as [EnvironmentParameter, string][]) {
      parameters[key] = new ssm.StringParameter(scope, key[0].toUpperCase() + key.slice(1), {
        parameterName: this.names.parameterName(ENVIRONMENT_PARAMETERS[key]),
        stringValue: value,
        description: `cdk-kitchens ${this.names.stackName}: ${ENVIRONMENT_PARAMETERS[key]}`,
      });
    }
    return parameters;
  }
}
