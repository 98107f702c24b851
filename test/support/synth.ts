import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { App } from 'aws-cdk-lib';

/** Synthesizes an app into a fresh directory; returns the directory and the cdk-nag violations, if any. */
export function synthToDir(app: App): { dir: string; violations: string[] } {
  const dir = (app as unknown as { outdir: string }).outdir;
  try {
    app.synth();
    return { dir, violations: [] };
  } catch (e) {
    const report = path.join(dir, 'validation-report.json');
    if (!fs.existsSync(report)) throw e;
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    const violations: string[] = [];
    for (const plugin of json.pluginReports ?? []) {
      for (const v of plugin.violations ?? []) {
        for (const c of v.violatingConstructs ?? []) violations.push(`${v.ruleName} at ${c.constructPath}`);
      }
    }
    return { dir, violations };
  }
}

export function tempOutdir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kitchens-${prefix}-`));
}

/** Runs the pre-installed cfn-lint with the repository's .cfnlintrc.yaml; returns its exit code and output. */
export function cfnLint(templates: readonly string[]): { code: number; output: string } {
  try {
    const output = execFileSync('cfn-lint', ['--', ...templates], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { code: 0, output };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, output: `${err.stdout}${err.stderr}` };
  }
}
