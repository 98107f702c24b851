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

/**
 * Credentials moto serves as `account` (STS AssumeRole through the query API): resources created with them live in
 * that account, so ARNs built from the config's account ids match.
 */
export async function motoAccountCredentials(account: string, session: string): Promise<Record<string, string>> {
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: `arn:aws:iam::${account}:role/developer`,
    RoleSessionName: session,
  });
  const res = await fetch(`${motoEndpoint()}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20300101/us-east-1/sts/aws4_request',
    },
    body,
  });
  const xml = await res.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1] ?? '';
  return {
    AWS_ACCESS_KEY_ID: field('AccessKeyId'),
    AWS_SECRET_ACCESS_KEY: field('SecretAccessKey'),
    AWS_SESSION_TOKEN: field('SessionToken'),
  };
}

const AWS_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/**
 * Points the AWS SDK at moto, as `account`, for the tests of the calling file (jest hooks: register it before the
 * file's own beforeAll), and puts the environment back after them.
 */
export function useMotoAccount(account: string, session: string): void {
  const saved = Object.fromEntries(AWS_VARIABLES.map((v) => [v, process.env[v]]));
  beforeAll(async () => {
    process.env.AWS_ENDPOINT_URL = motoEndpoint();
    Object.assign(process.env, await motoAccountCredentials(account, session));
  });
  afterAll(() => {
    for (const key of AWS_VARIABLES) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
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
