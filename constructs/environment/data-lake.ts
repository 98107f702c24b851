import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { RetentionConfig } from '../../lib/config/model';
import type { Names } from '../../lib/naming';

export const DATA_LAKE_ZONES = ['landing', 'raw', 'curated'] as const;
export type DataLakeZone = (typeof DATA_LAKE_ZONES)[number];

export interface DataLakeProps {
  readonly names: Names;
  /** Key that encrypts every data bucket. */
  readonly encryptionKey: kms.IKey;
  readonly retention: RetentionConfig;
  /**
   * What happens to the buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The data lake of one environment: landing (SFTP drops, expired after `retention.landingDays`), raw and
 * curated buckets, all KMS-encrypted, versioned, private, TLS-only, logging to an access-log bucket.
 */
export class DataLake extends Construct {
  public readonly buckets: Readonly<Record<DataLakeZone, s3.Bucket>>;
  public readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const noncurrent: s3.LifecycleRule = {
      id: 'ExpireNoncurrentVersions',
      noncurrentVersionExpiration: Duration.days(props.retention.noncurrentVersionDays),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    };
    // Server access logs cannot be delivered to a KMS-encrypted bucket: this one uses SSE-S3.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      bucketName: props.names.bucketName('logs'),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(props.retention.logDays) }, noncurrent],
      removalPolicy,
    });
    // The clone export bucket of this environment (in its own stack) logs here too, below export/.
    this.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloneExportAccessLogs',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogs.arnForObjects('export/*')],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${Stack.of(this).partition}:s3:::${props.names.bucketName('export')}` },
          StringEquals: { 'aws:SourceAccount': props.names.context.account },
        },
      }),
    );
    const buckets = {} as Record<DataLakeZone, s3.Bucket>;
    for (const zone of DATA_LAKE_ZONES) {
      buckets[zone] = new s3.Bucket(this, zone[0].toUpperCase() + zone.slice(1), {
        bucketName: props.names.bucketName(zone),
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: props.encryptionKey,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        serverAccessLogsBucket: this.accessLogs,
        serverAccessLogsPrefix: `${zone}/`,
        lifecycleRules:
          zone === 'landing'
            ? [{ id: 'ExpireLanding', expiration: Duration.days(props.retention.landingDays) }, noncurrent]
            : [noncurrent],
        removalPolicy,
      });
    }
    this.buckets = buckets;
  }

  /** Read access to objects under `prefix` in every zone (decrypt included). */
  public grantRead(grantee: iam.IGrantable, prefix = ''): void {
    for (const bucket of Object.values(this.buckets)) {
      bucket.grantRead(grantee, `${prefix}*`);
    }
  }

  /** Read and write access to objects under `prefix` in every zone (encrypt/decrypt included). */
  public grantReadWrite(grantee: iam.IGrantable, prefix = ''): void {
    for (const bucket of Object.values(this.buckets)) {
      bucket.grantReadWrite(grantee, `${prefix}*`);
    }
  }
}
