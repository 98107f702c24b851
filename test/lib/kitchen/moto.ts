/** Tagged stacks in the test moto server, the way a deployed Kitchen stack carries them. */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';

export function motoEndpoint(): string {
  const endpoint = process.env.KITCHENS_TEST_MOTO_ENDPOINT;
  if (!endpoint)
    throw new Error(
      'KITCHENS_TEST_MOTO_ENDPOINT is not set: run the tests through jest (test/support/global-setup.ts)',
    );
  return endpoint;
}

export function motoCloudFormation(region: string): CloudFormationClient {
  return new CloudFormationClient({ region, endpoint: motoEndpoint() });
}

export function tinyTemplate(outputs: Record<string, string> = {}): string {
  return JSON.stringify({
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
  });
}

export async function putStack(
  cfn: CloudFormationClient,
  stackName: string,
  tags: Record<string, string>,
  outputs: Record<string, string> = {},
  update = false,
): Promise<void> {
  const input = {
    StackName: stackName,
    TemplateBody: tinyTemplate(outputs),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
  await cfn.send(update ? new UpdateStackCommand(input) : new CreateStackCommand(input));
}

export async function deleteStack(cfn: CloudFormationClient, stackName: string): Promise<void> {
  await cfn.send(new DeleteStackCommand({ StackName: stackName }));
}

export function kitchenTags(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'kitchens:project': 'acme',
    'kitchens:environment': 'dev',
    'kitchens:kitchen': name,
    ...extra,
  };
}
