import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { packagePath } from '../../lib/package-root';
import { rotatedKey } from '../core/defaults';
import { acknowledge } from '../core/nag';
import { nodeRuntime, settleNodeRuntime } from '../core/runtime';

/** The handler that draws the hash key (lambda/clone-key). */
export const CLONE_KEY_CODE = packagePath('lambda/clone-key');
/** Key files live below this prefix of the key-drop bucket. */
export const KEY_FILE_PREFIX = 'hash-key/';

/** Props of a {@link HashKeyDrop}. */
export interface HashKeyDropProps {
  /** The production warehouse's own IAM role, the only reader of key files (its COPY loads the key). */
  readonly warehouseRoleArn: string;
  /** KMS key of the function's log group (the environment's vault key). */
  readonly logEncryptionKey: kms.IKey;
  /** How long the function's log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Where the clone's hash key is drawn and handed to the warehouse, in the production account, without passing
 * through Step Functions, a Data API statement or a log: a function draws it with Secrets Manager's random
 * generator and writes it to a bucket of its own under a KMS key of its own; the production warehouse's role is the
 * only principal given read on the files and decrypt on the key (besides the account's administrators, through the
 * key policy's account statement). The setup deletes each file after its COPY, and the bucket expires files after a
 * day.
 */
export class HashKeyDrop extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly encryptionKey: kms.Key;
  public readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: HashKeyDropProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Rotated, retained, and granting only for AWS resources, like every key of the library (core/defaults.ts).
    this.encryptionKey = rotatedKey(
      this,
      'Key',
      `cdk-kitchens: encrypts the clone hash key files of ${stack.stackName}`,
      RemovalPolicy.RETAIN,
    );
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: false,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireKeyFiles', expiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const warehouse = new iam.ArnPrincipal(props.warehouseRoleArn);
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WarehouseReadsKeyFiles',
        principals: [warehouse],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${KEY_FILE_PREFIX}*`)],
      }),
    );
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WarehouseDecryptsKeyFiles',
        principals: [warehouse],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Draws the clone hash key into its key-drop bucket (${stack.stackName})`,
    });
    logGroup.grantWrite(role);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${KEY_FILE_PREFIX}*`)],
      }),
    );
    this.encryptionKey.grant(role, 'kms:GenerateDataKey', 'kms:Encrypt');
    this.function = new lambda.Function(this, 'Function', {
      description: 'cdk-kitchens: draws the clone hash key with Secrets Manager random values into the key-drop bucket',
      runtime: nodeRuntime(this),
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(CLONE_KEY_CODE),
      timeout: Duration.seconds(30),
      memorySize: 256,
      role,
      logGroup,
      environment: { KEY_BUCKET: this.bucket.bucketName, KEY_ID: this.encryptionKey.keyArn },
    });
    settleNodeRuntime(this.function);

    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'secretsmanager:GetRandomPassword has no resource-level permission; it returns random values and reads no secret.',
    );
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${KEY_FILE_PREFIX}*]`,
      'Writes key files only, below hash-key/ of its own bucket; each setup run writes one file named after its execution.',
    );
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Holds one key file per setup run, for the minutes between its write and its COPY (the setup deletes it; the bucket expires it after a day). Its only writer and reader are the key function and the warehouse role, bound by the bucket and key policies; the environment log bucket does not accept deliveries from this bucket.',
    );
  }
}
