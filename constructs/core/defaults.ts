import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';

/**
 * A default physical name derived from the scope: the stack name, then the construct's path below the stack
 * (`DataStack/Vault`), joined with `separator`. Characters a service does not allow become `-`.
 */
export function nameFromScope(scope: IConstruct, separator: string, allowed: RegExp = /[A-Za-z0-9-]/): string {
  const stack = Stack.of(scope);
  const below = scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id);
  return [stack.stackName, ...below]
    .join(separator)
    .split('')
    .map((c) => (c === separator || allowed.test(c) ? c : '-'))
    .join('');
}

/**
 * A customer managed KMS key rotated yearly, for a construct used without a key of its own: deleted after 7 days
 * when its removal policy is DESTROY, 30 otherwise.
 */
export function rotatedKey(scope: IConstruct, id: string, description: string, removalPolicy: RemovalPolicy): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy,
    pendingWindow: Duration.days(removalPolicy === RemovalPolicy.DESTROY ? 7 : 30),
  });
  // Grants only for AWS resources (the Secrets Manager, Logs and SNS integrations create theirs that way): no
  // principal, whatever an Allow statement says (aws-cdk-lib's Secret grant includes kms:CreateGrant), can hand
  // out a grant on the key to an identity of its choosing.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'false' } },
    }),
  );
  return key;
}

/** A name pattern and how to say it to a person. */
export interface NameRule {
  readonly pattern: RegExp;
  readonly allowed: string;
}

/**
 * Throws when a name given in props breaks its rule (tokens are not checked):
 * `Vault secretNamePrefix must be letters, digits and /_+=.@-, got: "a b"`.
 */
export function checkName(construct: string, prop: string, value: string | undefined, rule: NameRule): void {
  if (value === undefined || Token.isUnresolved(value) || rule.pattern.test(value)) return;
  throw new Error(`${construct} ${prop} must be ${rule.allowed}, got: ${JSON.stringify(value)}`);
}
