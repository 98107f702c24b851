/**
 * How the CLI finds the user's app (`--app`, else cdk.json, as the CDK CLI does) and how it reports an app that
 * failed: read from real files, nothing run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliError } from '../../../lib/cli/errors';
import { resolveAppSource, synthesisError } from '../../../lib/kitchen/app-source';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-app-source-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const refused = (run: () => unknown): CliError => {
  try {
    run();
  } catch (e) {
    return e as CliError;
  }
  throw new Error('expected a refusal');
};

describe('resolveAppSource', () => {
  it('should take the app of cdk.json in the working directory, with where it was found', () => {
    fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: ' npx tsx bin/app.ts ', context: {} }));
    expect(resolveAppSource(undefined, { cwd: dir })).toStrictEqual({
      kind: 'command',
      command: 'npx tsx bin/app.ts',
      workingDirectory: dir,
      origin: { cdkJson: path.join(dir, 'cdk.json') },
    });
  });

  it('should take --app over cdk.json: a command, a cloud assembly directory, or (when allowed) a module', () => {
    fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: 'node bin/app.js' }));
    fs.mkdirSync(path.join(dir, 'cdk.out'));
    fs.writeFileSync(path.join(dir, 'cdk.out', 'manifest.json'), '{}');
    fs.writeFileSync(path.join(dir, 'drift.ts'), 'export const buildApp = () => undefined;\n');
    expect(resolveAppSource('node other.js', { cwd: dir })).toStrictEqual({
      kind: 'command',
      command: 'node other.js',
      workingDirectory: dir,
      origin: '--app',
    });
    expect(resolveAppSource('cdk.out', { cwd: dir })).toStrictEqual({
      kind: 'assembly',
      directory: path.join(dir, 'cdk.out'),
      origin: '--app',
    });
    expect(resolveAppSource('drift.ts', { cwd: dir, modules: true })).toStrictEqual({
      kind: 'module',
      module: path.join(dir, 'drift.ts'),
      origin: '--app',
    });
    // without `modules` a file is a command, as the CDK CLI runs `--app bin/app.js`
    expect(resolveAppSource('drift.ts', { cwd: dir })).toMatchObject({ kind: 'command', command: 'drift.ts' });
  });

  it('fails with exit code 2 when no app can be found or cdk.json does not name one', () => {
    const none = refused(() => resolveAppSource(undefined, { cwd: dir }));
    expect(none.message).toBe(
      `no CDK app to read: there is no cdk.json in ${dir} and no --app was given; run kitchen in your CDK app's ` +
        'directory, or give --app COMMAND (such as "npx ts-node bin/app.ts") or --app DIRECTORY (a cloud assembly)',
    );
    expect(none.exitCode).toBe(2);
    fs.writeFileSync(path.join(dir, 'cdk.json'), '{ "app": ');
    expect(refused(() => resolveAppSource(undefined, { cwd: dir })).message).toMatch(
      new RegExp(`^${path.join(dir, 'cdk.json').replace(/[.]/g, '\\.')}: not valid JSON`),
    );
    fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ context: {} }));
    expect(refused(() => resolveAppSource(undefined, { cwd: dir })).message).toBe(
      `${path.join(dir, 'cdk.json')}: "app" must be the command that synthesizes your CDK app (such as ` +
        '"npx ts-node bin/app.ts"), got: null',
    );
    expect(refused(() => resolveAppSource(dir, { cwd: dir })).message).toContain(
      'the directory is not a cloud assembly (it has no manifest.json)',
    );
    expect(refused(() => resolveAppSource('gone.ts', { cwd: dir, modules: true })).message).toBe(
      `--app gone.ts: the module does not exist (looked for ${path.join(dir, 'gone.ts')})`,
    );
  });
});

describe('synthesisError', () => {
  const source = {
    kind: 'command',
    command: 'node bin/app.js',
    workingDirectory: '/work/shop',
    origin: '--app',
  } as const;

  it("should show the app's own first error lines without its stack frames, and say how many more there are", () => {
    const lines = [
      '/work/shop/bin/app.js:3',
      'ConfigError: kitchens.config.yaml: environments.dev.account must be 12 digits, got: "12"',
      '    at loadConfig (/work/shop/node_modules/cdk-kitchens/dist/lib/config/loader.js:183:11)',
      '    at Object.<anonymous> (/work/shop/bin/app.js:3:1) {',
      '    at node:internal/main/run_main_module:28:49',
      ...Array.from({ length: 14 }, (_, i) => `detail ${i + 1}`),
    ];
    const error = synthesisError(source, new Error('Subprocess exited with error 1'), lines) as CliError;
    expect(error.exitCode).toBe(2);
    expect(error.message.split('\n')).toStrictEqual([
      'the app "node bin/app.js" (--app) failed to synthesize in /work/shop: its first error lines:',
      '  | /work/shop/bin/app.js:3',
      '  | ConfigError: kitchens.config.yaml: environments.dev.account must be 12 digits, got: "12"',
      ...Array.from({ length: 10 }, (_, i) => `  | detail ${i + 1}`),
      '  | ... (4 more lines)',
    ]);
  });

  it('should exit 1 when error annotations (cdk-nag findings) stopped a synth that ran', () => {
    const error = synthesisError(source, new Error('Synthesis finished with errors'), []) as CliError;
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      'the app "node bin/app.js" (--app) synthesized with errors (printed above): cdk-nag findings and other error ' +
        'annotations stop the synth, as cdk deploy does',
    );
  });
});
