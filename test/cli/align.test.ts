import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { synthesizeEnvironments } from '../../lib/align';
import { kitchen as run } from './support/cli';
import { exampleConfig, EXAMPLE_CONFIG } from '../support/app';
import { motoCloudFormation, motoEndpoint } from '../lib/kitchen/moto';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'align');
const WAREHOUSE_GROUP = 'EnvironmentWarehouseSecurityGroup0149C8D6';

/** Runs the CLI in process and captures stdout and stderr. */
const kitchen = (...args: string[]) => run(args, EXAMPLE_CONFIG);

describe('kitchen align', () => {
  it('should exit 0 for the bundled example and print the report', async () => {
    const { code, stdout } = await kitchen('align');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('ALIGNED: dev and production differ only in identity and declared divergence');
  });

  it('should print the result as JSON with --json', async () => {
    const { code, stdout, stderr } = await kitchen('--json', 'align', '--from', 'dev', '--to', 'production');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ from: 'dev', to: 'production', aligned: true, counts: { drift: 0 } });
    expect(
      result.differences.find((d: { divergence?: string }) => d.divergence === 'warehouse.nodeType'),
    ).toMatchObject({
      resourceType: 'AWS::Redshift::Cluster',
      path: 'Properties.NodeType',
      from: 'ra3.large',
      to: 'ra3.xlplus',
    });
  });

  it.each([
    ['encryption-off.ts', 'EnvironmentDataLakeLanding971B00A8 (AWS::S3::Bucket) Properties.BucketEncryption'],
    [
      'container-image.ts',
      'EnvironmentContainersIngestA7244157 (AWS::ECS::TaskDefinition) Properties.ContainerDefinitions[0].Image',
    ],
    [
      'extra-permission.ts',
      'EnvironmentContainersIngestTaskRoleDefaultPolicy1C03B68E (AWS::IAM::Policy) Properties.PolicyDocument.Statement',
    ],
    [
      'missing-test.ts',
      'EnvironmentOrdersPipeline8A7E1154 (AWS::StepFunctions::StateMachine) Properties.DefinitionString.States["Test: orders row count"]',
    ],
  ])('should exit 1 for the drift fixture %s, naming the resource and property', async (fixture, where) => {
    const { code, stdout, stderr } = await kitchen('align', '--app', path.join(FIXTURES, fixture));
    expect(code).toBe(1);
    expect(stdout).toContain('Undeclared drift (');
    expect(stdout).toContain(`  ${where}`);
    expect(stderr).toMatch(/error: dev and production are not aligned: \d undeclared difference\(s\)\n$/);
  });

  it('should exit 0 for identical pipelines in both environments', async () => {
    const { code } = await kitchen('align', '--app', path.join(FIXTURES, 'pipelines-aligned.ts'));
    expect(code).toBe(0);
  });

  it('fails with exit 2 on an unknown environment', async () => {
    const { code, stderr } = await kitchen('align', '--to', 'staging');
    expect(code).toBe(2);
    expect(stderr).toContain('error: kitchen align: ');
    expect(stderr).toContain('no environment named "staging"; environments are: production, dev');
  });

  it('fails with exit 2 when --app does not export buildApp', async () => {
    const { code, stderr } = await kitchen('align', '--app', path.join(FIXTURES, 'drift.ts'));
    expect(code).toBe(2);
    expect(stderr).toContain('the module must export a function buildApp(config, options), like lib/app.ts');
  });

  it('fails with exit 2 when the config file is missing', async () => {
    const { code, stderr } = await run(['align'], '/nonexistent/kitchens.config.yaml');
    expect(code).toBe(2);
    expect(stderr).toContain('/nonexistent/kitchens.config.yaml: config file not found');
  });
});

describe('kitchen align: an app that cannot be built is bad input (exit 2)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'align-broken-app-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it.each([
    [
      'a syntax error in the module',
      'syntax.ts',
      'export const buildApp = (config) => {{ ;\n',
      'cannot load the module',
    ],
    [
      'a syntax error in a module it imports',
      'imports-broken.ts',
      "export { buildApp } from './broken-helper';\n",
      'cannot load the module',
    ],
    [
      'an error thrown while building',
      'throws.ts',
      "export function buildApp() {\n  throw new Error('no such bucket construct');\n}\n",
      'kitchen align: no such bucket construct',
    ],
  ])('fails with exit 2 on %s', async (_what, file, text, message) => {
    write('broken-helper.ts', 'export const buildApp = (( ;\n');
    const { code, stderr } = await kitchen('align', '--app', write(file, text));
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('kitchen promote-report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promote-report-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const openWarehouse = path.join(FIXTURES, 'corpus', 'open-warehouse.ts');

  it('fails with exit 2 without --base, with an unknown ref, or a budget out of range', async () => {
    const none = await kitchen('promote-report');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--base is required: a git ref such as origin/main, or "deployed"');
    const unknown = await kitchen('promote-report', '--base', 'no-such-branch-here');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--base no-such-branch-here: not a commit in ');
    const budget = await kitchen('promote-report', '--base', 'HEAD', '--budget', '70000');
    expect(budget.code).toBe(2);
    expect(budget.stderr).toContain('--budget must be an integer from 1000 to 65536, got: "70000"');
  });

  it('should build the base from a git worktree of the ref and report a change made to both environments as a widening', async () => {
    const out = path.join(dir, 'report.md');
    const comment = path.join(dir, 'comment.md');
    const { code, stdout, stderr } = await kitchen(
      'promote-report',
      '--base',
      'HEAD',
      '--out',
      out,
      '--comment',
      comment,
      '--app',
      openWarehouse,
    );
    expect({ code, stderr: code === 0 ? '' : stderr }).toStrictEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(`wrote ${out} and ${comment}\n`);
    const md = fs.readFileSync(out, 'utf8');
    expect(md).toMatch(
      /^# Promotion report: production\n\nWhat this change does to `production`: `HEAD` \([0-9a-f]{7}\) → this change\./,
    );
    expect(md).toContain('- Network (security group) rules widened: **yes**');
    expect(md).toContain(
      '| + | ${EnvironmentWarehouseSecurityGroup0149C8D6.GroupId} | In | TCP 0-65535 | Everyone (IPv4) |',
    );
    // the change is in both environments: alignment holds, and nothing else changed
    expect(md).toContain('- Alignment (dev against production): **holds**');
    expect(md).toContain('- Resources: 0 added, 0 replaced, 0 removed, 1 updated');
    expect(fs.readFileSync(comment, 'utf8')).toContain('In the full report (build artifact `promotion-report`).');
    // the base is built (npm run build) and synthesized in its own worktree: minutes on a busy 2-core machine
  }, 600_000);

  describe('against the deployed stack (CloudFormation GetTemplate on moto)', () => {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    const cfn = motoCloudFormation('eu-west-1');
    beforeAll(() => {
      process.env.AWS_ENDPOINT_URL = motoEndpoint();
    });
    afterAll(async () => {
      await cfn.send(new DeleteStackCommand({ StackName: 'acme-production' }));
      cfn.destroy();
      if (endpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = endpoint;
    });

    it('should report everything as added while the stack does not exist', async () => {
      const { code, stdout } = await kitchen('--json', 'promote-report', '--base', 'deployed');
      expect(code).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary.base).toBe('deployed (acme-production does not exist)');
      expect(summary.resources.length).toBeGreaterThan(50);
      expect(summary.resources.every((r: { change: string }) => r.change === 'added')).toBe(true);
    });

    it('should read the deployed template and report the widening against it', async () => {
      // moto's CloudFormation cannot create the whole environment: deploy its warehouse security group and VPC
      const synthesized = synthesizeEnvironments(exampleConfig(), ['production']).production.Resources!;
      const group = synthesized[WAREHOUSE_GROUP];
      const vpc = (group.Properties!.VpcId as { Ref: string }).Ref;
      const deployed = { Resources: { [WAREHOUSE_GROUP]: group, [vpc]: synthesized[vpc] } };
      await cfn.send(new CreateStackCommand({ StackName: 'acme-production', TemplateBody: JSON.stringify(deployed) }));
      const { code, stdout } = await kitchen('--json', 'promote-report', '--base', 'deployed', '--app', openWarehouse);
      expect(code).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary).toMatchObject({
        environment: 'production',
        base: 'deployed `acme-production`',
        securityGroupWidening: true,
      });
      const changes = summary.resources as { logicalId: string; change: string; properties: string[] }[];
      // the deployed resources are updated only where the change touched them; the rest is added
      expect(changes.filter((r) => r.change !== 'added')).toStrictEqual([
        {
          logicalId: WAREHOUSE_GROUP,
          type: 'AWS::EC2::SecurityGroup',
          change: 'updated',
          properties: ['SecurityGroupIngress'],
        },
      ]);
      // a deployed stack carries no pipeline definitions: state machines are listed by resource
      expect(summary.pipelines).toStrictEqual([]);
      // (the pipeline's own machine and its two shared child machines, Run SQL and Evaluate test)
      expect(summary.stateMachines).toStrictEqual([
        'EnvironmentPipelineOrders3FC91390 (added)',
        'EnvironmentPipelineOrdersRunnersSqlSqlRunnerDA754C5E (added)',
        'EnvironmentPipelineOrdersRunnersTestTestRunnerD0DED409 (added)',
      ]);
    });
  });
});
