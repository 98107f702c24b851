import { Annotations, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EnvironmentBoundStack } from '../core/environment-bound-stack';
import { COPY_ROLE, EXPORT_EXPIRY_DAYS, UNLOAD_ROLE, type CloneTransfer } from '../../lib/clone/transfer';
import { acknowledge, nagPartition } from '../core/nag';

/** Only Kitchen exports: `kitchens/NAME/clone-export/TABLE/...`. */
const EXPORT_KEYS = 'kitchens/*';

export interface CloneTransferStackProps extends StackProps {
  readonly transfer: CloneTransfer;
}

/**
 * In the account of the environment the data leaves (production): the role its warehouse chains to for UNLOAD.
 * It can write only below `kitchens/` of the receiving environment's export bucket; it reads nothing. What it
 * writes is already masked and sampled: the UNLOAD query runs the masking inside the source warehouse.
 */
export class CloneExportStack extends EnvironmentBoundStack {
  public readonly unloadRole: iam.Role;

  constructor(scope: Construct, id: string, props: CloneTransferStackProps) {
    const { transfer } = props;
    super(scope, id, {
      boundTo: transfer.source,
      description: `cdk-kitchens: masked clone exports from ${transfer.source.name} to ${transfer.target.name}`,
      ...props,
    });
    const bucketArn = `arn:${this.partition}:s3:::${transfer.exportBucket}`;
    this.unloadRole = new iam.Role(this, 'UnloadRole', {
      roleName: transfer.sourceNames.roleName(UNLOAD_ROLE),
      assumedBy: new iam.ArnPrincipal(transfer.warehouseRoleArn.source),
      description: `UNLOAD of masked Kitchen samples from ${transfer.source.name} into ${transfer.exportBucket}`,
    });
    this.unloadRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [`${bucketArn}/${EXPORT_KEYS}`],
      }),
    );
    this.unloadRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': [EXPORT_KEYS] } },
      }),
    );
    acknowledge(
      this.unloadRole,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:s3:::${transfer.exportBucket}/${EXPORT_KEYS}]`,
      'Writes (and CLEANPATH-deletes) only the Kitchen export keys of the receiving environment export bucket; ' +
        'the Kitchen names are not known when this stack is deployed.',
    );
  }
}

/**
 * In the account of the receiving environment (development): the export bucket (objects expire after a day) and
 * the role its warehouse chains to for COPY, which can only read the export keys.
 */
export class CloneImportStack extends EnvironmentBoundStack {
  public readonly exportBucket: s3.Bucket;
  public readonly copyRole: iam.Role;

  constructor(scope: Construct, id: string, props: CloneTransferStackProps) {
    const { transfer } = props;
    super(scope, id, {
      boundTo: transfer.target,
      description: `cdk-kitchens: masked clone imports into ${transfer.target.name} from ${transfer.source.name}`,
      ...props,
    });
    const logs = s3.Bucket.fromBucketName(this, 'AccessLogs', transfer.targetNames.bucketName('logs'));
    // SSE-S3, not the vault key: the writer is the source account's UNLOAD role, which must not use
    // development keys. The objects are masked samples and expire after a day.
    this.exportBucket = new s3.Bucket(this, 'ExportBucket', {
      bucketName: transfer.exportBucket,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'export/',
      lifecycleRules: [
        {
          id: 'ExpireExports',
          expiration: Duration.days(EXPORT_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Annotations.of(this.exportBucket).acknowledgeWarning(
      '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
      "The environment's access-log bucket policy (DataLake) already allows log delivery from the export bucket.",
    );
    this.exportBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UnloadFromSource',
        principals: [new iam.ArnPrincipal(transfer.unloadRoleArn)],
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [this.exportBucket.arnForObjects(EXPORT_KEYS)],
      }),
    );
    this.exportBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ListFromSource',
        principals: [new iam.ArnPrincipal(transfer.unloadRoleArn)],
        actions: ['s3:ListBucket'],
        resources: [this.exportBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [EXPORT_KEYS] } },
      }),
    );
    this.copyRole = new iam.Role(this, 'CopyRole', {
      roleName: transfer.targetNames.roleName(COPY_ROLE),
      assumedBy: new iam.ArnPrincipal(transfer.warehouseRoleArn.target),
      description: `COPY of masked Kitchen samples from ${transfer.exportBucket}`,
    });
    this.exportBucket.grantRead(this.copyRole, EXPORT_KEYS);
    for (const finding of ['Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*']) {
      acknowledge(
        this.copyRole,
        `AwsSolutions-IAM5[${finding}]`,
        'Read actions of bucket.grantRead on the export bucket only.',
      );
    }
    acknowledge(
      this.copyRole,
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.exportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${EXPORT_KEYS}]`,
      'Reads only the Kitchen export keys of the export bucket; the Kitchen names are not known at deploy time.',
    );
  }
}
