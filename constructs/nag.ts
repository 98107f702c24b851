import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag rule or finding (`AwsSolutions-IAM5[Action::s3:GetObject*]`) on exactly one
 * construct and its children, with the reason a security reviewer reads. All suppressions go through here.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/** The action wildcards aws-cdk-lib's bucket and key grant methods write. */
export const S3_GRANT_ACTION_WILDCARDS = ['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'];
export const KMS_GRANT_ACTION_WILDCARDS = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'];

/** How cdk-nag names an object-key resource of a bucket (`<LogicalId.Arn>/prefix*`). */
export function bucketObjectsFinding(bucket: IConstruct, keyPattern: string): string {
  const cfn = (bucket.node.defaultChild ?? bucket) as CfnElement;
  return `Resource::<${Stack.of(cfn).getLogicalId(cfn)}.Arn>/${keyPattern}`;
}

/**
 * Acknowledges the IAM5 findings that come from L2 grant methods on one role: their action wildcards
 * (`s3:GetObject*` and friends) and object-key resources limited to named buckets and prefixes.
 */
export function acknowledgeGrantWildcards(
  role: IConstruct,
  findings: { readonly actions?: readonly string[]; readonly resources?: readonly string[] },
  reason: string,
): void {
  for (const action of findings.actions ?? []) {
    acknowledge(role, `AwsSolutions-IAM5[Action::${action}]`, reason);
  }
  for (const resource of findings.resources ?? []) {
    acknowledge(role, `AwsSolutions-IAM5[${resource}]`, reason);
  }
}
