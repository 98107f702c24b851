import * as fs from 'fs';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import { ConfigError } from '../../../lib/config';
import { kitchenOptions } from '../../../lib/kitchen/options';
import { exampleConfig, foldedTemplate } from '../../support/app';
import { cfnLint, synthToDir, tempOutdir } from '../../support/synth';

const NOW = new Date('2026-11-22T10:00:00Z');
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm0QfXr3bJ0rXw9yLQy1l5h3bKc0mQvG2x0E8bA9Zc1 dev@laptop';
const STAFF = 'arn:aws:iam::222222222222:role/analyst-jane';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function allowStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const p of role.Properties.Policies ?? []) statements.push(...p.PolicyDocument.Statement);
  }
  return statements.filter((s) => s.Effect === 'Allow');
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Physical names set explicitly on resources (any property ending in "Name", plus families and schemas). */
function physicalNames(template: Template): string[] {
  const names: string[] = [];
  for (const resource of Object.values(
    template.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>,
  )) {
    for (const [key, value] of Object.entries(resource.Properties ?? {})) {
      // PolicyName is scoped to its role; everything else named here is unique in the account and region
      if (key === 'PolicyName') continue;
      if ((/Name$/.test(key) || ['Family', 'Schema', 'User'].includes(key)) && typeof value === 'string')
        names.push(value);
    }
  }
  return names;
}

describe('two Kitchens synthesized side by side', () => {
  const config = exampleConfig();
  const built = buildApp(config, {
    nag: false,
    now: NOW,
    context: {
      kitchens: 'profit-report,churn-model',
      kitchenStaff: STAFF,
      kitchenSshKey: SSH_KEY,
      kitchenOwner: 'jane',
    },
  });
  const a = foldedTemplate(built.kitchens['profit-report']);
  const b = foldedTemplate(built.kitchens['churn-model']);

  it('should name the stacks after the Kitchens', () => {
    expect(built.kitchens['profit-report'].stackName).toBe('acme-dev-kitchen-profit-report');
    expect(built.kitchens['churn-model'].stackName).toBe('acme-dev-kitchen-churn-model');
  });

  it('should share no physical name', () => {
    const namesA = physicalNames(a);
    const namesB = physicalNames(b);
    expect(namesA.length).toBeGreaterThanOrEqual(8);
    expect(namesA.filter((n) => namesB.includes(n))).toStrictEqual([]);
    expect(namesA).toEqual(
      expect.arrayContaining([
        'acme/dev/kitchens/profit-report/warehouse',
        'k-profit-report',
        'acme-dev-profit-report-alerts',
        'acme-dev-profit-report-slack',
        'acme-dev-profit-report-staff',
      ]),
    );
  });

  it('should own no cluster, no Transfer server, no bucket and no VPC', () => {
    for (const type of [
      'AWS::Redshift::Cluster',
      'AWS::Transfer::Server',
      'AWS::S3::Bucket',
      'AWS::EC2::VPC',
      'AWS::ECS::Cluster',
      'AWS::KMS::Key',
    ]) {
      a.resourceCountIs(type, 0);
    }
  });

  it('should read the environment from its SSM parameters, not from exports', () => {
    const parameters = Object.values(a.toJSON().Parameters as Record<string, { Type: string; Default: string }>)
      .filter((p) => p.Type.startsWith('AWS::SSM::Parameter::Value') && !p.Default.startsWith('/cdk-bootstrap/'))
      .map((p) => p.Default);
    expect(parameters).toEqual(
      expect.arrayContaining([
        '/acme/dev/warehouse/cluster-identifier',
        '/acme/dev/data-lake/landing-bucket',
        '/acme/dev/sftp/server-id',
      ]),
    );
    expect(parameters.every((p) => p.startsWith('/acme/dev/'))).toBe(true);
    expect(JSON.stringify(a.toJSON())).not.toContain('Fn::ImportValue');
  });

  it("should create and drop its schema, user and prefix through the environment's one Kitchen provider", () => {
    // only the Kitchen name and its own secret: the provider derives and re-checks everything else
    a.hasResourceProperties('Custom::KitchenSchema', {
      ServiceToken: { Ref: Match.stringLikeRegexp('^SsmParameterValueacmedevkitchensproviderservicetoken') },
      Kitchen: 'profit-report',
      KitchenSecretArn: { Ref: Match.stringLikeRegexp('^KitchenWarehouseCredentials') },
    });
    a.hasResourceProperties('Custom::KitchenPrefix', { Kitchen: 'profit-report' });
    a.resourceCountIs('AWS::Lambda::Function', 0);
    expect(JSON.stringify(a.toJSON())).not.toMatch(/admin-secret|adminsecret/i);
    a.hasResourceProperties('AWS::Transfer::User', {
      UserName: 'k-profit-report',
      HomeDirectoryMappings: [
        {
          Entry: '/',
          Target: Match.objectLike({ 'Fn::Join': ['', ['/', Match.anyValue(), '/kitchens/profit-report']] }),
        },
      ],
    });
  });

  it('should render its pipeline copies with its own names and never schedule them', () => {
    const machines = Object.values(a.findResources('AWS::StepFunctions::StateMachine')).map(
      (m) => m.Properties.StateMachineName,
    );
    // Each pipeline also has two child machines (`<name>_sql`, `<name>_test`).
    expect(machines.filter((name) => !name.includes('_')).length).toBe(config.pipelines.length);
    for (const name of machines) expect(name).toMatch(/^acme-dev-profit-report-/);
    for (const schedule of Object.values(a.findResources('AWS::Scheduler::Schedule')))
      expect(schedule.Properties.State).toBe('DISABLED');
    const definitions = JSON.stringify(a.findResources('AWS::StepFunctions::StateMachine'));
    expect(definitions).not.toContain('churn');
  });

  it("should let each Kitchen's policies reach only its own schema, prefix, secrets, topics and state machines", () => {
    for (const [mine, other, template] of [
      ['profit-report', 'churn-model', a],
      ['churn-model', 'profit-report', b],
    ] as const) {
      const statements = allowStatements(template);
      expect(statements.length).toBeGreaterThan(10);
      for (const statement of statements) {
        const text = JSON.stringify(statement);
        expect(text).not.toContain(other);
        expect(text).not.toContain(other.replace(/-/g, '_'));
        // nothing in production: not its account, not its names
        expect(text).not.toContain('111111111111');
        expect(text).not.toMatch(/production/);
        for (const resource of asList(statement.Resource)) {
          const r = JSON.stringify(resource);
          if (r === '"*"') {
            // only actions that have no resource-level permissions
            for (const action of asList(statement.Action)) {
              // (ecs:DescribeTasks/StopTask: the task ids of runTask.sync are not known in advance;
              //  ecr:GetAuthorizationToken is account-wide by design, the pulls themselves are per repository;
              //  cloudwatch:PutMetricData has no resource type and is scoped by its cloudwatch:namespace condition)
              expect(action).toMatch(
                /^(redshift-data:(DescribeStatement|GetStatementResult|CancelStatement)|ecs:(DescribeTasks|StopTask)|ecr:GetAuthorizationToken|cloudwatch:PutMetricData|xray:|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))/,
              );
            }
          } else if (/:s3:::/.test(r) && r.includes('/')) {
            // object keys: always below the Kitchen prefix
            expect(r).toContain(`/kitchens/${mine}/`);
          } else if (/:states:/.test(r) || /:logs:/.test(r)) {
            expect(r).toContain(mine);
          }
        }
        // S3 listing is limited to the prefix when it is granted outside the L2 grants
        if (asList(statement.Action).includes('s3:ListBucketVersions')) {
          expect(statement.Condition).toStrictEqual({ StringLike: { 's3:prefix': [`kitchens/${mine}/*`] } });
        }
      }
    }
  });

  it('should let only the listed people assume the staff role', () => {
    a.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'acme-dev-profit-report-staff',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { AWS: STAFF } })] },
      MaxSessionDuration: 14400,
    });
  });

  it('should carry owner, parent and expiry tags', () => {
    const topic = Object.values(a.findResources('AWS::SNS::Topic'))[0];
    const tags = Object.fromEntries(topic.Properties.Tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      'kitchens:owner': 'jane',
      'kitchens:parent': 'dev',
      'kitchens:expires': '2026-11-25T10:00:00Z',
      'kitchens:kitchen': 'profit-report',
      'kitchens:environment': 'dev',
      'kitchens:project': 'acme',
    });
  });

  it('should stay under 150 resources', () => {
    expect(Object.keys(a.toJSON().Resources).length).toBeLessThan(150);
  });

  it('should delete everything it owns with the stack', () => {
    for (const resource of Object.values(
      a.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>,
    )) {
      expect([undefined, 'Delete']).toContain(resource.DeletionPolicy);
    }
  });

  it('should keep secret values out of the template', () => {
    const text = JSON.stringify(a.toJSON());
    expect(text).not.toMatch(/"SecretString"|"Password"|md5[0-9a-f]{32}/);
  });
});

describe('a Kitchen synthesized with cdk-nag and linted', () => {
  it('should have zero unsuppressed findings and pass cfn-lint', () => {
    const outdir = tempOutdir('kitchen');
    const built = buildApp(exampleConfig(), {
      nag: true,
      outdir,
      now: NOW,
      environments: [],
      context: { kitchen: 'profit-report', kitchenStaff: STAFF, kitchenSshKey: SSH_KEY },
    });
    const { dir, violations } = synthToDir(built.app);
    expect(violations).toStrictEqual([]);
    const result = cfnLint([path.join(dir, 'acme-dev-kitchen-profit-report.template.json')]);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});

describe('Kitchen options from CDK context', () => {
  const config = exampleConfig();
  const bad = (context: Record<string, unknown>): string[] => {
    try {
      kitchenOptions(config, { kitchen: 'profit-report', ...context }, NOW);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return [...(e as ConfigError).problems];
    }
    throw new Error('expected the options to be rejected');
  };

  it('should default owner, parent, expiry and Slack channel from the environment', () => {
    const options = kitchenOptions(config, { kitchen: 'profit-report', kitchenOwner: 'jane' }, NOW);
    expect(options).toMatchObject({
      name: 'profit-report',
      owner: 'jane',
      parent: 'dev',
      expires: '2026-11-25T10:00:00Z',
      slackChannelId: 'C07KITCHENS',
      staff: [],
    });
    expect(options.environment.name).toBe('dev');
  });

  it.each([
    [
      { kitchen: 'Profit' },
      'context kitchen: Kitchen name "Profit" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
    ],
    [{ kitchen: 'dev' }, 'context kitchen: Kitchen name "dev" is reserved'],
    [
      { kitchenEnv: 'production' },
      'context kitchenEnv: kitchens.config.yaml: environment "production" does not allow Kitchens; add a "kitchens:" section to a development environment',
    ],
    [
      { kitchenStaff: 'jane' },
      'context kitchenStaff must be a comma-separated list of IAM user or role ARNs (arn:aws:iam::123456789012:role/NAME), got: "jane"',
    ],
    [
      { kitchenStaff: 'arn:aws:iam::111111111111:role/jane' },
      'context kitchenStaff must be a principal of the development account 222222222222, got: "arn:aws:iam::111111111111:role/jane"',
    ],
    [
      { kitchenStaff: 'arn:aws:iam::222222222222:root' },
      'context kitchenStaff must name one IAM user or role, not the account root: the root principal trusts every principal of the account, got: "arn:aws:iam::222222222222:root"',
    ],
    [
      { kitchenStaff: 'arn:aws:iam::222222222222:role/*' },
      'context kitchenStaff must name one IAM user or role: wildcards would let every matching principal assume the staff role, got: "arn:aws:iam::222222222222:role/*"',
    ],
    [{ kitchen: 'object' }, 'context kitchen: Kitchen name "object" is reserved: names starting with "object"'],
    [
      { kitchenExpires: 'tomorrow' },
      'context kitchenExpires must be an ISO 8601 UTC time such as "2026-12-01T18:00:00Z", got: "tomorrow"',
    ],
    [
      { kitchenExpires: '2027-01-30T00:00:00Z' },
      'context kitchenExpires must be at most 336 hours from now (kitchens.maxTtlHours), got: "2027-01-30T00:00:00Z"',
    ],
    [
      { kitchenSshKey: 'ssh-rsa' },
      'context kitchenSshKey must be an OpenSSH public key ("ssh-ed25519 AAAA..."), got: "ssh-rsa"',
    ],
    [
      { kitchenSlackChannel: '#general' },
      'context kitchenSlackChannel must be a Slack channel id such as "C07ABCDEF12", got: "#general"',
    ],
    [
      { kitchenOwner: 'jane doe' },
      'context kitchenOwner must be 1-64 letters, digits or "_.@+-" (a user name or e-mail), got: "jane doe"',
    ],
  ])('fails on %j', (context, message) => {
    const problems = bad(context);
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(message)).toBe(true);
  });

  it('fails before synthesizing anything', () => {
    expect(() => buildApp(config, { nag: false, context: { kitchen: 'pg-temp' } })).toThrow(ConfigError);
  });
});
