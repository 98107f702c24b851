/**
 * `kitchen run --local --app-command` as a user runs it: the compiled CLI (dist/bin/kitchen.js, built by `npm ci` /
 * `npm run build`) in its own process, with a config and pipeline of its own. The local command stands in for the
 * app's configured command (`python -m acme.transform`) and keeps the step's own arguments after it.
 *
 * Why the first attempt at this failed: its stand-in was `node -e SCRIPT` and the step's arguments `--report daily`
 * came after it, where node reads them as its own options (`node: bad option: --report`, exit 9). The stand-in here is
 * a script file, so the arguments reach the script.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'bin', 'kitchen.js');
const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-app-command-'));
  const config = fs
    .readFileSync(path.join(ROOT, 'kitchens.config.yaml'), 'utf8')
    .replace('pipelines: [pipelines/orders.yaml]', 'pipelines: [args.yaml]');
  fs.writeFileSync(path.join(dir, 'kitchens.config.yaml'), config);
  fs.writeFileSync(
    path.join(dir, 'args.yaml'),
    [
      'id: args',
      'steps:',
      '  - id: report',
      '    type: container',
      '    app: transform',
      '    command: [python, -m, acme.transform, --report, daily]',
      `    environment: { ARGS_FILE: ${JSON.stringify(path.join(dir, 'report.json'))} }`,
      '  - id: other',
      '    type: container',
      '    app: transform',
      '    after: [report]',
      '    command: [bash, run.sh, --full]',
      `    environment: { ARGS_FILE: ${JSON.stringify(path.join(dir, 'other.json'))} }`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'echo-args.js'),
    "require('fs').writeFileSync(process.env.ARGS_FILE, JSON.stringify(process.argv.slice(2)));\n",
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('kitchen run --local --app-command, in its own process', () => {
  it("should run the local command with the step's own arguments after it", async () => {
    expect(fs.existsSync(CLI)).toBe(true);
    const { code, stdout, stderr } = await cli([
      '--config',
      path.join(dir, 'kitchens.config.yaml'),
      // the bundled app (it builds from the config the CLI gives it as the `config` context): no cdk.json here
      '--app',
      `node ${path.join(ROOT, 'dist', 'bin', 'app.js')}`,
      'run',
      'args',
      '--local',
      '--pg-url',
      pgUrl,
      '--data-lake',
      path.join(dir, 'lake'),
      '--app-command',
      `transform=node ${path.join(dir, 'echo-args.js')}`,
    ]);
    expect([code, stdout.trim().split('\n').pop()]).toStrictEqual([
      0,
      'pipeline args succeeded: 0 tests, 0 failed, 0 errored, 0 alerts',
    ]);
    expect(stderr).toContain('compiling pipeline args for dev...');
    // The step's command started with the app's configured command: only the arguments after it are kept.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'))).toStrictEqual(['--report', 'daily']);
    // A command that does not start with it is kept whole.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'other.json'), 'utf8'))).toStrictEqual([
      'bash',
      'run.sh',
      '--full',
    ]);
  });
});
