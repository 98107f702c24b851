/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
/**
 * Turns a synthesized state machine's definition (an Fn::Join of strings, Refs and GetAtts) into plain ASL JSON,
 * with each reference replaced by a stable stand-in: the resource's physical name when it has one, otherwise its
 * logical id. What runs locally and what asl-validator checks is the same JSON CloudFormation would deploy.
 */
import { CfnElement, CfnResource, Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { definitionStringOf } from '../../constructs/pipeline/definition-size';

const NAME_PROPERTIES = [
  'bucketName',
  'topicName',
  'clusterName',
  'name',
  'family',
  'stateMachineName',
  'logGroupName',
];

export function resolveDefinition(stateMachine: sfn.StateMachine): Record<string, any> {
  const stack = Stack.of(stateMachine);
  const byLogicalId = new Map<string, CfnResource>();
  for (const node of stack.node.findAll()) {
    if (node instanceof CfnResource) {
      byLogicalId.set(stack.resolve((node as CfnElement).logicalId) as string, node);
    }
  }
  const account = typeof stack.account === 'string' && !stack.account.startsWith('${') ? stack.account : '123456789012';
  const region = typeof stack.region === 'string' && !stack.region.startsWith('${') ? stack.region : 'eu-west-1';
  const physicalName = (logicalId: string): string => {
    const resource = byLogicalId.get(logicalId) as unknown as Record<string, unknown> | undefined;
    for (const prop of NAME_PROPERTIES) {
      const value = resource?.[prop];
      if (typeof value === 'string' && !value.includes('${Token')) return value;
    }
    return logicalId.toLowerCase();
  };
  const service = (logicalId: string): string => {
    const type = byLogicalId.get(logicalId)?.cfnResourceType ?? 'AWS::Unknown::Resource';
    return type.split('::')[1].toLowerCase();
  };
  const evaluate = (value: any): any => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    if (Array.isArray(value)) return value.map(evaluate);
    if (value && typeof value === 'object') {
      if ('Fn::Join' in value) {
        const [separator, parts] = value['Fn::Join'];
        return (evaluate(parts) as unknown[]).join(separator);
      }
      if ('Ref' in value) {
        const ref = value.Ref as string;
        const pseudo: Record<string, string> = {
          'AWS::Partition': 'aws',
          'AWS::Region': region,
          'AWS::AccountId': account,
          'AWS::URLSuffix': 'amazonaws.com',
          'AWS::StackName': stack.stackName,
        };
        return pseudo[ref] ?? physicalName(ref);
      }
      if ('Fn::GetAtt' in value) {
        const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
        const name = physicalName(logicalId);
        return attribute === 'Arn' || attribute.endsWith('Arn')
          ? `arn:aws:${service(logicalId)}:${region}:${account}:${name}`
          : name;
      }
      throw new Error(`resolveDefinition: unsupported CloudFormation function ${Object.keys(value).join(', ')}`);
    }
    throw new Error(`resolveDefinition: unexpected value ${JSON.stringify(value)}`);
  };
  const text = evaluate(stack.resolve(definitionStringOf(stateMachine)));
  return JSON.parse(text);
}
