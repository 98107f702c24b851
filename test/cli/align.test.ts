import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kitchen as run } from './support/cli';
import { EXAMPLE_CONFIG } from '../support/app';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'align');

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

describe('kitchen promote-report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promote-report-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should write the Markdown report to --out', async () => {
    const out = path.join(dir, 'report.md');
    const { code, stdout } = await kitchen(
      'promote-report',
      '--from',
      'dev',
      '--to',
      'production',
      '--out',
      out,
      '--app',
      path.join(FIXTURES, 'promotion.ts'),
    );
    expect(code).toBe(0);
    expect(stdout).toBe(`wrote ${out}\n`);
    const md = fs.readFileSync(out, 'utf8');
    expect(md.split('\n')[0]).toBe('# Promotion report: dev → production');
    expect(md.indexOf('s3:DeleteBucket')).toBeLessThan(md.indexOf('## Resources added, replaced and removed'));
    expect(md).toContain('```mermaid\ngraph TD\n');
  });

  it('should print the report on stdout without --out, and a summary with --json', async () => {
    const plain = await kitchen('promote-report');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('- Alignment: **holds**');
    const json = await kitchen('--json', 'promote-report', '--app', path.join(FIXTURES, 'promotion.ts'));
    expect(JSON.parse(json.stdout)).toMatchObject({
      from: 'dev',
      to: 'production',
      iamWidening: true,
      aligned: false,
      pipelines: [{ change: 'changed' }],
    });
  });
});
