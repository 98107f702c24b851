/**
 * Least privilege across every stack of the bundled app (environments, Kitchen host, a Kitchen, the clone
 * stacks): service roles trust their service only on behalf of this account, key policies condition their service
 * principals on their source and allow grants only for AWS resources, and every log group is encrypted.
 */
import { Stack } from 'aws-cdk-lib';
import { buildApp } from '../../../lib/app';
import {
  conditionTrustPolicy,
  SOURCE_CONDITIONED_SERVICES,
  UNCONDITIONED_SERVICES,
} from '../../../constructs/core/service-trust';
import { exampleConfig, foldedTemplate } from '../../support/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('least privilege across every stack of the bundled app', () => {
  const built = buildApp(exampleConfig(), {
    nag: false,
    context: {
      kitchen: 'profit-report',
      kitchenStaff: 'arn:aws:iam::222222222222:role/analyst-jane',
      kitchenSshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm0QfXr3bJ0rXw9yLQy1l5h3bKc0mQvG2x0E8bA9Zc1 dev@laptop',
    },
  });
  const stacks = built.app.node.children.filter((c): c is Stack => c instanceof Stack);
  const templates = Object.fromEntries(stacks.map((s) => [s.stackName, foldedTemplate(s).toJSON()]));
  const resources = (type: string) =>
    Object.entries(templates).flatMap(([stack, t]) =>
      Object.entries(t.Resources as Record<string, Json>)
        .filter(([, r]) => r.Type === type)
        .map(([id, r]) => ({ stack, id, properties: r.Properties })),
    );

  it('should synthesize every kind of stack', () => {
    expect(Object.keys(templates).sort()).toStrictEqual([
      'acme-dev',
      'acme-dev-clone-from-production',
      'acme-dev-kitchen-profit-report',
      'acme-dev-kitchens',
      'acme-production',
      'acme-production-clone-to-dev',
    ]);
  });

  it("should condition every service role's trust on its source, or name why the service allows none", () => {
    const seen = new Set<string>();
    for (const { stack, id, properties } of resources('AWS::IAM::Role')) {
      const account = stack.startsWith('acme-production') ? '111111111111' : '222222222222';
      for (const statement of properties.AssumeRolePolicyDocument.Statement) {
        const services = [statement.Principal.Service ?? []].flat();
        for (const service of services) {
          seen.add(service);
          if (service in UNCONDITIONED_SERVICES) continue;
          expect({ stack, id, service, known: service in SOURCE_CONDITIONED_SERVICES }).toStrictEqual({
            stack,
            id,
            service,
            known: true,
          });
          expect({ stack, id, condition: statement.Condition }).toStrictEqual({
            stack,
            id,
            condition: {
              StringEquals: { 'aws:SourceAccount': account },
              ArnLike: {
                'aws:SourceArn': expect.stringMatching(new RegExp(`^arn:aws:[a-z0-9-]+:eu-west-1:${account}:`)),
              },
            },
          });
        }
      }
    }
    // the services the app's roles trust, each decided one way or the other
    expect([...seen].sort()).toStrictEqual([
      'chatbot.amazonaws.com',
      'ecs-tasks.amazonaws.com',
      'events.amazonaws.com',
      'lambda.amazonaws.com',
      'redshift.amazonaws.com',
      'states.amazonaws.com',
      'transfer.amazonaws.com',
      'vpc-flow-logs.amazonaws.com',
    ]);
  });

  it('should give the clone job role a trust on its state machines of the production account', () => {
    const job = resources('AWS::IAM::Role').find(
      (r) => r.stack === 'acme-production-clone-to-dev' && r.id.startsWith('JobRole'),
    )!;
    expect(job.properties.AssumeRolePolicyDocument.Statement).toStrictEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'states.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111111111111' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:states:eu-west-1:111111111111:stateMachine:*' },
        },
      },
    ]);
  });

  it('should condition key policy service principals on their source and allow grants only for AWS resources', () => {
    const keys = resources('AWS::KMS::Key');
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const { stack, id, properties } of keys) {
      const statements: Json[] = properties.KeyPolicy.Statement;
      const account = stack.startsWith('acme-production') ? '111111111111' : '222222222222';
      expect({ stack, id, deny: statements.find((s) => s.Sid === 'GrantsOnlyForAwsResources') }).toStrictEqual({
        stack,
        id,
        deny: {
          Sid: 'GrantsOnlyForAwsResources',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } },
        },
      });
      for (const statement of statements.filter((s) => s.Principal?.Service)) {
        const services = [statement.Principal.Service].flat();
        const condition = JSON.stringify(statement.Condition ?? {});
        for (const service of services) {
          if (service.startsWith('logs.')) {
            expect(statement.Condition).toStrictEqual({
              ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:eu-west-1:${account}:log-group:*` },
            });
          } else {
            expect({ stack, id, service, condition }).toStrictEqual({
              stack,
              id,
              service,
              condition: JSON.stringify({ StringEquals: { 'aws:SourceAccount': account } }),
            });
          }
        }
      }
    }
  });

  it('should encrypt every log group', () => {
    const groups = resources('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(5);
    expect(groups.filter((g) => g.properties.KmsKeyId === undefined).map((g) => `${g.stack}/${g.id}`)).toStrictEqual(
      [],
    );
  });
});

describe('conditionTrustPolicy', () => {
  const stack = new Stack(undefined, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });

  it('should split a statement of several services into one per service, each with its own source', () => {
    const document = {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: ['events.amazonaws.com', 'lambda.amazonaws.com'] },
        },
      ],
    };
    expect(stack.resolve(conditionTrustPolicy(stack, document))).toStrictEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: {
              'aws:SourceArn': {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:123456789012:rule/*']],
              },
            },
          },
        },
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ],
    });
  });

  it('should keep conditions already there and leave account principals alone', () => {
    const statement = {
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'states.amazonaws.com' },
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:states:eu-west-1:123456789012:stateMachine:x' } },
    };
    const person = { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' } };
    const result = stack.resolve(conditionTrustPolicy(stack, { Statement: [statement, person] }));
    expect(result.Statement).toStrictEqual([
      {
        ...statement,
        Condition: {
          ArnLike: { 'aws:SourceArn': 'arn:aws:states:eu-west-1:123456789012:stateMachine:x' },
          StringEquals: { 'aws:SourceAccount': '123456789012' },
        },
      },
      person,
    ]);
  });
});
