/**
 * Every form of `--app` the docs show (docs/cli.md, docs/alignment.md) gives `kitchen align` the same answer on the
 * bundled example: cdk.json's app (the compiled bin/app.ts, built by `npm ci` / `npm run build`), the same app given
 * as a command, the cloud assembly `cdk synth` wrote, and the earlier form, a module exporting buildApp (in process).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kitchen } from './support/cli';

const ROOT = path.join(__dirname, '..', '..');
let out: string;

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-app-forms-'));
  // `npx cdk synth -q -o DIR` of cdk.json's app, as a user would (the CDK CLI's own defaults: cdk-nag on)
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '-o', out], {
    cwd: ROOT,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
});

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** The JSON answer without its timing. */
async function align(args: readonly string[]): Promise<unknown> {
  const run = await kitchen(['--json', ...args]);
  expect({ args, code: run.code, error: run.stderr.match(/^error: .*/m)?.[0] }).toStrictEqual({
    args,
    code: 0,
    error: undefined,
  });
  const result = JSON.parse(run.stdout) as { durationMs?: number };
  delete result.durationMs;
  return result;
}

describe('kitchen align with each form of --app', () => {
  it('should give the same alignment from cdk.json, a command, a buildApp module and a cloud assembly', async () => {
    const fromCdkJson = await align(['align']);
    expect(fromCdkJson).toMatchObject({ from: 'dev', to: 'production', aligned: true });
    expect(await align(['--app', 'node dist/bin/app.js', 'align'])).toStrictEqual(fromCdkJson);
    // cdk synth adds path metadata (aws:cdk:path names the stack) and the version-reporting resource: more identity
    // differences, the same drift and divergence
    const fromAssembly = (await align(['--app', out, 'align'])) as typeof fromCdkJson & Record<string, unknown>;
    const notIdentity = (r: unknown) => {
      const { counts, differences, ...rest } = r as {
        counts: Record<string, number>;
        differences: { classification: string }[];
      };
      return {
        ...rest,
        counts: { ...counts, identity: undefined },
        differences: differences.filter((d) => d.classification !== 'identity'),
      };
    };
    expect(notIdentity(fromAssembly)).toStrictEqual(notIdentity(fromCdkJson));
    expect((fromAssembly as { counts: { identity: number } }).counts.identity).toBeGreaterThan(
      (fromCdkJson as { counts: { identity: number } }).counts.identity,
    );
    expect(await align(['align', '--app', path.join(ROOT, 'lib', 'app.ts')])).toStrictEqual(fromCdkJson);
  });

  it("should give the same Kitchen alignment from cdk.json's app and from a buildApp module", async () => {
    const fromCdkJson = await align(['align', '--kitchen', 'ci-check']);
    expect(fromCdkJson).toMatchObject({
      kitchen: 'ci-check',
      environment: 'dev',
      aligned: true,
      pipelines: ['orders'],
    });
    expect(await align(['align', '--kitchen', 'ci-check', '--app', path.join(ROOT, 'lib', 'app.ts')])).toStrictEqual(
      fromCdkJson,
    );
  });
});
