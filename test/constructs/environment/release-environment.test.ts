import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { compareTemplates, environmentIdentity } from '../../../lib/align/check';
import type { Template as CfnTemplate } from '../../../lib/align/normalize';
import { parseConfig } from '../../../lib/config';
import { WAREHOUSE_PORT } from '../../../constructs/environment/warehouse';
import { constructPathsOf, exampleConfig, EXAMPLE_CONFIG, synthEnvironments } from '../../support/app';
import { parse } from 'yaml';
import * as fs from 'fs';

describe('the bundled example: production and development', () => {
  const config = exampleConfig();
  const { built, templates } = synthEnvironments(config);
  const prod = templates.production;
  const dev = templates.dev;

  it('should contain the same set of resource types in both environments', () => {
    const types = (t: typeof prod) =>
      [...new Set(Object.values(t.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type))].sort();
    expect(types(dev)).toStrictEqual(types(prod));
    expect(types(prod)).toEqual(
      expect.arrayContaining([
        'AWS::KMS::Key',
        'AWS::S3::Bucket',
        'AWS::Transfer::Server',
        'AWS::Transfer::User',
        'AWS::Redshift::Cluster',
        'AWS::ECS::Cluster',
        'AWS::ECS::TaskDefinition',
        'AWS::SNS::Topic',
        'AWS::Chatbot::SlackChannelConfiguration',
        'AWS::SSM::Parameter',
        'AWS::SecretsManager::Secret',
      ]),
    );
  });

  // The alignment check on the two templates, with the given divergence declared.
  const compare = (divergence = config.divergence) => {
    const env = (name: string) => config.environments.find((e) => e.name === name)!;
    return compareTemplates(prod.toJSON() as CfnTemplate, dev.toJSON() as CfnTemplate, {
      from: 'production',
      to: 'dev',
      fromEnvironment: env('production'),
      toEnvironment: env('dev'),
      fromIdentity: environmentIdentity(env('production')),
      toIdentity: environmentIdentity(env('dev')),
      divergence,
      fromPaths: constructPathsOf(built.environments.production),
      toPaths: constructPathsOf(built.environments.dev),
    });
  };

  it('should differ only in identity and declared divergence', () => {
    // what is left is identical, property by property
    expect(compare().counts.drift).toBe(0);
  });

  it('should show a difference when a divergence is not declared', () => {
    const withoutNodeType = config.divergence.filter((d) => d !== 'warehouse.nodeType');
    expect(compare(withoutNodeType).differences.filter((d) => d.classification === 'drift')).toMatchObject([
      { resourceType: 'AWS::Redshift::Cluster', path: 'Properties.NodeType' },
    ]);
  });

  it.each(['production', 'dev'])('should encrypt, version and lock down every bucket in %s', (name) => {
    const t = templates[name];
    const buckets = t.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(4);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toStrictEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.VersioningConfiguration).toStrictEqual({ Status: 'Enabled' });
      expect(
        bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
          .SSEAlgorithm,
      ).toMatch(/^(aws:kms|AES256)$/);
    }
    t.resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
          ],
        },
      },
      3,
    );
    const policies = Object.values(t.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(4);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  it.each(['production', 'dev'])('should run the warehouse encrypted, private, SSL-only and audited in %s', (name) => {
    const t = templates[name];
    t.hasResourceProperties('AWS::Redshift::Cluster', {
      Encrypted: true,
      PubliclyAccessible: false,
      EnhancedVpcRouting: true,
      ManageMasterPassword: true,
      Port: WAREHOUSE_PORT,
      LoggingProperties: {
        LogDestinationType: 'cloudwatch',
        LogExports: ['connectionlog', 'userlog', 'useractivitylog'],
      },
      MasterUserPassword: Match.absent(),
    });
    t.hasResourceProperties('AWS::Redshift::ClusterParameterGroup', {
      Parameters: Match.arrayWith([{ ParameterName: 'require_ssl', ParameterValue: 'true' }]),
    });
    // only the environment's tasks may open SQL connections, on the warehouse port
    const sg = Object.values(t.findResources('AWS::EC2::SecurityGroup')).find((r) =>
      String(r.Properties.GroupDescription).startsWith('Redshift'),
    );
    expect(sg?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg?.Properties.SecurityGroupEgress).toStrictEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
    ]);
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({
      FromPort: WAREHOUSE_PORT,
      ToPort: WAREHOUSE_PORT,
      IpProtocol: 'tcp',
      SourceSecurityGroupId: expect.anything(),
    });
  });

  it('should size production and development from their profiles', () => {
    prod.hasResourceProperties('AWS::Redshift::Cluster', {
      NodeType: 'ra3.xlplus',
      NumberOfNodes: 2,
      ClusterType: 'multi-node',
      AutomatedSnapshotRetentionPeriod: 35,
    });
    dev.hasResourceProperties('AWS::Redshift::Cluster', {
      NodeType: 'ra3.large',
      NumberOfNodes: Match.absent(),
      ClusterType: 'single-node',
      AutomatedSnapshotRetentionPeriod: 1,
    });
    prod.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    dev.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('should retain production data and snapshot the warehouse, and destroy development on request', () => {
    prod.hasResource('AWS::Redshift::Cluster', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Snapshot' });
    dev.hasResource('AWS::Redshift::Cluster', { DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
    for (const bucket of Object.values(prod.findResources('AWS::S3::Bucket')))
      expect(bucket.DeletionPolicy).toBe('Retain');
    for (const bucket of Object.values(dev.findResources('AWS::S3::Bucket')))
      expect(bucket.DeletionPolicy).toBe('Delete');
  });

  it('should keep the same container image reference in every environment, with pull rights on its repository', () => {
    const images = (t: typeof prod) =>
      Object.values(t.findResources('AWS::ECS::TaskDefinition'))
        .map((r) => r.Properties.ContainerDefinitions[0].Image)
        .sort();
    expect(images(prod)).toStrictEqual(config.apps.map((a) => a.image).sort());
    expect(images(dev)).toStrictEqual(images(prod));
    prod.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            Effect: 'Allow',
            Resource: 'arn:aws:ecr:eu-west-1:123456789012:repository/acme/ingest',
          },
        ]),
      },
    });
  });

  it('should inject app secrets from the vault, not as plain variables', () => {
    prod.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'ingest',
          Secrets: [Match.objectLike({ Name: 'PARTNER_API' })],
          ReadonlyRootFilesystem: true,
        }),
      ],
    });
    prod.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'acme/production/apps/partner-api',
      KmsKeyId: Match.anyValue(),
    });
  });

  it('should run every container as a non-root user with a memory hard limit of its task size', () => {
    const containers = Object.values(prod.findResources('AWS::ECS::TaskDefinition')).flatMap(
      (t) => t.Properties.ContainerDefinitions,
    );
    expect(containers.map((c: Record<string, unknown>) => [c.Name, c.User, c.Memory])).toStrictEqual([
      ['ingest', '1000:1000', 1024],
      ['transform', '1000:1000', 2048],
    ]);
  });

  it('should run a container as the user its config names (root only when asked for)', () => {
    const raw = parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
    raw.apps[0].user = 'root';
    raw.apps[1].user = 'app:app';
    const { templates: custom } = synthEnvironments(parseConfig(raw, EXAMPLE_CONFIG));
    const users = Object.values(custom.dev.findResources('AWS::ECS::TaskDefinition')).map(
      (t) => t.Properties.ContainerDefinitions[0].User,
    );
    expect(users).toStrictEqual(['root', 'app:app']);
    raw.apps[0].user = 'root; rm -rf /';
    expect(() => parseConfig(raw, EXAMPLE_CONFIG)).toThrow(
      'apps[0].user must be a user for the container: "uid", "uid:gid", "user" or "user:group" such as "1000:1000" (default) or "root" to run as root, got: "root; rm -rf /"',
    );
  });

  it('should land SFTP users in their own prefix of the landing bucket on a current security policy', () => {
    prod.hasResourceProperties('AWS::Transfer::Server', {
      SecurityPolicyName: 'TransferSecurityPolicy-2024-01',
      IdentityProviderType: 'SERVICE_MANAGED',
      Protocols: ['SFTP'],
      StructuredLogDestinations: [Match.anyValue()],
    });
    prod.hasResourceProperties('AWS::Transfer::User', {
      UserName: 'partner-globex',
      HomeDirectoryType: 'LOGICAL',
      HomeDirectoryMappings: [
        { Entry: '/', Target: Match.objectLike({ 'Fn::Join': ['', ['/', Match.anyValue(), '/sftp/partner-globex']] }) },
      ],
    });
  });

  it('should send alerts through an encrypted topic to the environment Slack channel with a read-only guardrail', () => {
    prod.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'acme-production-alerts',
      KmsMasterKeyId: Match.anyValue(),
    });
    prod.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackChannelId: 'C07PRODALRT',
      SlackWorkspaceId: 'T07ACME0001',
      GuardrailPolicies: [Match.anyValue()],
      SnsTopicArns: [Match.anyValue()],
    });
    dev.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', { SlackChannelId: 'C07DEVALERT' });
    const guardrail = Object.values(prod.findResources('AWS::IAM::ManagedPolicy'))[0];
    const actions = guardrail.Properties.PolicyDocument.Statement.flatMap(
      (s: { Action: string | string[] }) => s.Action,
    );
    expect(actions.every((a: string) => /^states:(Describe|Get|List)/.test(a))).toBe(true);
  });

  it('should publish every identifier under the environment SSM path and use no exports', () => {
    const params = Object.values(prod.findResources('AWS::SSM::Parameter')).map((p) => p.Properties.Name as string);
    expect(params.length).toBeGreaterThanOrEqual(17);
    expect(params.every((n) => n.startsWith('/acme/production/'))).toBe(true);
    expect(params).toEqual(
      expect.arrayContaining(['/acme/production/warehouse/cluster-identifier', '/acme/production/alerts/topic-arn']),
    );
    expect(prod.toJSON().Outputs ?? {}).toStrictEqual({});
  });

  it("should run every pipeline's SQL as the least-privilege pipeline user, never as the admin", () => {
    for (const template of [prod, dev]) {
      template.hasResourceProperties('Custom::WarehouseUser', { Kind: 'pipeline', Schema: 'analytics' });
      const statements = Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([id, p]) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map((st) => ({
          id,
          actions: [st.Action].flat(),
          resource: JSON.stringify(st.Resource),
        })),
      );
      const readers = (pattern: RegExp) =>
        statements
          .filter((st) => st.actions.includes('secretsmanager:GetSecretValue') && pattern.test(st.resource))
          .map((st) => st.id);
      // the admin secret is the cluster's managed master password secret
      const admin = readers(/MasterPasswordSecretArn/);
      expect(admin.length).toBeGreaterThan(0);
      expect(admin.every((id) => /^EnvironmentPipelineUserSetup/.test(id))).toBe(true);
      const pipelineSecret = readers(/PipelineUserSecret/);
      // the pipelines' shared Run SQL and Evaluate test machines are what connect with it
      expect(pipelineSecret.some((id) => /^EnvironmentPipeline[A-Z][a-z]+Runners/.test(id))).toBe(true);
      expect(pipelineSecret.every((id) => /^EnvironmentPipeline([A-Z][a-z]+Runners|UserSetup)/.test(id))).toBe(true);
    }
  });

  it('should never put a secret value or key material in a template', () => {
    for (const t of [prod, dev]) {
      const text = JSON.stringify(t.toJSON());
      expect(text).not.toMatch(
        /MasterUserPassword|"SecretString"|"Password"|BEGIN (RSA|OPENSSH|EC) PRIVATE KEY|AKIA[0-9A-Z]{16}/,
      );
      for (const secret of Object.values(t.findResources('AWS::SecretsManager::Secret'))) {
        expect(secret.Properties.SecretString).toBeUndefined();
      }
    }
  });
});

describe('a production environment that asks to destroy its data', () => {
  it('should keep RETAIN and warn', () => {
    const raw = parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
    raw.environments.production.removalPolicy = 'destroy';
    const config = parseConfig(raw, EXAMPLE_CONFIG);
    const { built, templates } = synthEnvironments(config);
    templates.production.hasResource('AWS::Redshift::Cluster', { DeletionPolicy: 'Retain' });
    for (const bucket of Object.values(templates.production.findResources('AWS::S3::Bucket')))
      expect(bucket.DeletionPolicy).toBe('Retain');
    Annotations.fromStack(built.environments.production).hasWarning(
      '/acme-production/Environment',
      Match.stringLikeRegexp('production data is always retained'),
    );
  });
});
