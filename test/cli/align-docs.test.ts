/**
 * Every example of docs/alignment.md, run as written with the compiled CLI (dist/bin/kitchen.js, built by `npm ci` /
 * `npm run build`) in its own process: each `kitchen ...` line of the page's `sh` blocks, with the exit status it
 * must give. An example added to the page without an entry here fails the test.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { motoEndpoint } from '../lib/kitchen/moto';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'bin', 'kitchen.js');
const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'alignment.md'), 'utf8');

/** The `kitchen` lines of the page's `sh` blocks, without their comments. */
const examples = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split('\n'))
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => line.startsWith('kitchen '));

/** Exit status of each example, and where it runs: the repository, or a clone of it with `origin/main`. */
const EXPECTED: Record<string, { code: number; where: 'repository' | 'clone'; check?: (stdout: string) => void }> = {
  'kitchen align': { code: 0, where: 'repository' },
  'kitchen align --from dev --to production --json': {
    code: 0,
    where: 'repository',
    check: (stdout) => expect(JSON.parse(stdout)).toMatchObject({ from: 'dev', to: 'production', aligned: true }),
  },
  'kitchen align --app test/fixtures/align/encryption-off.js': {
    code: 1,
    where: 'repository',
    check: (stdout) =>
      expect(stdout).toContain('EnvironmentDataLakeLanding971B00A8 (AWS::S3::Bucket) Properties.BucketEncryption'),
  },
  'kitchen --app "node dist/bin/app.js" align': { code: 0, where: 'repository' },
  'kitchen --app cdk.out align': { code: 0, where: 'clone' },
  'kitchen align --kitchen ci-check': { code: 0, where: 'repository' },
  'kitchen promote-report --base origin/main --out report.md --comment comment.md': { code: 0, where: 'clone' },
  'kitchen promote-report --base deployed --out deployed-report.md': { code: 0, where: 'clone' },
};

function run(line: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // words as a shell splits them here: double-quoted strings are one word
  const args = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd,
        encoding: 'utf8',
        timeout: 900_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, AWS_ENDPOINT_URL: motoEndpoint() },
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number) ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe('the examples of docs/alignment.md, with the compiled CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'align-docs-'));
  // a clone of this repository whose origin/main is its own HEAD: the report runs as in a pull request's checkout
  const clone = path.join(dir, 'clone');
  beforeAll(() => {
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone]);
    execFileSync('git', ['update-ref', 'refs/remotes/origin/main', 'HEAD'], { cwd: clone });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
    // the clone's cdk.json runs the compiled app, and `--app cdk.out` reads an assembly the app wrote there
    fs.symlinkSync(path.join(ROOT, 'dist'), path.join(clone, 'dist'), 'dir');
    execFileSync(process.execPath, [path.join('dist', 'bin', 'app.js')], {
      cwd: clone,
      env: { ...process.env, CDK_OUTDIR: path.join(clone, 'cdk.out'), CDK_VALIDATION: 'false' },
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should know the exit status of every example on the page', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(examples.filter((e) => !(e in EXPECTED))).toStrictEqual([]);
  });

  it.each(examples)(
    '%s',
    async (line) => {
      const expected = EXPECTED[line];
      const result = await run(line, expected.where === 'clone' ? clone : ROOT);
      expect({ code: result.code, stderr: result.code === expected.code ? '' : result.stderr }).toStrictEqual({
        code: expected.code,
        stderr: '',
      });
      expected.check?.(result.stdout);
      for (const file of line.match(/\S+\.md/g) ?? []) {
        expect(fs.readFileSync(path.join(clone, file), 'utf8')).toMatch(/^# Promotion report: production\n/);
      }
    },
    900_000,
  );
});
