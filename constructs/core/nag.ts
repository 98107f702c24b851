import { Names, Reference, Stack, Token, Tokenization, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag rule or finding (`AwsSolutions-IAM5[Action::s3:GetObject*]`) on exactly one
 * construct and its children, with the reason a security reviewer reads. All suppressions go through here.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/** The action wildcards aws-cdk-lib's bucket and key grant methods write. */
export const S3_GRANT_ACTION_WILDCARDS = [
  's3:Abort*',
  's3:DeleteObject*',
  's3:GetBucket*',
  's3:GetObject*',
  's3:List*',
];
export const KMS_GRANT_ACTION_WILDCARDS = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'];

/**
 * The finding id part cdk-nag uses for a resource ARN (`Resource::<LogicalId.Arn>/prefix*`,
 * `Resource::arn:<AWS::Partition>:s3:::<Parameter>/prefix*`): the resolved value with references in angle brackets.
 */
export function resourceFinding(scope: IConstruct, arn: string): string {
  const stack = Stack.of(scope);
  return `Resource::${nagText(stack.resolve(nestedStackReferences(stack, arn)))}`;
}

/**
 * In a nested stack, a reference to a resource of another stack becomes a parameter of the nested stack
 * (`referenceto<unique id of the target><Arn|Ref|...>`, as aws-cdk-lib names it when it resolves references), and
 * cdk-nag names that parameter in its findings: the same text, written here before the parameter exists.
 */
function nestedStackReferences(stack: Stack, value: string): string {
  if (stack.nestedStackParent === undefined) return value;
  let out = value;
  for (const token of Tokenization.reverseString(value).tokens) {
    if (!(token instanceof Reference) || token.displayName.startsWith('AWS::')) continue;
    if (Stack.of(token.target) === stack) continue;
    out = out
      .split(Token.asString(token))
      .join(`<referenceto${Names.nodeUniqueId(token.target.node)}${token.displayName}>`);
  }
  return out;
}

/**
 * The partition as cdk-nag writes it in a finding of a resource in `scope`'s stack: `aws` when the stack renders
 * ARNs with a literal partition (a region is known and `@aws-cdk/core:enablePartitionLiterals` is on, as in a new
 * `cdk init` app), `<AWS::Partition>` otherwise. Write acknowledgements as `arn:${nagPartition(this)}:...` (or use
 * `resourceFinding` on the ARN itself) so they hold under either rendering.
 */
export function nagPartition(scope: IConstruct): string {
  const stack = Stack.of(scope);
  return nagText(stack.resolve(stack.partition));
}

/**
 * How cdk-nag names the objects below `keyPattern` of a bucket, owned or imported, in a finding on a construct of
 * `scope`'s stack (the bucket's own stack by default).
 */
export function bucketObjectsFinding(bucket: s3.IBucket, keyPattern: string, scope: IConstruct = bucket): string {
  return resourceFinding(scope, bucket.arnForObjects(keyPattern));
}

function nagText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(nagText).join('');
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(nagText).join(separator);
    }
    if ('Ref' in record) return `<${String(record.Ref)}>`;
    if ('Fn::GetAtt' in record) {
      const [id, attribute] = record['Fn::GetAtt'] as [string, string];
      return `<${id}.${attribute}>`;
    }
  }
  return JSON.stringify(value);
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
