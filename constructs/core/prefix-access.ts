import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, bucketObjectsFinding, KMS_GRANT_ACTION_WILDCARDS } from './nag';

/** Object actions a prefix's user needs: read, write, delete (versions too) and multipart uploads. */
export const PREFIX_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
];

/**
 * Read, write and delete below one prefix of a bucket and nothing else: object actions on `prefix*`, and
 * `s3:ListBucket` only with an `s3:prefix` condition on that prefix, so the grantee cannot list other keys
 * (unlike `bucket.grantReadWrite(grantee, pattern)`, whose `s3:List*` covers the whole bucket). The bucket's key
 * is granted for encrypting and decrypting those objects.
 */
export function grantPrefixAccess(role: iam.IRole, bucket: s3.IBucket, prefix: string, reason: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: PREFIX_OBJECT_ACTIONS, resources: [bucket.arnForObjects(`${prefix}*`)] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } },
    }),
  );
  bucket.encryptionKey?.grantEncryptDecrypt(role);
  acknowledge(role, `AwsSolutions-IAM5[${bucketObjectsFinding(bucket, `${prefix}*`)}]`, reason);
  for (const action of KMS_GRANT_ACTION_WILDCARDS) {
    acknowledge(role, `AwsSolutions-IAM5[Action::${action}]`, `${reason} The bucket key encrypts those objects.`);
  }
}
