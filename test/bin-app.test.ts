import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempOutdir } from './support/synth';

const ROOT = path.join(__dirname, '..');

/** Runs bin/app.ts the way `cdk synth` does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function cdkApp(context: Record<string, string>) {
  const outdir = tempOutdir('bin-app');
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_OUTDIR: outdir,
      CDK_VALIDATION: 'false',
      TS_NODE_SWC: 'true',
    },
  });
  const templates = fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')) : [];
  fs.rmSync(outdir, { recursive: true, force: true });
  return { code: result.status, stderr: result.stderr, templates };
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
});
