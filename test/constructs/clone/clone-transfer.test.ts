import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import { cloneTransfers } from '../../../lib/clone/transfer';
import { parseClonePlan, planTables } from '../../../lib/clone/planner';
import { publishStatements, seedStatements } from '../../../lib/clone/sql';
import { CATALOG, CATALOG_MASKS } from '../../lib/clone/catalog-fixture';
import { exampleConfig } from '../../support/app';

describe('the masked clone transfer from production to development', () => {
  const config = exampleConfig();
  const built = buildApp(config, { nag: false });
  const stacks = Object.fromEntries(built.app.node.children.map((c) => [c.node.id, c]));
  const exportStack = Template.fromStack(stacks['acme-production-clone-to-dev'] as never);
  const importStack = Template.fromStack(stacks['acme-dev-clone-from-production'] as never);
  const [transfer] = cloneTransfers(config);

  it('should follow the clone plans of the config', () => {
    expect(cloneTransfers(config).map((t) => `${t.source.name}->${t.target.name}`)).toStrictEqual(['production->dev']);
    expect(transfer.unloadRoleChain).toBe(
      'arn:aws:iam::111111111111:role/acme-production-warehouse,arn:aws:iam::111111111111:role/acme-production-clone-unload',
    );
    expect(transfer.copyRoleChain).toBe(
      'arn:aws:iam::222222222222:role/acme-dev-warehouse,arn:aws:iam::222222222222:role/acme-dev-clone-copy',
    );
  });

  it('should attach to every warehouse a role that can only assume its own clone roles', () => {
    for (const [name, account] of [
      ['production', '111111111111'],
      ['dev', '222222222222'],
    ]) {
      const t = Template.fromStack(built.environments[name]);
      t.hasResourceProperties('AWS::Redshift::Cluster', {
        IamRoles: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('WarehouseRole'), 'Arn'] }],
      });
      t.hasResourceProperties('AWS::IAM::Role', {
        RoleName: `acme-${name}-warehouse`,
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'redshift.amazonaws.com' } })],
        },
      });
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Resource: `arn:aws:iam::${account}:role/acme-${name}-clone-*`,
            },
          ],
        },
      });
    }
  });

  it('should let the production unload role write masked snapshots into the development export bucket, and read nothing', () => {
    expect(stacks['acme-production-clone-to-dev'].node.scope).toBe(built.app);
    exportStack.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'acme-production-clone-unload',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Principal: { AWS: 'arn:aws:iam::111111111111:role/acme-production-warehouse' } }),
        ],
      },
    });
    const statements = Object.values(exportStack.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('UnloadRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat()).sort()).toStrictEqual([
      's3:DeleteObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(JSON.stringify(statements)).toContain(':s3:::acme-dev-export-222222222222/snapshots/production/*');
  });

  it('should keep snapshots in development for a week, encrypted, private, TLS-only, writable only from production', () => {
    importStack.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'acme-dev-export-222222222222',
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 7 })]) },
      LoggingConfiguration: { DestinationBucketName: 'acme-dev-logs-222222222222', LogFilePrefix: 'export/' },
    });
    const policy = Object.values(importStack.findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument
      .Statement;
    const writers = policy.filter(
      (s: { Effect: string; Action: string | string[] }) =>
        s.Effect === 'Allow' && [s.Action].flat().includes('s3:PutObject'),
    );
    expect(writers.map((w: { Principal: unknown }) => w.Principal)).toStrictEqual([
      { AWS: 'arn:aws:iam::111111111111:role/acme-production-clone-unload' },
      { AWS: 'arn:aws:iam::111111111111:role/acme-production-clone-job' },
    ]);
    importStack.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'acme-dev-clone-copy',
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { AWS: 'arn:aws:iam::222222222222:role/acme-dev-warehouse' } })],
      },
    });
    const copyActions = Object.values(importStack.findResources('AWS::IAM::Policy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()),
    );
    expect(copyActions.every((a: string) => /^s3:(Get|List)/.test(a))).toBe(true);
  });

  it('should let the development access-log bucket receive the export bucket logs', () => {
    Template.fromStack(built.environments.dev).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloneExportAccessLogs',
            Condition: Match.objectLike({
              ArnLike: {
                'aws:SourceArn': 'arn:aws:s3:::acme-dev-export-222222222222',
              },
            }),
          }),
        ]),
      },
    });
  });

  it('should give UNLOAD and COPY the role chains the stacks create', () => {
    const tables = planTables(
      parseClonePlan({
        tables: [
          {
            name: 'customers',
            sample: { fraction: 0.25, key: 'customer_id' },
            mask: CATALOG_MASKS.customers,
          },
        ],
      }),
      CATALOG,
    );
    const [, unload] = publishStatements(
      tables,
      'analytics',
      { kind: 's3', uri: transfer.snapshotUri, roleChain: transfer.unloadRoleChain },
      'redshift',
      'run-1',
    );
    expect(unload).toContain(`IAM_ROLE '${transfer.unloadRoleChain}'`);
    expect(unload).toContain(`TO 's3://acme-dev-export-222222222222/snapshots/production/run-1/tables/customers/'`);
    const copy = seedStatements(
      'customers',
      [{ name: 'customer_id', type: 'integer' }],
      'k_k',
      { kind: 's3', uri: transfer.snapshotUri, roleChain: transfer.copyRoleChain },
      'run-1',
      'fingerprint',
    );
    expect(copy.join('\n')).toContain(`IAM_ROLE '${transfer.copyRoleChain}'`);
  });
});
