/**
 * Which lists of a template carry meaning in their order. A list whose order means nothing compares as a multiset
 * (each element paired with an equivalent element anywhere on the other side); every other list compares element by
 * element, in order. The rule goes by the property that holds the list, wherever it appears (a template, a policy
 * document, a state's parameters), so a list is unordered only where AWS ignores its order.
 */
import type { PathSegment } from './diff';

/**
 * Properties whose list value is unordered: IAM statements, actions, resources and principals, condition values,
 * tags, security group rules, subnets and security groups, managed policies, Redshift roles and parameters,
 * `DependsOn`. Step Functions states are compared by name; container `Command`, `EntryPoint`, arguments,
 * `Fn::Join`, `Fn::Select` and every list not named here stay ordered.
 */
export const UNORDERED_LIST_PROPERTIES: ReadonlySet<string> = new Set([
  // IAM policy documents (identity-based, resource-based, key policies, trust policies)
  'Statement',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'AWS',
  'Service',
  'Federated',
  'CanonicalUser',
  // tags of every resource type that takes a list of { Key, Value }
  'Tags',
  // network
  'SecurityGroupIngress',
  'SecurityGroupEgress',
  'SecurityGroupIds',
  'SecurityGroups',
  'VpcSecurityGroupIds',
  'SubnetIds',
  'Subnets',
  'RouteTableIds',
  // IAM roles and users
  'ManagedPolicyArns',
  'Policies',
  // Redshift
  'IamRoles',
  'Parameters',
  // the template itself
  'DependsOn',
]);

/** Whether the list at `path` compares as a multiset (see {@link UNORDERED_LIST_PROPERTIES}). */
export function isUnorderedList(path: readonly PathSegment[]): boolean {
  const key = path[path.length - 1];
  if (typeof key !== 'string') return false;
  if (UNORDERED_LIST_PROPERTIES.has(key)) return true;
  // condition values: `Condition.StringEquals["aws:SourceAccount"]: [...]`
  return path.length >= 3 && path[path.length - 3] === 'Condition';
}

/**
 * Fields that name an element of an unordered list, tried in order: two elements left unpaired that carry the same
 * name are the same element changed (a statement by `Sid`, a tag by `Key`, a Redshift parameter by `ParameterName`).
 */
export const ELEMENT_NAME_FIELDS: readonly string[] = ['Sid', 'Key', 'ParameterName', 'Id', 'Name', 'PolicyName'];
