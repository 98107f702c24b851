/**
 * Commands that do not synthesize must start fast: `kitchen list --help` (and the other Kitchen commands' help)
 * must not load aws-cdk-lib, the CDK Toolkit Library or the AWS SDK. Checked in a fresh process through
 * require.cache, with the real entry point.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

function loadedBy(args: readonly string[]): { loaded: string[]; modules: number; stdout: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-startup-')), 'loaded.json');
  const stdout = execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'),
      '--swc',
      '-r',
      path.join(__dirname, 'support', 'loaded-modules.js'),
      'bin/kitchen.ts',
      ...args,
    ],
    { cwd: ROOT, env: { ...process.env, KITCHENS_LOADED_FILE: file }, encoding: 'utf8' },
  );
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { loaded: string[]; modules: number };
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { ...report, stdout };
}

describe('CLI start-up', () => {
  it('should not load aws-cdk-lib, the toolkit or the SDK for kitchen list --help', () => {
    const run = loadedBy(['list', '--help']);
    expect(run.stdout).toContain('Usage: kitchen list [options]');
    expect(run.loaded).toStrictEqual([]);
  });

  it('should not load them for the help of create, delete and status either', () => {
    for (const command of ['create', 'delete', 'status']) {
      const run = loadedBy([command, '--help']);
      expect(run.stdout).toContain(`Usage: kitchen ${command} [options] <name>`);
      expect(run.loaded).toStrictEqual([]);
    }
  });

  it('should detect a loaded aws-cdk-lib (the check can fail)', () => {
    const file = path.join(os.tmpdir(), `kitchens-startup-${process.pid}.json`);
    execFileSync(
      process.execPath,
      ['-r', path.join(__dirname, 'support', 'loaded-modules.js'), '-e', "require('aws-cdk-lib')"],
      {
        cwd: ROOT,
        env: { ...process.env, KITCHENS_LOADED_FILE: file },
      },
    );
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { loaded: string[] };
    fs.rmSync(file, { force: true });
    expect(report.loaded).toStrictEqual(['aws-cdk-lib']);
  });
});
