import { AlignmentResult, checkAlignment, renderAlignmentText, resolveEnvironments } from '../../../lib/align';
import { exampleConfig } from '../../support/app';
import { buildApp as containerImage } from '../../fixtures/align/container-image';
import { DEV_INGEST_IMAGE, ROW_COUNT_TEST } from '../../fixtures/align/drift';
import { buildApp as encryptionOff } from '../../fixtures/align/encryption-off';
import { buildApp as extraPermission } from '../../fixtures/align/extra-permission';
import { buildApp as missingTest } from '../../fixtures/align/missing-test';
import { buildApp as pipelinesAligned } from '../../fixtures/align/pipelines-aligned';

const drift = (r: AlignmentResult) => r.differences.filter((d) => d.classification === 'drift');

describe('the bundled example', () => {
  const config = exampleConfig();
  const result = checkAlignment({ config });

  it('should compare the Kitchen host with production by default', () => {
    expect([result.from, result.to]).toStrictEqual(['dev', 'production']);
  });

  it('should be aligned: only identity and declared divergence differ', () => {
    expect(result.aligned).toBe(true);
    expect(result.counts.drift).toBe(0);
    expect(result.counts.identity).toBeGreaterThan(100);
    expect(result.templateDiff).toBe('');
  });

  it('should attribute each profile difference to its declared divergence field', () => {
    const divergence = (field: string) =>
      result.differences
        .filter((d) => d.divergence === field)
        .map((d) => `${d.resourceType} ${d.path} ${JSON.stringify(d.from)}->${JSON.stringify(d.to)}`);
    expect(divergence('warehouse.nodeType')).toStrictEqual([
      'AWS::Redshift::Cluster Properties.NodeType "ra3.large"->"ra3.xlplus"',
    ]);
    expect(divergence('warehouse.nodes')).toStrictEqual([
      'AWS::Redshift::Cluster Properties.ClusterType "single-node"->"multi-node"',
      'AWS::Redshift::Cluster Properties.NumberOfNodes undefined->2',
    ]);
    expect(divergence('retention.landingDays')).toStrictEqual([
      'AWS::S3::Bucket Properties.LifecycleConfiguration.Rules[0].ExpirationInDays 14->90',
    ]);
    expect(divergence('retention.snapshotDays')).toStrictEqual([
      'AWS::Redshift::Cluster Properties.AutomatedSnapshotRetentionPeriod 1->35',
    ]);
    for (const d of result.differences.filter((x) => x.classification === 'divergence')) {
      expect(d.reason).toBe(
        `declared divergence: ${d.divergence} is listed under alignment.divergence and each side holds its config's value`,
      );
    }
  });

  it('should classify names, accounts and tags as identity', () => {
    const identity = result.differences.filter((d) => d.classification === 'identity');
    expect(identity).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resourceType: 'AWS::SNS::Topic',
          path: 'Properties.DisplayName',
          from: 'cdk-kitchens alerts: acme-dev',
          to: 'cdk-kitchens alerts: acme-production',
        }),
        expect.objectContaining({
          resourceType: 'AWS::Chatbot::SlackChannelConfiguration',
          path: 'Properties.SlackChannelId',
          from: 'C07DEVALERT',
          to: 'C07PRODALRT',
        }),
        expect.objectContaining({
          resourceType: 'AWS::IAM::Role',
          path: 'Properties.Tags[2].Value',
          from: 'development',
          to: 'production',
        }),
      ]),
    );
    expect(identity.every((d) => d.reason.startsWith('identity: '))).toBe(true);
  });

  it('should render a readable text report', () => {
    const text = renderAlignmentText(result);
    expect(text.split('\n')[0]).toBe('ALIGNED: dev and production differ only in identity and declared divergence');
    expect(text).toContain(
      '  warehouse.nodeType:\n    EnvironmentWarehouseA722EDCF (AWS::Redshift::Cluster) Properties.NodeType: "ra3.large" in dev, "ra3.xlplus" in production',
    );
    expect(text).not.toContain('Undeclared drift');
  });
});

describe('a profile difference that is not declared', () => {
  // the config loader refuses this file; a config built in code (or a construct default) can still get here
  const config = exampleConfig();
  const result = checkAlignment({
    config: { ...config, divergence: config.divergence.filter((f) => f !== 'warehouse.nodeType') },
  });

  it('fails with the config field and the Redshift node type as the only drift, and says which field to declare', () => {
    expect(result.aligned).toBe(false);
    expect(drift(result)).toStrictEqual([
      {
        section: 'Config',
        logicalId: 'warehouse.nodeType',
        resourceType: 'Config',
        path: '',
        from: 'ra3.large',
        to: 'ra3.xlplus',
        classification: 'drift',
        reason:
          'undeclared drift: kitchens.config.yaml gives environments.dev.warehouse.nodeType "ra3.large" and environments.production.warehouse.nodeType "ra3.xlplus"; declare "warehouse.nodeType" under alignment.divergence if this difference is intended',
      },
      {
        section: 'Resources',
        logicalId: 'EnvironmentWarehouseA722EDCF',
        resourceType: 'AWS::Redshift::Cluster',
        path: 'Properties.NodeType',
        from: 'ra3.large',
        to: 'ra3.xlplus',
        classification: 'drift',
        reason:
          'undeclared drift: the values differ (declare "warehouse.nodeType" under alignment.divergence if this difference is intended)',
      },
    ]);
  });
});

describe('drift injected in code', () => {
  const config = exampleConfig();

  it('fails when development turns bucket encryption off', () => {
    const result = checkAlignment({ config, build: encryptionOff });
    expect(result.aligned).toBe(false);
    expect(drift(result)).toStrictEqual([
      expect.objectContaining({
        logicalId: 'EnvironmentDataLakeLanding971B00A8',
        resourceType: 'AWS::S3::Bucket',
        path: 'Properties.BucketEncryption',
        from: undefined,
        to: expect.objectContaining({ ServerSideEncryptionConfiguration: expect.any(Array) }),
        reason: 'undeclared drift: set only in production',
      }),
    ]);
    expect(result.templateDiff).toContain('[~] AWS::S3::Bucket EnvironmentDataLakeLanding971B00A8');
    expect(result.templateDiff).toContain(' └─ [-] BucketEncryption');
  });

  it('fails when development runs a different container image', () => {
    const result = checkAlignment({ config, build: containerImage });
    expect(drift(result)).toStrictEqual([
      expect.objectContaining({
        logicalId: 'EnvironmentContainersIngestA7244157',
        resourceType: 'AWS::ECS::TaskDefinition',
        path: 'Properties.ContainerDefinitions[0].Image',
        from: DEV_INGEST_IMAGE,
        to: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/ingest:1.4.2',
        reason: 'undeclared drift: the values differ',
      }),
    ]);
  });

  it('fails when development grants an extra IAM permission', () => {
    const result = checkAlignment({ config, build: extraPermission });
    expect(drift(result)).toStrictEqual([
      expect.objectContaining({
        logicalId: 'EnvironmentContainersIngestTaskRoleDefaultPolicy1C03B68E',
        resourceType: 'AWS::IAM::Policy',
        path: 'Properties.PolicyDocument.Statement',
        from: [{ Action: 's3:DeleteBucket', Effect: 'Allow', Resource: '*' }],
        to: [],
        reason: 'undeclared drift: list elements differ (1 only in dev, 0 only in production)',
      }),
    ]);
  });

  it('fails when a pipeline misses a test in development, naming the test state', () => {
    const result = checkAlignment({ config, build: missingTest });
    const missing = drift(result).find((d) => d.state === ROW_COUNT_TEST);
    expect(missing).toStrictEqual(
      expect.objectContaining({
        logicalId: 'EnvironmentOrdersPipeline8A7E1154',
        resourceType: 'AWS::StepFunctions::StateMachine',
        path: `Properties.DefinitionString.States["${ROW_COUNT_TEST}"]`,
        from: undefined,
        to: expect.objectContaining({ Type: 'Task', Next: 'Publish results' }),
        reason: `undeclared drift: pipeline state "${ROW_COUNT_TEST}" exists only in production`,
      }),
    );
    // the only other difference is the transition that skips it
    expect(
      drift(result)
        .filter((d) => d !== missing)
        .map((d) => [d.state, d.path, d.from, d.to]),
    ).toStrictEqual([
      ['Load orders', 'Properties.DefinitionString.States["Load orders"].Next', 'Publish results', ROW_COUNT_TEST],
    ]);
    expect(renderAlignmentText(result)).toContain(
      `EnvironmentOrdersPipeline8A7E1154 (AWS::StepFunctions::StateMachine) Properties.DefinitionString.States["${ROW_COUNT_TEST}"]  [state "${ROW_COUNT_TEST}"]`,
    );
  });

  it('should find identical pipelines aligned although their definitions name each environment', () => {
    const result = checkAlignment({ config, build: pipelinesAligned });
    expect(drift(result)).toStrictEqual([]);
    expect(result.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          logicalId: 'EnvironmentOrdersPipeline8A7E1154',
          path: 'Properties.StateMachineName',
          from: 'acme-dev-orders',
          to: 'acme-production-orders',
          classification: 'identity',
        }),
      ]),
    );
  });
});

describe('choosing the environments', () => {
  const config = exampleConfig();

  it('should accept explicit names in either direction', () => {
    expect(Object.values(resolveEnvironments(config, 'production', 'dev')).map((e) => e.name)).toStrictEqual([
      'production',
      'dev',
    ]);
  });

  it('fails when an environment does not exist', () => {
    expect(() => resolveEnvironments(config, 'qa')).toThrow(
      'kitchens.config.yaml: no environment named "qa"; environments are: production, dev',
    );
  });

  it('fails when both sides are the same environment', () => {
    expect(() => resolveEnvironments(config, 'dev', 'dev')).toThrow(
      '--from and --to must name two different environments, got "dev" twice',
    );
  });
});
