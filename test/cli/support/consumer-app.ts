/**
 * A user's own CDK app for CLI tests: the layout `cdk init app --language typescript` writes (its cdk.json feature
 * flags and tsconfig), the files of examples/consumer-app (release environments from YAML, a pipeline written with
 * the TypeScript builder, a stack of its own), and `cdk-kitchens` linked to this repository's build (dist/, built by
 * `npm ci` / `npm run build`) with its aws-cdk-lib and constructs. cdk.json's app runs bin/consumer.ts through this
 * repository's ts-node (swc), where a fresh app would use tsx: the packed library is proven by .ci/consumer-cli.sh.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const TS_NODE = path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js');

/** The command that runs a TypeScript file of the consumer app. */
export function tsCommand(file: string): string {
  return `node ${TS_NODE} --swc ${file}`;
}

/** Environment for the CDK CLI: no notices, version check or telemetry (no network here). */
export const CDK_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CDK_DISABLE_VERSION_CHECK: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

/** Creates the consumer app in a new temporary directory and returns that directory. */
export function consumerApp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-consumer-'));
  execFileSync(CDK, ['init', 'app', '--language', 'typescript', '--generate-only', '--no-notices'], {
    cwd: dir,
    env: CDK_ENV,
    stdio: 'ignore',
  });
  for (const generated of ['bin', 'lib', 'test'])
    fs.rmSync(path.join(dir, generated), { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'examples', 'consumer-app'), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'cdk-kitchens'), 'dir');
  for (const dependency of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', dependency), path.join(dir, 'node_modules', dependency), 'dir');
  }
  const cdkJson = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.json'), 'utf8')) as { app: string };
  cdkJson.app = tsCommand('bin/consumer.ts');
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify(cdkJson, null, 2));
  return dir;
}

/** `cdk synth` of the consumer app (cdk.json's app) with `-c KEY=VALUE` context, into `out`. */
export function cdkSynth(dir: string, out: string, context: Readonly<Record<string, string>>): void {
  execFileSync(
    CDK,
    [
      'synth',
      '--quiet',
      '--no-notices',
      '-o',
      out,
      ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    { cwd: dir, env: CDK_ENV, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** A stack's template in a cloud assembly directory. */
export function templateOf(
  out: string,
  stackName: string,
): { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } {
  return JSON.parse(fs.readFileSync(path.join(out, `${stackName}.template.json`), 'utf8'));
}
