import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { App } from 'aws-cdk-lib';
import { newestNodeRuntime } from '../../constructs/core/runtime';

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

/**
 * Runs the pre-installed cfn-lint with the repository's .cfnlintrc.yaml; returns its exit code and output.
 *
 * One finding is taken out, and only in one form: E3030 on the Node.js runtime the library's functions use
 * (`newestNodeRuntime()`, the newest aws-cdk-lib knows), when cfn-lint's bundled schema does not list it yet
 * (cfn-lint 1.51 stops at nodejs24.x; aws-cdk-lib 2.278 knows nodejs26.x, and CDK's own CloudFormation validation
 * accepts it). Every other finding, E3030 on any other value included, stays.
 */
export function cfnLint(templates: readonly string[]): { code: number; output: string } {
  let code = 0;
  let output: string;
  try {
    output = execFileSync('cfn-lint', ['--', ...templates], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    code = err.status;
    output = `${err.stdout}${err.stderr}`;
  }
  const runtime = newestNodeRuntime().name;
  const findings = output.split(/\n\n/).filter((f) => f.trim() !== '');
  const kept = findings.filter((f) => !isUnlistedRuntime(f, runtime));
  if (kept.length === findings.length) return { code, output };
  return { code: kept.length === 0 ? 0 : code, output: kept.map((f) => `${f}\n\n`).join('') };
}

/** Whether a cfn-lint finding is E3030 refusing exactly `runtime` from an allowed list that lacks it. */
function isUnlistedRuntime(finding: string, runtime: string): boolean {
  const match = /^E3030 '([^']+)' is not one of \[([^\]]*)\]/.exec(finding.trim());
  return match !== null && match[1] === runtime && !match[2].split(', ').includes(`'${runtime}'`);
}
