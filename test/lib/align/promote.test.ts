import { buildPromotionReport, diffPipelines, GITHUB_COMMENT_LIMIT, synthesizeEnvironments } from '../../../lib/align';
import type { Template } from '../../../lib/align/normalize';
import { loadPipelines } from '../../../lib/app';
import type { PipelineDefinition, TestDefinition } from '../../../lib/pipeline/model';
import { exampleConfig } from '../../support/app';
import { buildApp as openWarehouse } from '../../fixtures/align/corpus/open-warehouse';
import { parseMermaid } from './mermaid';

const config = exampleConfig();
const production = (build?: typeof openWarehouse) => synthesizeEnvironments(config, ['production'], build).production;

describe('a change applied to both environments: the warehouse opened to 0.0.0.0/0 on every TCP port', () => {
  const base = production();
  const head = production(openWarehouse);
  const pipelines = loadPipelines(config);
  const report = buildPromotionReport({
    environment: 'production',
    base: { label: '`origin/main`', template: base, pipelines },
    head: { label: 'this change', template: head, pipelines },
  });
  const md = report.markdown;

  it('should report the network widening against the base, first', () => {
    expect(report.securityGroupWidening).toBe(true);
    expect(report.iamWidening).toBe(false);
    expect(md).toContain('- Network (security group) rules widened: **yes**');
    const warning = md.indexOf(
      '> **Warning:** this change widens network access (security group rules) in `production`.',
    );
    const rule = md.indexOf('| In | TCP 0-65535 | Everyone (IPv4) |');
    expect(warning).toBeGreaterThan(md.indexOf('## IAM and network widening'));
    expect(rule).toBeGreaterThan(warning);
    for (const later of ['## Resources', '## Pipelines', '## Full CloudFormation diff']) {
      expect(md.indexOf(later)).toBeGreaterThan(rule);
    }
  });

  it('should list the security group as the one updated resource', () => {
    expect(report.resources).toStrictEqual([
      {
        logicalId: 'EnvironmentWarehouseSecurityGroup0149C8D6',
        type: 'AWS::EC2::SecurityGroup',
        change: 'updated',
        properties: ['SecurityGroupIngress'],
      },
    ]);
    expect(report.pipelines).toStrictEqual([]);
  });
});

describe('the same code on both sides', () => {
  it('should report no change and no widening', () => {
    const template = production();
    const report = buildPromotionReport({
      environment: 'production',
      base: { label: 'base', template },
      head: { label: 'head', template },
    });
    expect([report.iamWidening, report.securityGroupWidening, report.resources]).toStrictEqual([false, false, []]);
    expect(report.markdown).toContain('No IAM or security group changes.');
    expect(report.markdown).toContain('No resource changes.');
  });
});

describe('pipeline changes at the level of steps and tests', () => {
  const [orders] = loadPipelines(config);
  const editTests = (edit: (t: TestDefinition, step: string) => TestDefinition | undefined): PipelineDefinition => ({
    ...orders,
    steps: orders.steps.map((s) => ({
      ...s,
      tests: s.tests.map((t) => edit(t, s.id)).filter((t): t is TestDefinition => t !== undefined),
    })),
  });
  const changed = editTests((t) => {
    if (t.name === 'negative amounts') return undefined;
    if (t.name === 'orders freshness in days') return { ...t, rule: { kind: 'max', value: 3 }, level: 'warning' };
    return t;
  });
  const head: PipelineDefinition = {
    ...changed,
    steps: [
      ...changed.steps,
      {
        id: 'publish',
        name: 'Publish revenue',
        type: 'sql',
        after: ['daily-revenue'],
        statements: ['GRANT SELECT ON analytics.daily_revenue TO GROUP finance'],
        pollSeconds: 10,
        timeoutMinutes: 5,
        tests: [],
      },
    ],
  };
  const [change] = diffPipelines([orders], [head]);

  it('should name the added step, the removed test and the rule and level changes', () => {
    expect(change).toMatchObject({ id: 'orders', change: 'changed', fields: [] });
    expect(change.steps).toStrictEqual([
      {
        id: 'build-curated',
        name: 'Build curated orders',
        change: 'changed',
        fields: [],
        tests: [
          {
            name: 'orders freshness in days',
            change: 'changed',
            level: 'warning',
            fields: [
              { field: 'rule', before: 'max 1', after: 'max 3' },
              { field: 'level', before: 'error', after: 'warning' },
            ],
          },
          { name: 'negative amounts', change: 'removed', fields: [], level: 'log' },
        ],
      },
      { id: 'publish', name: 'Publish revenue', change: 'added', fields: [], tests: [] },
    ]);
  });

  it('should spell the changes out in the report, with one step-level graph that Mermaid parses', () => {
    const template = { Resources: {} } as Template;
    const report = buildPromotionReport({
      environment: 'production',
      base: { label: 'base', template, pipelines: [orders] },
      head: { label: 'head', template, pipelines: [head] },
    });
    expect(report.markdown).toContain(
      '  - Test **orders freshness in days**: rule `max 1` → `max 3`; level `error` → `warning`',
    );
    expect(report.markdown).toContain('  - Test **negative amounts**: removed (log)');
    expect(report.markdown).toContain('- Step **Publish revenue** (`publish`): added');
    const blocks = [...report.markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(blocks).toStrictEqual([change.mermaid]);
    // one node per step (plus start and end), not per state
    expect(change.mermaid.match(/^ {2}s\d+\[/gm)).toHaveLength(orders.steps.length + 1);
    expect(change.mermaid).toContain('class s2 changed');
    expect(change.mermaid).toContain('class s4 added');
    // the new dependency is drawn thick, the old end of the pipeline no longer ends it: crossed and dashed
    expect(change.mermaid).toContain('s3 ==> s4');
    expect(change.mermaid).toContain('s3 -.-x finish');
    expect(parseMermaid(blocks)).toStrictEqual([{ ok: true, type: 'flowchart-v2' }]);
  });
});

describe('the size budget', () => {
  // everything added: a first promotion to an empty account
  const report = buildPromotionReport({
    environment: 'production',
    base: { label: 'nothing deployed', template: { Resources: {} } },
    head: { label: 'head', template: production() },
    budget: 20_000,
  });

  it('should keep the full report whole and cut the comment to the budget, saying where the rest is', () => {
    expect(report.markdown.length).toBeGreaterThan(20_000);
    expect(report.markdown).toContain('```text\n');
    expect(report.comment.length).toBeLessThanOrEqual(20_000);
    expect(report.comment).toContain('In the full report (build artifact `promotion-report`).');
    expect(report.comment).toMatch(/_\d+ more rows in the full report\._/);
    expect(report.comment.indexOf('## IAM and network widening')).toBeGreaterThan(0);
  });

  it('should stay under the GitHub comment limit by default', () => {
    const byDefault = buildPromotionReport({
      environment: 'production',
      base: { label: 'nothing deployed', template: { Resources: {} } },
      head: { label: 'head', template: production() },
    });
    expect(byDefault.comment.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
  });
});
