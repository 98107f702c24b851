/**
 * Commands that do not synthesize must start fast: `kitchen list --help` (and the other Kitchen commands' help)
 * must not load aws-cdk-lib, the CDK Toolkit Library or the AWS SDK; `kitchen --help` lists every command without
 * loading any command module, and a command loads only its own. Checked in a fresh process through require.cache,
 * with the real entry point.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { COMMANDS } from '../../lib/cli/commands';

const ROOT = path.join(__dirname, '..', '..');

/** The registered commands among the command modules a run loaded (helpers such as kitchen-progress left out). */
function commandsLoaded(run: Loaded): string[] {
  return run.commands.filter((file) => COMMANDS.some((c) => c.name === file));
}

interface Loaded {
  readonly loaded: string[];
  readonly packages: string[];
  readonly commands: string[];
  readonly modules: number;
  readonly stdout: string;
}

function loadedBy(args: readonly string[]): Loaded {
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
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<Loaded, 'stdout'>;
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { ...report, stdout };
}

/** Like `loadedBy`, for a run that fails: its exit code and stderr too. */
function failedRun(args: readonly string[], cwd = ROOT): Loaded & { code: number | null; stderr: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-startup-')), 'loaded.json');
  const run = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'),
      '--swc',
      '-r',
      path.join(__dirname, 'support', 'loaded-modules.js'),
      path.join(ROOT, 'bin', 'kitchen.ts'),
      ...args,
    ],
    {
      cwd,
      env: { ...process.env, KITCHENS_LOADED_FILE: file, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
      encoding: 'utf8',
    },
  );
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<Loaded, 'stdout'>;
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { ...report, stdout: run.stdout, stderr: run.stderr, code: run.status };
}

describe('CLI start-up', () => {
  it('should list every command for kitchen --help without loading any command module', () => {
    const run = loadedBy(['--help']);
    for (const command of COMMANDS) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command.name} +${command.summary.split(' ')[0]} `, 'm'));
    }
    expect(run.commands).toStrictEqual([]);
    expect(run.packages).toStrictEqual(['commander']);
    expect(run.loaded).toStrictEqual([]);
  });

  it('should print the package version for kitchen --version without loading any command module', () => {
    const run = loadedBy(['--version']);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run.stdout).toBe(`${manifest.version}\n`);
    expect(run.commands).toStrictEqual([]);
    expect(run.packages).toStrictEqual(['commander']);
  });

  it('should load only the name command, and no package but commander, for kitchen name --from-branch', () => {
    const run = loadedBy(['name', '--from-branch', 'feature/JIRA-12_Profit-Report']);
    expect(run.stdout.trim()).toBe('jira-12-profit-report');
    expect(run.commands).toStrictEqual(['name']);
    expect(run.packages).toStrictEqual(['commander']);
  });

  it('should load only the command asked for, after global options and through kitchen help NAME', () => {
    const run = loadedBy(['--config', 'kitchens.config.yaml', '--json', 'help', 'align']);
    expect(run.stdout).toContain('Usage: kitchen align [options]');
    expect(commandsLoaded(run)).toStrictEqual(['align']);
    expect(run.loaded).toStrictEqual([]);
  });

  it('should not load aws-cdk-lib, the toolkit or the SDK for kitchen list --help', () => {
    const run = loadedBy(['list', '--help']);
    expect(run.stdout).toContain('Usage: kitchen list [options]');
    expect(run.loaded).toStrictEqual([]);
    expect(commandsLoaded(run)).toStrictEqual(['list']);
  });

  it('should not load them for the help of create, delete and status either', () => {
    for (const command of ['create', 'delete', 'status']) {
      const run = loadedBy([command, '--help']);
      expect(run.stdout).toContain(`Usage: kitchen ${command} [options] <name>`);
      expect(run.loaded).toStrictEqual([]);
      expect(commandsLoaded(run)).toStrictEqual([command]);
    }
  });

  it('should refuse bad arguments of the synthesizing commands without synthesizing or loading aws-cdk-lib', () => {
    // GIVEN a working directory whose cdk.json app would write a marker file if it ever ran
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-startup-app-'));
    const marker = path.join(dir, 'synthesized');
    fs.writeFileSync(
      path.join(dir, 'cdk.json'),
      JSON.stringify({ app: `node -e "require('fs').writeFileSync('${marker}', '')"` }),
    );
    const config = path.join(ROOT, 'kitchens.config.yaml');
    const cases: [string[], RegExp][] = [
      [['create', 'X', '--dry-run'], /^error: Kitchen name "X"/m],
      [['create', 'profit-report', '--dry-run', '--ttl', '99d'], /^error: --ttl must be at most/m],
      [['run', 'orders', '--local', '--pg-url', 'mysql://x'], /^error: --pg-url must be a PostgreSQL URL/m],
      [['history', 'orders', '--last', 'ten'], /^error: --last must be an integer/m],
      [['metrics', '--since', 'yesterday'], /^error: --since/m],
      [['align', '--env', 'dev'], /^error: kitchen align: --env goes with --kitchen/m],
    ];
    try {
      for (const [args, message] of cases) {
        const run = failedRun(['--config', config, ...args], dir);
        expect({ args, code: run.code, loaded: run.loaded }).toStrictEqual({ args, code: 2, loaded: [] });
        expect(run.stderr).toMatch(message);
      }
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
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
