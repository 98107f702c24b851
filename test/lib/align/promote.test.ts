import {
  buildPromotionReport,
  environmentIdentity,
  promotionReport,
  retarget,
  synthesizeEnvironments,
} from '../../../lib/align';
import { exampleConfig } from '../../support/app';
import { NULL_IDS_TEST } from '../../fixtures/align/drift';
import { buildApp as promotion } from '../../fixtures/align/promotion';
import { buildApp as encryptionOff } from '../../fixtures/align/encryption-off';
import { parseMermaid } from './mermaid';

describe('promoting the bundled example', () => {
  const report = promotionReport({ config: exampleConfig() });

  it('should change nothing: production keeps its identity and its declared divergence', () => {
    expect(report.resources).toStrictEqual([]);
    expect(report.pipelines).toStrictEqual([]);
    expect(report.iamWidening).toBe(false);
    expect(report.alignment.aligned).toBe(true);
    expect(report.markdown).toContain('No resource changes.');
    expect(report.markdown).toContain('- Alignment: **holds**');
  });
});

describe('re-targeting a template', () => {
  it('should give the development template the production names, account and profile values', () => {
    const config = exampleConfig();
    const templates = synthesizeEnvironments(config, ['dev', 'production']);
    const [prod, dev] = [config.environments[0], config.environments[1]];
    const { current, promoted } = retarget(templates.dev, templates.production, {
      from: 'dev',
      to: 'production',
      fromIdentity: environmentIdentity(config, dev),
      toIdentity: environmentIdentity(config, prod),
      divergence: config.divergence,
    });
    const cluster = (t: typeof current) =>
      Object.values(t.Resources!).find((r) => r.Type === 'AWS::Redshift::Cluster')!;
    expect(cluster(promoted)).toStrictEqual(cluster(current));
    expect(cluster(promoted).Properties).toMatchObject({
      ClusterIdentifier: 'acme-production-warehouse',
      NodeType: 'ra3.xlplus',
      NumberOfNodes: 2,
    });
    expect(JSON.stringify(promoted)).not.toContain('222222222222');
    expect(promoted).toStrictEqual(current);
  });
});

describe('promoting a development environment that is ahead of production', () => {
  const report = promotionReport({ config: exampleConfig(), build: promotion });
  const md = report.markdown;

  it('should call out the IAM widening before any other change', () => {
    expect(report.iamWidening).toBe(true);
    const security = md.indexOf('## Security: IAM and security group changes');
    expect(security).toBeGreaterThan(0);
    expect(md.indexOf('> **Warning:** this promotion widens IAM permissions in `production`.')).toBeGreaterThan(
      security,
    );
    expect(md.indexOf('| + | * | Allow | s3:DeleteBucket |')).toBeGreaterThan(security);
    for (const later of [
      '## Resources added, replaced and removed',
      '## Pipeline changes',
      '## Alignment',
      '## Full CloudFormation diff',
    ]) {
      expect(md.indexOf(later)).toBeGreaterThan(md.indexOf('s3:DeleteBucket'));
    }
    expect(md).toContain('- IAM permissions widened: **yes**');
  });

  it('should list the resource changes', () => {
    expect(report.resources).toStrictEqual([
      {
        logicalId: 'EnvironmentContainersIngestTaskRoleDefaultPolicy1C03B68E',
        type: 'AWS::IAM::Policy',
        change: 'updated',
        properties: ['PolicyDocument'],
      },
      {
        logicalId: 'EnvironmentOrdersPipeline8A7E1154',
        type: 'AWS::StepFunctions::StateMachine',
        change: 'updated',
        properties: ['DefinitionString'],
      },
    ]);
  });

  it('should list the pipeline test added, with a Mermaid graph the Mermaid parser accepts', () => {
    expect(report.pipelines).toHaveLength(1);
    const [pipeline] = report.pipelines;
    expect(pipeline).toMatchObject({ name: 'acme-production-orders', change: 'changed' });
    expect(pipeline.states).toStrictEqual([
      { state: 'Test: orders row count', kind: 'test', change: 'changed' },
      { state: NULL_IDS_TEST, kind: 'test', change: 'added' },
    ]);
    expect(md).toContain(`- Tests added: \`${NULL_IDS_TEST}\``);
    const blocks = [...md.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(blocks).toStrictEqual([pipeline.mermaid]);
    expect(pipeline.mermaid).toMatch(/^graph TD\n/);
    expect(pipeline.mermaid).toContain(`[/"${NULL_IDS_TEST}"/]`);
    expect(parseMermaid(blocks)).toStrictEqual([{ ok: true, type: 'flowchart-v2' }]);
  });

  it('should say that alignment does not hold, and why', () => {
    expect(md).toContain('- Alignment: **does not hold (3 undeclared differences)**');
    expect(md).toContain(
      '| EnvironmentContainersIngestTaskRoleDefaultPolicy1C03B68E (AWS::IAM::Policy) Properties.PolicyDocument.Statement |',
    );
  });
});

describe('promoting a change that is not about permissions', () => {
  it('should not report a widening, and show the property change', () => {
    const config = exampleConfig();
    const report = promotionReport({ config, build: encryptionOff });
    expect(report.iamWidening).toBe(false);
    expect(report.securityGroupWidening).toBe(false);
    expect(report.markdown).toContain('No IAM or security group changes.');
    expect(report.resources).toStrictEqual([
      {
        logicalId: 'EnvironmentDataLakeLanding971B00A8',
        type: 'AWS::S3::Bucket',
        change: 'updated',
        properties: ['BucketEncryption'],
      },
    ]);
  });
});

describe('resource replacement and removal', () => {
  it('should report replaced, added and removed resources from the CloudFormation diff', () => {
    const identity = (environment: string, account: string) => ({
      project: 'acme',
      environment,
      account,
      region: 'eu-west-1',
    });
    const report = buildPromotionReport(
      {
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'acme-dev-data' } },
          Added: { Type: 'AWS::SNS::Topic', Properties: {} },
        },
      },
      {
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'acme-production-raw' } },
          Removed: { Type: 'AWS::SQS::Queue', Properties: {} },
        },
      },
      {
        from: 'dev',
        to: 'production',
        fromIdentity: identity('dev', '222222222222'),
        toIdentity: identity('production', '111111111111'),
        divergence: [],
      },
    );
    expect(report.resources).toStrictEqual([
      { logicalId: 'Removed', type: 'AWS::SQS::Queue', change: 'removed', properties: [] },
      { logicalId: 'Added', type: 'AWS::SNS::Topic', change: 'added', properties: [] },
      { logicalId: 'Bucket', type: 'AWS::S3::Bucket', change: 'replaced', properties: ['BucketName'] },
    ]);
    const table = report.markdown.slice(report.markdown.indexOf('## Resources'));
    expect(table.indexOf('| replaced | Bucket |')).toBeLessThan(table.indexOf('| removed | Removed |'));
    expect(table.indexOf('| removed | Removed |')).toBeLessThan(table.indexOf('| added | Added |'));
  });
});
