import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as transfer from 'aws-cdk-lib/aws-transfer';
import { grantPrefixAccess } from '../core/prefix-access';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { SftpUserConfig } from '../../lib/config/model';
import { pascal, type Names } from '../../lib/naming';
import { acknowledge } from '../core/nag';

/** The Transfer Family security policy every server uses: no SHA-1, no CBC ciphers. */
export const SFTP_SECURITY_POLICY = 'TransferSecurityPolicy-2024-01';

/** Props of an `SftpUser`: one user of an existing Transfer Family server, with a home in a bucket. */
export interface SftpUserProps {
  /** Id of the Transfer server (a token when read from SSM). */
  readonly serverId: string;
  /** Transfer Family user name (3-100 characters of letters, digits, `_@.-`). */
  readonly userName: string;
  /** The user's SSH public key (`ssh-ed25519 AAAA... comment`). */
  readonly sshPublicKey: string;
  /** Bucket the user's home lives in. */
  readonly bucket: s3.IBucket;
  /** Home prefix in the bucket, without a leading slash and with a trailing one (`sftp/partner/`). */
  readonly homePrefix: string;
}

/**
 * One SFTP user whose logical home directory is a prefix of the landing bucket: the user sees `/` and can
 * read and write only below its prefix.
 */
export class SftpUser extends Construct {
  public readonly role: iam.Role;
  public readonly resource: transfer.CfnUser;

  constructor(scope: Construct, id: string, props: SftpUserProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('transfer.amazonaws.com'),
      description: `SFTP user ${props.userName}: its home prefix only`,
    });
    grantPrefixAccess(
      this.role,
      props.bucket,
      props.homePrefix,
      `Object actions limited to the user's home prefix (${props.homePrefix}) of the landing bucket; listing only with an s3:prefix condition on it.`,
    );
    this.resource = new transfer.CfnUser(this, 'Resource', {
      serverId: props.serverId,
      userName: props.userName,
      role: this.role.roleArn,
      homeDirectoryType: 'LOGICAL',
      homeDirectoryMappings: [
        { entry: '/', target: `/${props.bucket.bucketName}/${props.homePrefix.replace(/\/$/, '')}` },
      ],
      sshPublicKeys: [props.sshPublicKey],
    });
  }
}

/** Properties of {@link SftpIngest}. */
export interface SftpIngestProps {
  /** Names of the environment: server, role and log group names derive from them. */
  readonly names: Names;
  /** Bucket the SFTP users' homes live in (the data lake's landing bucket). */
  readonly landingBucket: s3.IBucket;
  /** SFTP users with their SSH public keys; each gets a home below `sftp/<name>/`. */
  readonly users: readonly SftpUserConfig[];
  /** Key that encrypts the server's log group. */
  readonly encryptionKey: kms.IKey;
  /** How long the server's logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Removal policy of the log group.
   *
   * @default - the log group is kept when removed from the stack (`RETAIN`)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An AWS Transfer Family SFTP server (service-managed users, structured logs to an encrypted log group,
 * a current security policy) with one user per configured partner, landing in `sftp/USER/`.
 */
export class SftpIngest extends Construct {
  public readonly server: transfer.CfnServer;
  public readonly logGroup: logs.LogGroup;
  public readonly users: readonly SftpUser[];

  constructor(scope: Construct, id: string, props: SftpIngestProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.names.logGroupName('sftp'),
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const loggingRole = new iam.Role(this, 'LoggingRole', {
      assumedBy: new iam.ServicePrincipal('transfer.amazonaws.com'),
      description: 'Lets the Transfer server write its structured logs',
    });
    this.logGroup.grantWrite(loggingRole);
    // Structured logging sets up a CloudWatch Logs delivery; these log-delivery APIs have no resource-level
    // permissions, so they cannot be scoped to the log group.
    loggingRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        resources: ['*'],
      }),
    );
    acknowledge(
      loggingRole,
      'AwsSolutions-IAM5[Resource::*]',
      'Assumable only by transfer.amazonaws.com. The CloudWatch Logs delivery APIs used by structured logging ' +
        'support no resource-level permissions; writing is limited to the server log group.',
    );
    this.server = new transfer.CfnServer(this, 'Resource', {
      protocols: ['SFTP'],
      identityProviderType: 'SERVICE_MANAGED',
      endpointType: 'PUBLIC',
      domain: 'S3',
      securityPolicyName: SFTP_SECURITY_POLICY,
      loggingRole: loggingRole.roleArn,
      structuredLogDestinations: [this.logGroup.logGroupArn],
      tags: [{ key: 'Name', value: props.names.stackName }],
    });
    this.users = props.users.map(
      (user) =>
        new SftpUser(this, `User${pascal(user.name)}`, {
          serverId: this.server.attrServerId,
          userName: user.name,
          sshPublicKey: user.sshPublicKey,
          bucket: props.landingBucket,
          homePrefix: `sftp/${user.name}/`,
        }),
    );
  }

  public get serverId(): string {
    return this.server.attrServerId;
  }
}
