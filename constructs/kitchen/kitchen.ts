import {
  ArnFormat,
  CfnOutput,
  CustomResource,
  Duration,
  RemovalPolicies,
  RemovalPolicy,
  Stack,
  Tags,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AppConfig } from '../../lib/config/model';
import { KITCHEN_OPTION_OUTPUTS } from '../../lib/kitchen/kept-options';
import { kitchenTags, type KitchenOptions } from '../../lib/kitchen/options';
import { KITCHEN_HOST_PARAMETERS } from '../../lib/parameters';
import { Names, pascal } from '../../lib/naming';
import type { PipelineDefinition } from '../../lib/pipeline/model';
import { pipelineVariables } from '../../lib/pipeline/variables';
import { Alerts } from '../environment/alerts';
import { ContainerTasks } from '../environment/container-tasks';
import { EnvironmentImports } from '../environment/environment-imports';
import { acknowledge, acknowledgeGrantWildcards, nagPartition, resourceFinding } from '../core/nag';
import type { Pipeline } from '../pipeline/pipeline';
import { PipelineStack } from '../pipeline/pipeline-stack';
import { grantPrefixAccess } from '../core/prefix-access';
import { DataOpsMonitoring } from '../observability/dataops-monitoring';
import { SftpUser } from '../environment/sftp-ingest';
import { allowWarehouseConnections } from '../environment/warehouse';
import { KITCHEN_OUTPUTS } from './kitchen-reaper';

/** What the staff role may do with its own Data API statements (those it ran). */
export const STAFF_STATEMENT_RESULT_ACTIONS = [
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:CancelStatement',
];

/** Props of a {@link Kitchen}. */
export interface KitchenProps {
  /** Project name from kitchens.config.yaml; with the environment and Kitchen name it makes every resource name. */
  readonly project: string;
  /** The Kitchen to create: name, host environment, owner, staff, expiry, SSH key and Slack channel. */
  readonly options: KitchenOptions;
  /** Container apps, the same images as the environment's. */
  readonly apps: readonly AppConfig[];
  /**
   * The environment's pipelines; the Kitchen gets its own copies, rendered with its own variables.
   *
   * @default - no pipelines in the Kitchen
   */
  readonly pipelines?: readonly PipelineDefinition[];
}

/**
 * A developer's isolated slice of a development environment. It owns a schema and a database user on the
 * environment's warehouse, a prefix in its data lake buckets, a user on its SFTP server, its own alert topic and
 * Slack channel, credentials in the development Vault, copies of the pipelines, and a staff role; it reads the
 * environment from SSM and never owns a cluster or a server. Everything it creates is deleted with it.
 */
export class Kitchen extends Construct {
  public readonly names: Names;
  public readonly environmentNames: Names;
  public readonly imports: EnvironmentImports;
  public readonly credentials: secretsmanager.Secret;
  public readonly schema: string;
  public readonly databaseUser: string;
  public readonly alerts: Alerts;
  public readonly containers: ContainerTasks;
  public readonly sftpUser?: SftpUser;
  public readonly pipelines: readonly Pipeline[];
  public readonly staffRole?: iam.Role;
  /** The environment's Kitchen provider, read from its SSM parameter at deploy time. */
  public readonly providerServiceToken: string;

  constructor(scope: Construct, id: string, props: KitchenProps) {
    super(scope, id);
    const { options } = props;
    const env = options.environment;
    this.environmentNames = new Names({ project: props.project, environment: env.name, account: env.account });
    this.names = new Names({
      project: props.project,
      environment: env.name,
      account: env.account,
      kitchen: options.name,
    });
    this.imports = new EnvironmentImports(this, 'Environment', { names: this.environmentNames, environment: env });
    this.schema = this.names.schema(env.warehouse.schema);
    this.databaseUser = this.names.databaseUser;
    const logRetention = env.retention.logDays as logs.RetentionDays;
    const prefix = this.names.dataPrefix;

    // Credentials in the development Vault: generated at deploy time, never in the template.
    this.credentials = new secretsmanager.Secret(this, 'WarehouseCredentials', {
      secretName: this.names.secretName('warehouse'),
      description: `Warehouse credentials of Kitchen ${options.name} (schema ${this.schema})`,
      encryptionKey: this.imports.key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: this.databaseUser, dbname: env.warehouse.database }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.credentials,
      'AwsSolutions-SMG4',
      `A Kitchen's credentials live only as long as the Kitchen (at most kitchens.maxTtlHours = ${env.kitchens?.maxTtlHours ?? 'n/a'} hours); ` +
        'recreating the Kitchen issues new ones, and the reaper deletes expired Kitchens.',
    );

    // The environment's one Kitchen provider (KitchenHostStack) derives the schema, user and prefix from the
    // Kitchen name itself; nothing here is executed as SQL.
    this.providerServiceToken = ssm.StringParameter.valueForStringParameter(
      this,
      this.environmentNames.parameterName(KITCHEN_HOST_PARAMETERS.providerServiceToken),
    );
    const schemaResource = new CustomResource(this, 'Schema', {
      serviceToken: this.providerServiceToken,
      resourceType: 'Custom::KitchenSchema',
      properties: { Kitchen: options.name, KitchenSecretArn: this.credentials.secretArn },
    });
    new CustomResource(this, 'DataPrefix', {
      serviceToken: this.providerServiceToken,
      resourceType: 'Custom::KitchenPrefix',
      properties: { Kitchen: options.name },
    });

    if (options.sshPublicKey) {
      this.sftpUser = new SftpUser(this, 'SftpUser', {
        serverId: this.imports.sftpServerId,
        userName: this.names.sftpUserName,
        sshPublicKey: options.sshPublicKey,
        bucket: this.imports.buckets.landing,
        homePrefix: prefix,
      });
    }

    this.alerts = new Alerts(this, 'Alerts', {
      ...Alerts.namedAfter(this.names),
      slackWorkspaceId: env.slack.workspaceId,
      slackChannelId: options.slackChannelId,
      encryptionKey: this.imports.key,
    });

    const appSecrets: Record<string, secretsmanager.ISecret> = {};
    for (const name of new Set(props.apps.flatMap((a) => a.secrets ?? []))) {
      appSecrets[name] = secretsmanager.Secret.fromSecretNameV2(
        this,
        `AppSecret${pascal(name)}`,
        this.environmentNames.secretName(`apps/${name}`),
      );
    }
    this.containers = new ContainerTasks(this, 'Containers', {
      names: this.names,
      apps: props.apps,
      vpc: this.imports.vpc,
      secrets: appSecrets,
      encryptionKey: this.imports.key,
      logRetention,
      existingCluster: this.imports.ecsCluster,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    allowWarehouseConnections(this, 'KitchenTasks', this.imports.warehouseSecurityGroup, this.containers.securityGroup);
    for (const [app, taskDefinition] of Object.entries(this.containers.taskDefinitions)) {
      for (const bucket of Object.values(this.imports.buckets)) {
        grantPrefixAccess(
          taskDefinition.taskRole,
          bucket,
          prefix,
          `The Kitchen's ${app} task reads and writes only below the Kitchen prefix ${prefix} of the environment buckets, and lists only with an s3:prefix condition on it.`,
        );
      }
      for (const secretName of Object.keys(appSecrets)) {
        if (!taskDefinition.executionRole) continue;
        acknowledge(
          taskDefinition.executionRole,
          `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:secretsmanager:${env.region}:${env.account}:secret:${this.environmentNames.secretName(`apps/${secretName}`)}-??????]`,
          'Secrets Manager appends 6 random characters to secret ARNs; the wildcard matches exactly those of the named development app secret.',
        );
      }
    }

    const variables = pipelineVariables({
      project: props.project,
      environment: env.name,
      kitchen: options.name,
      account: env.account,
      region: env.region,
      schema: this.schema,
      database: env.warehouse.database,
      prefix,
      buckets: {
        landing: this.imports.buckets.landing.bucketName,
        raw: this.imports.buckets.raw.bucketName,
        curated: this.imports.buckets.curated.bucketName,
      },
    });
    const pipelineStacks = (props.pipelines ?? []).map((definition) => {
      const pipeline = new PipelineStack(this, `Pipeline${pascal(definition.id)}`, {
        definition,
        target: {
          names: this.names,
          variables,
          warehouse: {
            clusterIdentifier: this.imports.clusterIdentifier,
            clusterArn: this.imports.clusterArn,
            database: env.warehouse.database,
            credentials: this.credentials,
          },
          dataLake: { buckets: this.imports.buckets, prefix },
          containers: {
            cluster: this.imports.ecsCluster,
            taskDefinitions: this.containers.taskDefinitions,
            securityGroups: [this.containers.securityGroup],
            subnets: { subnets: this.imports.vpc.privateSubnets },
          },
          alertTopic: this.alerts.topic,
          historyTable: variables.history_table,
          // Kitchens never run on a schedule: schedules run only where the environment profile says so.
          schedulesEnabled: false,
          encryptionKey: this.imports.key,
          logRetentionDays: env.retention.logDays,
        },
        thresholds: env.monitoring,
      });
      // The nested stack (every resource of the pipeline) waits for the Kitchen's schema.
      pipeline.node.addDependency(schemaResource);
      return pipeline;
    });
    this.pipelines = pipelineStacks.map((p) => p.pipeline);

    // Observability (issue 14): the Kitchen's dashboard, alarms to the Kitchen's topic.
    new DataOpsMonitoring(this, 'Monitoring', {
      names: this.names,
      alertTopic: this.alerts.topic,
      pipelines: pipelineStacks.map((p) => p.monitoring),
      thresholds: env.monitoring,
    });

    if (options.staff.length > 0) {
      this.staffRole = this.createStaffRole(options.staff, prefix);
    }

    // What the Kitchen holds outside its own resources, by name: a forced delete (the reaper's last resort for a
    // stack stuck in DELETE_FAILED) can leave these behind, and the reaper reports them from these outputs.
    const leftovers: [string, string, string][] = [
      [KITCHEN_OUTPUTS.schema, this.schema, 'Warehouse schema of the Kitchen (dropped on delete)'],
      [KITCHEN_OUTPUTS.databaseUser, this.databaseUser, 'Warehouse user of the Kitchen (dropped on delete)'],
      [KITCHEN_OUTPUTS.dataPrefix, prefix, 'Prefix of the Kitchen in every data lake bucket (emptied on delete)'],
    ];
    if (this.sftpUser) {
      leftovers.push([
        KITCHEN_OUTPUTS.sftpUser,
        this.names.sftpUserName,
        'SFTP user of the Kitchen (deleted on delete)',
      ]);
    }
    // What a re-run of `kitchen create` keeps unless given again (lib/kitchen/kept-options.ts).
    leftovers.push([
      KITCHEN_OPTION_OUTPUTS.slackChannelId,
      options.slackChannelId,
      'Slack channel of the Kitchen alerts',
    ]);
    if (options.staff.length > 0) {
      leftovers.push([KITCHEN_OPTION_OUTPUTS.staff, options.staff.join(','), 'Who may assume the staff role']);
    }
    if (options.sshPublicKey) {
      leftovers.push([KITCHEN_OPTION_OUTPUTS.sshPublicKey, options.sshPublicKey, 'Public key of the SFTP user']);
    }
    for (const [key, value, description] of leftovers) {
      new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
    }

    // Also on the resources, for a Kitchen placed in a stack that is not a KitchenStack.
    for (const [key, value] of Object.entries(kitchenTags(props.project, options))) Tags.of(this).add(key, value);
    // A Kitchen is thrown away whole: nothing it creates may outlive its stack.
    RemovalPolicies.of(this).destroy();
  }

  /** A role only the listed people can assume, limited to this Kitchen's resources. */
  private createStaffRole(staff: readonly string[], prefix: string): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'StaffRole', {
      roleName: this.names.roleName('staff'),
      description: `Staff of Kitchen ${this.names.context.kitchen}: its pipelines, data prefix, schema and logs only`,
      assumedBy: new iam.CompositePrincipal(...staff.map((arn) => new iam.ArnPrincipal(arn))),
      maxSessionDuration: Duration.hours(4),
    });
    const reason =
      `Scoped to Kitchen ${this.names.context.kitchen}: name patterns of its own executions and log groups ` +
      '(their names are generated at run time).';
    const findings: string[] = [];
    for (const pipeline of this.pipelines) {
      pipeline.stateMachine.grantStartExecution(role);
      const executions = stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${this.names.stateMachineName(pipeline.definition.id)}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution'],
          resources: [executions],
        }),
      );
      findings.push(resourceFinding(this, executions));
    }
    for (const bucket of Object.values(this.imports.buckets)) {
      grantPrefixAccess(
        role,
        bucket,
        prefix,
        `Staff of Kitchen ${this.names.context.kitchen} read, write and delete only below its prefix ${prefix}, and list only with an s3:prefix condition on it.`,
      );
    }
    this.credentials.grantRead(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
        resources: [this.imports.clusterArn],
      }),
    );
    // The results of its own statements only: these actions take no resource, and the Data API's owner condition
    // (as in AWS's AmazonRedshiftDataFullAccess) limits them to statements this session ran.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: STAFF_STATEMENT_RESULT_ACTIONS,
        resources: ['*'],
        conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
      }),
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Redshift Data API statement actions support no resource-level permissions; the ' +
        'redshift-data:statement-owner-iam-userid condition limits them to statements the same session ran.',
    );
    const logGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${this.names.logGroupName('')}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:GetLogEvents', 'logs:FilterLogEvents'], resources: [logGroups] }),
    );
    findings.push(resourceFinding(this, logGroups));
    acknowledgeGrantWildcards(role, { resources: findings }, reason);
    return role;
  }
}
