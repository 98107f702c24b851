/**
 * The `kitchen` CLI on a user's own CDK app (issue 21), as `cdk synth` sees it: a `cdk init` layout with
 * examples/consumer-app (a pipeline written with the TypeScript builder and a stack of its own), cdk-kitchens linked
 * to this build (test/cli/support/consumer-app.ts). `kitchen create --dry-run` builds the same Kitchen stack as
 * `cdk synth -c kitchen=NAME`, a pipeline defined only in code runs with `kitchen run --local`, and an app that
 * cannot be found or fails says which app, how it was found and its own first error lines.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { loadConfig } from '../../lib/config/loader';
import {
  KitchenIoHost,
  kitchenToolkit,
  resolveAppSource,
  type SynthesizedAssembly,
} from '../../lib/kitchen/app-source';
import { createKitchen, type KitchenToolkit } from '../../lib/kitchen/deploy';
import { kitchen } from './support/cli';
import { readAssemblyTemplate } from '../../lib/templates';
import { cdkSynth, consumerApp, templateOf, tsCommand } from './support/consumer-app';

jest.setTimeout(600_000);

const KITCHEN = 'try-it';
const STACK = 'shop-dev-kitchen-try-it';
const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
let dir: string;
let config: string;
let out: string;
const cwd = process.cwd();

beforeAll(() => {
  dir = consumerApp();
  config = path.join(dir, 'kitchens.config.yaml');
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-consumer-synth-'));
  // The CLI finds the app as the CDK CLI does: cdk.json in the working directory.
  process.chdir(dir);
});

afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
});

/** The real Toolkit, keeping the Kitchen stack's template of what it synthesizes. */
async function recordingToolkit(): Promise<{ toolkit: KitchenToolkit; templates: unknown[] }> {
  const real = await kitchenToolkit(new KitchenIoHost(() => undefined));
  const templates: unknown[] = [];
  const toolkit: KitchenToolkit = {
    fromAssemblyBuilder: (builder, props) => real.fromAssemblyBuilder(builder, props),
    fromCdkApp: (app, props) => real.fromCdkApp(app, props),
    fromAssemblyDirectory: (directory) => real.fromAssemblyDirectory(directory),
    synth: async (cx, options) => {
      const assembly = (await real.synth(cx, options)) as unknown as SynthesizedAssembly;
      templates.push(assembly.cloudAssembly.stacksRecursively.find((s) => s.stackName === STACK)?.template);
      return assembly;
    },
    deploy: (cx, options) => real.deploy(cx, options),
    destroy: (cx, options) => real.destroy(cx, options),
  };
  return { toolkit, templates };
}

describe('kitchen create --dry-run on a consumer app', () => {
  it('should build the same Kitchen stack as cdk synth -c kitchen=NAME, with the builder pipeline', async () => {
    // GIVEN the app cdk.json names
    const source = resolveAppSource(undefined);
    expect(source).toStrictEqual({
      kind: 'command',
      command: tsCommand('bin/consumer.ts'),
      workingDirectory: dir,
      origin: { cdkJson: path.join(dir, 'cdk.json') },
    });
    const loaded = loadConfig(config);
    const { toolkit, templates } = await recordingToolkit();

    // WHEN kitchen create synthesizes it (the CLI's code path, dry run) and cdk synth gets the same context
    const created = await createKitchen(
      {
        config: loaded,
        environment: loaded.environments.find((e) => e.name === 'dev')!,
        name: KITCHEN,
        owner: 'alice',
        aws: { region: 'eu-west-1' },
        dryRun: true,
        app: source,
      },
      { toolkit },
    );
    cdkSynth(dir, out, created.context);

    // THEN both hold the same Kitchen stack, the pipeline written in TypeScript included
    const synthesized = templateOf(out, STACK);
    expect(templates).toHaveLength(1);
    expect(templates[0]).toStrictEqual(synthesized);
    expect(created.resourceCount).toBe(Object.keys(synthesized.Resources).length);
    // the pipeline is a nested stack: its machines are in the template the readers fold (lib/templates.ts)
    const machines = Object.values(readAssemblyTemplate<typeof synthesized>(out, `${STACK}.template.json`).Resources)
      .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map((r) => r.Properties?.StateMachineName)
      .sort();
    expect(machines).toStrictEqual([
      'shop-dev-try-it-daily-totals',
      'shop-dev-try-it-daily-totals_sql',
      'shop-dev-try-it-daily-totals_test',
    ]);
  });

  it('should read the Kitchen stack from a cloud assembly directory given as --app, without synthesizing', async () => {
    const run = await kitchen(['--json', '--app', out, 'create', KITCHEN, '--dry-run', '--owner', 'alice'], config);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { stackName: string; resourceCount: number };
    expect(result.stackName).toBe(STACK);
    expect(result.resourceCount).toBe(Object.keys(templateOf(out, STACK).Resources).length);
  });

  it('fails with exit code 2 when the assembly has no stack of that Kitchen', async () => {
    const run = await kitchen(['--app', out, 'create', 'other-one', '--dry-run', '--owner', 'alice'], config);
    expect(run.stderr).toContain(
      `error: the cloud assembly ${out} (--app) built no Kitchen stack named shop-dev-kitchen-other-one (it built: `,
    );
    expect(run.stderr).toContain("synthesize it with the Kitchen's context (cdk synth -c kitchen=NAME ...)");
    expect(run.code).toBe(2);
  });
});

describe('kitchen run --local on a consumer app', () => {
  const schema = 'k_cli_consumer';
  beforeAll(async () => {
    const client = new Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.orders (order_date date, amount numeric(12, 2))`);
    await client.query(`CREATE TABLE ${schema}.daily_totals (order_date date, total numeric(12, 2))`);
    await client.query(
      `INSERT INTO ${schema}.orders VALUES ('2026-05-01', 10), ('2026-05-01', 5), ('2026-05-02', 7.5)`,
    );
    await client.end();
  });

  it('should run the pipeline the app defines only in code (PipelineBuilder)', async () => {
    // GIVEN a local stand-in for the report app's container
    const published = path.join(dir, 'published.json');
    fs.writeFileSync(
      path.join(dir, 'publish.js'),
      `require('fs').writeFileSync(${JSON.stringify(published)}, JSON.stringify(process.argv.slice(2)));\n`,
    );
    const run = await kitchen(
      [
        'run',
        'daily-totals',
        '--local',
        '--pg-url',
        pgUrl,
        '--kitchen',
        'cli-consumer',
        '--data-lake',
        path.join(dir, 'lake'),
        '--app-command',
        `report=node ${path.join(dir, 'publish.js')}`,
      ],
      config,
    );
    expect(run.stderr).toContain(`synthesizing the app "${tsCommand('bin/consumer.ts')}" (the "app" of `);
    expect(run.stdout.trim().split('\n')).toStrictEqual([
      'PASS  sum-orders / daily totals row count: 2 (expected >= 1) [error]',
      'pipeline daily-totals succeeded: 1 tests, 0 failed, 0 errored, 0 alerts',
    ]);
    expect(run.code).toBe(0);
    expect(fs.existsSync(published)).toBe(true);
    const client = new Client({ connectionString: pgUrl });
    await client.connect();
    const totals = await client.query(
      `SELECT order_date::text AS day, total::text FROM ${schema}.daily_totals ORDER BY 1`,
    );
    await client.end();
    expect(totals.rows).toStrictEqual([
      { day: '2026-05-01', total: '15.00' },
      { day: '2026-05-02', total: '7.50' },
    ]);
  });

  it('fails with exit code 2 naming the pipelines the app has', async () => {
    const run = await kitchen(['--app', out, 'run', 'orders', '--local', '--pg-url', pgUrl], config);
    expect(run.stderr).toBe(
      `reading the cloud assembly ${out} (--app)...\n` +
        `error: kitchen run: no pipeline "orders" in the cloud assembly ${out} (--app) (stack shop-staging); pipelines are: daily-totals\n`,
    );
    expect(run.code).toBe(2);
  });
});

describe('an app that cannot be found or does not synthesize', () => {
  it('fails with exit code 2 saying which app, how it was found and its own first error lines', async () => {
    // GIVEN an app that reads a config file that is not there
    fs.writeFileSync(
      path.join(dir, 'bin', 'broken.ts'),
      "import { loadConfig } from 'cdk-kitchens';\nloadConfig('missing.config.yaml');\n",
    );
    const command = tsCommand('bin/broken.ts');
    const run = await kitchen(['--app', command, 'create', KITCHEN, '--dry-run', '--owner', 'alice'], config);
    expect(run.code).toBe(2);
    const error = run.stderr.slice(run.stderr.indexOf('error: '));
    expect(error).toMatch(
      new RegExp(
        `^error: the app "${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" \\(--app\\) failed to synthesize in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its first error lines:\n`,
      ),
    );
    expect(error).toContain('  | ');
    expect(error).toContain('missing.config.yaml: config file not found');
    // the app's own words, not its stack frames
    expect(error).not.toMatch(/^ {2}\| +at /m);
  });

  it('fails with exit code 1 when cdk-nag findings stop the synth, as cdk deploy does', async () => {
    // GIVEN an app with a bucket of its own that cdk-nag flags, its own stacks opted in to the checks (nagScope 'app')
    fs.writeFileSync(
      path.join(dir, 'bin', 'nag.ts'),
      [
        "import * as cdk from 'aws-cdk-lib/core';",
        "import * as s3 from 'aws-cdk-lib/aws-s3';",
        "import { buildApp, loadConfig } from 'cdk-kitchens';",
        'const app = new cdk.App();',
        "buildApp(loadConfig('kitchens.config.yaml'), { environments: [], nagScope: 'app' }, app);",
        "new s3.Bucket(new cdk.Stack(app, 'Plain', { env: { account: '333333333333', region: 'eu-west-1' } }), 'Open');",
        '',
      ].join('\n'),
    );
    const command = tsCommand('bin/nag.ts');
    const run = await kitchen(['--app', command, 'create', KITCHEN, '--dry-run', '--owner', 'alice'], config);
    expect(run.stderr).toContain('AwsSolutions-S1');
    expect(run.stderr).toContain(
      `error: the app "${command}" (--app) synthesized with errors (printed above): cdk-nag findings and other error annotations stop the synth, as cdk deploy does\n`,
    );
    expect(run.code).toBe(1);
  });

  it('fails with exit code 2 naming the cdk.json app that does not run', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-consumer-broken-'));
    fs.writeFileSync(path.join(other, 'cdk.json'), JSON.stringify({ app: 'node bin/app.js' }));
    process.chdir(other);
    try {
      const run = await kitchen(['create', KITCHEN, '--dry-run', '--owner', 'alice'], config);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `error: the app "node bin/app.js" (the "app" of ${path.join(other, 'cdk.json')}) failed to synthesize in ${other}: its first error lines:\n`,
      );
      expect(run.stderr).toContain("Error: Cannot find module '");
    } finally {
      process.chdir(dir);
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('fails with exit code 2 when there is no cdk.json and no --app', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-consumer-empty-'));
    process.chdir(empty);
    try {
      const run = await kitchen(['history', 'daily-totals', '--local', '--pg-url', pgUrl], config);
      expect(run.stderr).toBe(
        `error: no CDK app to read: there is no cdk.json in ${empty} and no --app was given; run kitchen in your ` +
          'CDK app\'s directory, or give --app COMMAND (such as "npx ts-node bin/app.ts") or --app DIRECTORY (a cloud assembly)\n',
      );
      expect(run.code).toBe(2);
    } finally {
      process.chdir(dir);
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('fails with exit code 2 when --app names a directory that is not a cloud assembly', async () => {
    const run = await kitchen(['--app', os.tmpdir(), 'metrics'], config);
    expect(run.stderr).toBe(
      `error: --app ${os.tmpdir()}: the directory is not a cloud assembly (it has no manifest.json); give a directory ` +
        '`cdk synth` wrote (such as cdk.out) or a command that synthesizes the app\n',
    );
    expect(run.code).toBe(2);
  });
});
