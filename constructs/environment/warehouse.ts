import { ArnFormat, CfnDeletionPolicy, CustomResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as redshift from 'aws-cdk-lib/aws-redshift';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { WarehouseConfig } from '../../lib/config/model';
import { WAREHOUSE_ROLE } from '../../lib/clone/transfer';
import type { Names } from '../../lib/naming';
import { acknowledge, nagPartition } from '../core/nag';
import { ResourcesFunction, type WarehouseTarget } from '../core/resources-function';

/** Not Redshift's default 5439, so scanners looking for warehouses by port find nothing (cdk-nag RS4). */
export const WAREHOUSE_PORT = 5444;
export const WAREHOUSE_ADMIN_USER = 'kitchens_admin';

/** Properties of a {@link Warehouse}. */
export interface WarehouseProps {
  /** Names of the environment: cluster identifier, subnet group, roles and secrets derive from them. */
  readonly names: Names;
  /** VPC the cluster runs in. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the cluster; isolated subnets (no route to the internet) are expected. */
  readonly subnets: ec2.SubnetSelection;
  /** Node type, node count, database and schema of the cluster. */
  readonly sizing: WarehouseConfig;
  /** Key that encrypts the cluster and its admin secret. */
  readonly encryptionKey: kms.IKey;
  /** Automated snapshot retention in days. */
  readonly snapshotRetentionDays: number;
  /**
   * DESTROY takes a final snapshot; RETAIN keeps the cluster. Replacement always snapshots.
   *
   * @default - the cluster is kept when removed from the stack (`RETAIN`)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A provisioned Redshift cluster in isolated subnets: encrypted with the vault key, SSL required, audit logs
 * to CloudWatch, enhanced VPC routing, not publicly accessible. The admin password is generated and rotated by
 * Redshift into a Secrets Manager secret encrypted with the vault key: it never appears in a template.
 */
export class Warehouse extends Construct {
  public readonly cluster: redshift.CfnCluster;
  public readonly securityGroup: ec2.SecurityGroup;
  /**
   * The role attached to the cluster (`PROJECT-ENV-warehouse`). It can do one thing: assume this environment's
   * `PROJECT-ENV-clone-*` roles, which UNLOAD and COPY name in their role chains.
   */
  public readonly role: iam.Role;
  /** The admin credentials secret (username/password), for the Redshift Data API. */
  public readonly adminSecret: secretsmanager.ISecret;
  public readonly database: string;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    this.database = props.sizing.database;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Redshift ${props.names.clusterIdentifier()}: no ingress except from granted peers`,
      allowAllOutbound: false,
    });
    const subnetGroup = new redshift.CfnClusterSubnetGroup(this, 'Subnets', {
      description: `Isolated subnets of ${props.names.clusterIdentifier()}`,
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });
    const parameters = new redshift.CfnClusterParameterGroup(this, 'Parameters', {
      description: 'cdk-kitchens: SSL required, user activity logged',
      parameterGroupFamily: 'redshift-1.0',
      parameters: [
        { parameterName: 'require_ssl', parameterValue: 'true' },
        { parameterName: 'enable_user_activity_logging', parameterValue: 'true' },
      ],
    });
    const stack = Stack.of(this);
    const cloneRoles = `arn:${stack.partition}:iam::${stack.account}:role/${props.names.roleName('clone-')}*`;
    this.role = new iam.Role(this, 'Role', {
      roleName: props.names.roleName(WAREHOUSE_ROLE),
      assumedBy: new iam.ServicePrincipal('redshift.amazonaws.com'),
      description: `Attached to ${props.names.clusterIdentifier()}: may only assume this environment's clone roles`,
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [cloneRoles] }));
    acknowledge(
      this.role,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:iam::${stack.account}:role/${props.names.roleName('clone-')}*]`,
      "Role chaining for UNLOAD/COPY: the cluster may assume only this environment's clone roles, which are created " +
        'by the clone transfer stacks (their number depends on the configured clone plans).',
    );
    this.cluster = new redshift.CfnCluster(this, 'Resource', {
      iamRoles: [this.role.roleArn],
      clusterIdentifier: props.names.clusterIdentifier(),
      clusterType: props.sizing.nodes > 1 ? 'multi-node' : 'single-node',
      nodeType: props.sizing.nodeType,
      numberOfNodes: props.sizing.nodes > 1 ? props.sizing.nodes : undefined,
      dbName: props.sizing.database,
      masterUsername: WAREHOUSE_ADMIN_USER,
      manageMasterPassword: true,
      masterPasswordSecretKmsKeyId: props.encryptionKey.keyArn,
      encrypted: true,
      kmsKeyId: props.encryptionKey.keyArn,
      publiclyAccessible: false,
      enhancedVpcRouting: true,
      port: WAREHOUSE_PORT,
      clusterSubnetGroupName: subnetGroup.ref,
      clusterParameterGroupName: parameters.ref,
      vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      automatedSnapshotRetentionPeriod: props.snapshotRetentionDays,
      loggingProperties: {
        logDestinationType: 'cloudwatch',
        logExports: ['connectionlog', 'userlog', 'useractivitylog'],
      },
      allowVersionUpgrade: true,
      preferredMaintenanceWindow: 'sun:03:00-sun:03:30',
    });
    const removal = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.cluster.applyRemovalPolicy(removal === RemovalPolicy.DESTROY ? RemovalPolicy.SNAPSHOT : RemovalPolicy.RETAIN);
    // A replacement (for example a changed node type on a single-node cluster) keeps a final snapshot.
    this.cluster.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.SNAPSHOT;
    this.adminSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'AdminSecret',
      this.cluster.attrMasterPasswordSecretArn,
    );
  }

  public get clusterIdentifier(): string {
    return this.cluster.ref;
  }

  public get clusterArn(): string {
    return Stack.of(this).formatArn({
      service: 'redshift',
      resource: 'cluster',
      resourceName: this.cluster.ref,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Lets the members of a security group open SQL connections to the cluster (ingress here, egress there).
   * The rules get stable ids from `peerId`, not from the peer's path, so environments stay comparable.
   */
  public allowConnectionsFrom(peerId: string, peer: ec2.ISecurityGroup): void {
    allowWarehouseConnections(this, peerId, this.securityGroup, peer);
  }
}

/**
 * Opens the warehouse port from `peer` to the warehouse security group (ingress there, egress here), as
 * separate rules with ids from `peerId`. Also used by a Kitchen, whose rules go away with its stack.
 */
export function allowWarehouseConnections(
  scope: Construct,
  peerId: string,
  warehouseSecurityGroup: ec2.ISecurityGroup,
  peer: ec2.ISecurityGroup,
): void {
  new ec2.CfnSecurityGroupIngress(scope, `IngressFrom${peerId}`, {
    groupId: warehouseSecurityGroup.securityGroupId,
    sourceSecurityGroupId: peer.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: WAREHOUSE_PORT,
    toPort: WAREHOUSE_PORT,
    description: `SQL from ${peerId}`,
  });
  new ec2.CfnSecurityGroupEgress(scope, `EgressFrom${peerId}`, {
    groupId: peer.securityGroupId,
    destinationSecurityGroupId: warehouseSecurityGroup.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: WAREHOUSE_PORT,
    toPort: WAREHOUSE_PORT,
    description: 'SQL to the warehouse',
  });
}

/** The database user every pipeline of an environment runs its SQL as (lambda/kitchen-resources/sql.js). */
export const PIPELINE_DATABASE_USER = 'kitchens_pipeline';

/** Props of a {@link PipelineDatabaseUser}. */
export interface PipelineDatabaseUserProps extends WarehouseTarget {
  /** Names of the environment: the user, its secret and its setup function are named from them. */
  readonly names: Names;
  /** The warehouse admin secret: read only by this construct's setup function, to create the user. */
  readonly adminSecret: secretsmanager.ISecret;
  /** The schema the pipelines write to; the user owns it. */
  readonly schema: string;
  /** How long the setup function's log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * A least-privilege database user for an environment's pipelines: it owns the pipeline schema and nothing else
 * (no superuser, no user management), with its own secret. Pipelines use this secret instead of the admin one;
 * only a setup function, which runs once per deployment, reads the admin secret to create the user.
 */
export class PipelineDatabaseUser extends Construct {
  public readonly secret: secretsmanager.Secret;
  public readonly user: CustomResource;

  constructor(scope: Construct, id: string, props: PipelineDatabaseUserProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.names.secretName('warehouse/pipeline'),
      description: `Warehouse user ${PIPELINE_DATABASE_USER}: owns schema ${props.schema}, runs the pipelines' SQL`,
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: PIPELINE_DATABASE_USER, dbname: props.database }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludePunctuation: true,
      },
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'Redshift does not rotate this user; rotating it needs a rotation Lambda with network access to the warehouse, which this project does not deploy yet. Only the pipelines and the setup function can read it.',
    );
    const setup = new ResourcesFunction(this, 'Setup', {
      ...props,
      role: 'pipeline-user-setup',
      description: `sets up warehouse user ${PIPELINE_DATABASE_USER} of ${props.names.stackName}`,
      serves: ['Custom::WarehouseUser'],
      secret: props.adminSecret,
      environment: { USER_SECRET_ARN: this.secret.secretArn, SCHEMA: props.schema },
    });
    this.secret.grantRead(setup.role);
    this.user = new CustomResource(this, 'Resource', {
      serviceToken: setup.function.functionArn,
      resourceType: 'Custom::WarehouseUser',
      properties: { Kind: 'pipeline', SecretArn: this.secret.secretArn, Schema: props.schema },
    });
  }
}
