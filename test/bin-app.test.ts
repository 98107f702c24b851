import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tempOutdir } from './support/synth';

const ROOT = path.join(__dirname, '..');

/** Runs bin/app.ts the way `cdk synth` does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function cdkApp(context: Record<string, string>, validation: string | undefined = 'false') {
  const outdir = tempOutdir('bin-app');
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_OUTDIR: outdir,
      CDK_VALIDATION: validation,
      TS_NODE_SWC: 'true',
    },
  });
  const templates = fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')) : [];
  const reportFile = path.join(outdir, 'validation-report.json');
  const report = fs.existsSync(reportFile)
    ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { pluginReports: { pluginName: string }[] })
    : { pluginReports: [] };
  fs.rmSync(outdir, { recursive: true, force: true });
  return {
    code: result.status,
    stderr: result.stderr,
    templates,
    plugins: report.pluginReports.map((p) => p.pluginName),
  };
}

describe('bin/app.ts, the app cdk synth runs', () => {
  it('should synthesize the environments and the Kitchen named in the context', () => {
    const { code, templates } = cdkApp({ kitchen: 'profit-report' });
    expect(code).toBe(0);
    expect(templates).toEqual(
      expect.arrayContaining([
        'acme-production.template.json',
        'acme-dev.template.json',
        'acme-dev-kitchen-profit-report.template.json',
      ]),
    );
  });

  it("should not run CDK's CloudFormation validation when CDK_VALIDATION is not set (the developer default)", () => {
    const { code, templates, plugins } = cdkApp({}, undefined);
    expect(code).toBe(0);
    expect(templates).toContain('acme-production.template.json');
    expect(plugins).not.toContain('CloudFormation Validate');
  });

  it('fails with exit 2 and one message, writing no template, on a bad Kitchen name', () => {
    const { code, stderr, templates } = cdkApp({ kitchen: 'Profit' });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'context kitchen: Kitchen name "Profit" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
    );
    expect(templates).toStrictEqual([]);
  });

  it('fails with exit 2 on a missing config file', () => {
    const { code, stderr } = cdkApp({ config: 'nope.yaml' });
    expect(code).toBe(2);
    expect(stderr).toContain('nope.yaml: config file not found');
  });

  describe('bad input files: exit 2, one line naming the file, no stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bin-app-bad-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const example = fs.readFileSync(path.join(ROOT, 'kitchens.config.yaml'), 'utf8');
    const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      bomb.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), `${example}\n${bomb.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'passwd.yaml'), example.replace('[pipelines/orders.yaml]', '[../../etc/passwd]'));
    fs.mkdirSync(path.join(dir, 'pipelines'));
    fs.writeFileSync(path.join(dir, 'folder.yaml'), example.replace('[pipelines/orders.yaml]', '[pipelines]'));

    it.each([
      ['a directory as the config', dir, `${dir}: the config file is a directory, not a regular file`],
      ['/dev/zero as the config', '/dev/zero', '/dev/zero: the config file is a character device, not a regular file'],
      [
        'a YAML alias bomb',
        path.join(dir, 'bomb.yaml'),
        `${path.join(dir, 'bomb.yaml')}: invalid YAML: its aliases (*name) expand more than 100 times`,
      ],
      [
        'a pipeline path outside the config directory',
        path.join(dir, 'passwd.yaml'),
        `${path.join(dir, 'passwd.yaml')}: pipelines[0] must be a path inside the config file's directory (relative, without leaving it), got: "../../etc/passwd"`,
      ],
      [
        'a directory in pipelines:',
        path.join(dir, 'folder.yaml'),
        `${path.join(dir, 'folder.yaml')}: pipelines[0] must name a pipeline file, got: "pipelines", which is a directory`,
      ],
    ])('fails on %s', (_what, config, message) => {
      const { code, stderr, templates } = cdkApp({ config });
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(message);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(stderr).not.toContain('root:');
      expect(templates).toStrictEqual([]);
    });
  });
});
