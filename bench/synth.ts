/**
 * Synth benchmark, as a user runs it: `npx cdk synth` of the bundled app (cdk.json runs the compiled app, developer
 * defaults: cdk-nag on, CDK's built-in validation off) beside the floor app (bench/floor.ts: plain aws-cdk-lib stacks
 * with the same stacks and resources, compiled JavaScript) under the same CLI, without and with a Kitchen; then the
 * app's own process (what the CLI spawns) beside the bare floor process. Paired whole-process runs, median and
 * spread (min-max), project/floor ratio per pair. Lower bounds follow: a process that only loads the modules the
 * app process loads (all of them, and aws-cdk-lib's alone) beside the floor process. In-process figures follow as
 * secondary lines.
 *   npx ts-node --swc bench/synth.ts [pairs]        (default 5 pairs; needs the build: npm ci or npm run build)
 * Targets (issue 15): `npx cdk synth` <= 1.15x the floor; the app's own process <= 1.3x the bare floor process.
 * Both sides run with the CLI's notices, version check and telemetry off (no network on the benchmark machine).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFloorApp } from './floor';
import { compiled, paired, ratio, ROOT, Run, seconds, Spread, spread, timeProcess } from './measure';

const CLI_ENV: NodeJS.ProcessEnv = {
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  CDK_VALIDATION: undefined,
};
const KITCHEN = 'profit-report';

function scratch(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kitchens-bench-${name}-`));
}

/** A run that writes into a fresh `dir` each time. */
function into(dir: string, run: Omit<Run, 'before'>): Run {
  return { ...run, before: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `npx cdk synth` of the project (cdk.json's app) or of `app`, into `out`. */
export function cliSynth(out: string, context: readonly string[], app?: string): Run {
  const args = ['cdk', 'synth', '--no-notices', '-o', out, ...context];
  return into(out, { command: 'npx', args: app ? [...args, '--app', `node ${app}`] : args, env: CLI_ENV });
}

/**
 * The context the CDK CLI (2.1x) passes every app it synthesizes, on top of the user's (read from the
 * CDK_CONTEXT_JSON it sets): path and asset metadata on, version reporting on, every stack bundled.
 */
export const CLI_CONTEXT: Readonly<Record<string, unknown>> = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
  'aws:cdk:bundling-stacks': ['**'],
};

/** The app process alone, as the CLI starts it: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
export function appProcess(entry: string, out: string, context: Record<string, unknown>, preload?: string): Run {
  return into(out, {
    command: process.execPath,
    args: [...(preload ? ['-r', preload] : []), entry],
    env: { ...CLI_ENV, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ ...CLI_CONTEXT, ...context }) },
  });
}

/** Peak resident memory of one run, in MiB, through a preload that reports it at exit. */
function peakMiB(make: (preload: string) => Run): number {
  const dir = scratch('rss');
  const preload = path.join(dir, 'rss.js');
  const report = path.join(dir, 'rss.txt');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS)));`,
  );
  timeProcess(make(preload));
  const kib = Number(fs.readFileSync(report, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  return kib / 1024;
}

/**
 * Lower bounds: processes that only load what the app process loads (every module file outside the project, in the
 * order it loaded them; with `cdkOnly`, only aws-cdk-lib's, constructs' and the cloud assembly schema's) and build
 * nothing. Written into `dir` from one run of the app with a preload that lists the loaded files.
 */
function writeLoadOnlyApps(entry: string, dir: string, context: Record<string, unknown>): { all: string; cdk: string } {
  const list = path.join(dir, 'modules.json');
  const preload = path.join(dir, 'list.js');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(` +
      `Object.keys(require.cache).filter((f) => f.includes('node_modules'))))); `,
  );
  timeProcess(appProcess(entry, path.join(dir, 'out'), context, preload));
  const modules = JSON.parse(fs.readFileSync(list, 'utf8')) as string[];
  const cdk = modules.filter((f) => /node_modules\/(aws-cdk-lib|constructs|@aws-cdk\/cloud-assembly-schema)\//.test(f));
  const write = (name: string, files: readonly string[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `for (const f of ${JSON.stringify(files)}) require(f);\n`);
    return file;
  };
  return { all: write('load-all.js', modules), cdk: write('load-cdk.js', cdk) };
}

interface InProcess {
  readonly loadMs: number;
  readonly synthMs: number;
  readonly maxRssMb: number;
}

/** Secondary: the compiled app in one process, module load apart from build + synth (cdk-nag on, validation off). */
function inProcessChild(): void {
  const t0 = performance.now();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { buildApp } = require(compiled('lib/app.js')) as typeof import('../lib/app');
  const { loadConfig } = require(compiled('lib/config/index.js')) as typeof import('../lib/config');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const t1 = performance.now();
  const outdir = scratch('in-process');
  const { app } = buildApp(loadConfig(path.join(ROOT, 'kitchens.config.yaml')), { outdir });
  app.synth();
  const t2 = performance.now();
  fs.rmSync(outdir, { recursive: true, force: true });
  const sample: InProcess = { loadMs: t1 - t0, synthMs: t2 - t1, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(sample));
}

function inProcess(): InProcess {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--in-process'], {
    cwd: ROOT,
    env: { ...process.env, CDK_VALIDATION: 'false' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as InProcess;
}

/**
 * What loading each package costs the app process on top of aws-cdk-lib's core (which the floor loads too): CPU
 * milliseconds of `require` in a fresh process after `require('aws-cdk-lib')`, median of `runs`. cdk-nag's figure
 * is its rule files only; the service modules its rules read cost more only for services an app declares.
 */
export function loadCosts(runs: number): { name: string; ms: Spread }[] {
  const packages: [string, string][] = [
    ['cdk-nag (rule files)', "require('cdk-nag')"],
    ['cdk-monitoring-constructs', "require('cdk-monitoring-constructs')"],
    ['zod', "require('zod')"],
    ['yaml', "require('yaml')"],
    ['commander', "require('commander')"],
    [
      'the 17 aws-cdk-lib modules the constructs use (read whole)',
      `for (const m of ${JSON.stringify(['aws-ec2', 'aws-ecs', 'aws-iam', 'aws-kms', 'aws-lambda', 'aws-logs', 'aws-redshift', 'aws-s3', 'aws-secretsmanager', 'aws-sns', 'aws-ssm', 'aws-stepfunctions', 'aws-stepfunctions-tasks', 'aws-transfer', 'aws-events', 'aws-cloudwatch', 'aws-chatbot'])}) { const x = require('aws-cdk-lib/' + m); for (const k of Object.keys(x)) void x[k]; }`,
    ],
  ];
  return packages.map(([name, load]) => {
    const script = `require('aws-cdk-lib'); const t = process.cpuUsage(); ${load}; const u = process.cpuUsage(t); process.stdout.write(String((u.user + u.system) / 1000));`;
    const samples = Array.from({ length: runs }, () =>
      Number(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })),
    );
    return { name, ms: spread(samples) };
  });
}

function main(): void {
  const pairs = Number(process.argv[2] ?? '5');
  const appEntry = compiled('bin/app.js');
  console.log(`synth benchmark: ${pairs} paired whole-process runs per line, median (min-max)`);
  for (const kitchen of [false, true]) {
    const context = kitchen ? ['-c', `kitchen=${KITCHEN}`] : [];
    const projectOut = scratch('project');
    const floorOut = scratch('floor-out');
    // One synth of the project gives the floor its stacks and resources (cdk-nag findings do not matter here).
    timeProcess(cliSynth(projectOut, context));
    const floor = writeFloorApp(projectOut, scratch('floor-app'));
    const floorL2 = writeFloorApp(projectOut, scratch('floor-l2-app'), true);
    const label = kitchen ? `with Kitchen ${KITCHEN}` : 'without a Kitchen';
    console.log(
      `\n${label}: ${floor.stacks} stacks, ${floor.resources} resources (floor loads ${floor.modules} service modules)`,
    );

    const cli = paired(cliSynth(projectOut, context), cliSynth(floorOut, context, floor.app), pairs);
    console.log(
      `  npx cdk synth   wall: project ${seconds(cli.a)}  floor ${seconds(cli.b)}  ratio ${ratio(cli.ratio)}`,
    );
    console.log(
      `                  CPU:  project ${seconds(cli.cpuA)}  floor ${seconds(cli.cpuB)}  ratio ${ratio(cli.cpuRatio)}`,
    );
    console.log('                  (target: ratio <= 1.15x)');

    const appContext: Record<string, string> = kitchen ? { kitchen: KITCHEN } : {};
    const proc = paired(
      appProcess(appEntry, projectOut, appContext),
      appProcess(floor.app, floorOut, appContext),
      pairs,
    );
    const l2 = paired(
      appProcess(appEntry, projectOut, appContext),
      appProcess(floorL2.app, floorOut, appContext),
      pairs,
    );
    const loadOnly = writeLoadOnlyApps(appEntry, scratch('load-only'), appContext);
    const loadAll = paired(
      appProcess(loadOnly.all, floorOut, appContext),
      appProcess(floor.app, floorOut, appContext),
      pairs,
    );
    const loadCdk = paired(
      appProcess(loadOnly.cdk, floorOut, appContext),
      appProcess(floor.app, floorOut, appContext),
      pairs,
    );
    const projectMiB = peakMiB((preload) => appProcess(appEntry, projectOut, appContext, preload));
    const floorMiB = peakMiB((preload) => appProcess(floor.app, floorOut, appContext, preload));
    console.log(
      `  app process     wall: project ${seconds(proc.a)}  floor ${seconds(proc.b)}  ratio ${ratio(proc.ratio)}`,
    );
    console.log(
      `                  CPU:  project ${seconds(proc.cpuA)}  floor ${seconds(proc.cpuB)}  ratio ${ratio(proc.cpuRatio)}`,
    );
    console.log('                  (target: ratio <= 1.3x)');
    console.log(
      `  secondary: app process beside the floor that also reads its ${floorL2.modules} service modules (their L1 and L2 code)`,
    );
    console.log(
      `                  CPU:  project ${seconds(l2.cpuA)}  floor+modules ${seconds(l2.cpuB)}  ratio ${ratio(l2.cpuRatio)}`,
    );
    console.log(
      '  lower bounds: a process that only loads the modules the app process loads, beside the floor process',
    );
    console.log(
      `    every module          wall: ${seconds(loadAll.a)}  floor ${seconds(loadAll.b)}  ratio ${ratio(loadAll.ratio)}`,
    );
    console.log(
      `    aws-cdk-lib's alone   wall: ${seconds(loadCdk.a)}  floor ${seconds(loadCdk.b)}  ratio ${ratio(loadCdk.ratio)}`,
    );
    console.log(
      `  peak memory     project ${projectMiB.toFixed(0)} MiB  floor ${floorMiB.toFixed(0)} MiB (app process)`,
    );
    console.log(
      `  CPU of the CLI around the app: project ${((cli.cpuA.median - proc.cpuA.median) / 1000).toFixed(2)} s, ` +
        `floor ${((cli.cpuB.median - proc.cpuB.median) / 1000).toFixed(2)} s (differences of medians)`,
    );
    for (const dir of [
      projectOut,
      floorOut,
      path.dirname(floor.app),
      path.dirname(floorL2.app),
      path.dirname(loadOnly.all),
    ])
      fs.rmSync(dir, { recursive: true, force: true });
  }
  const secondary = Array.from({ length: 3 }, () => inProcess());
  const med = (f: (s: InProcess) => number): string =>
    secondary
      .map(f)
      .sort((a, b) => a - b)[1]
      .toFixed(0);
  console.log('\nsecondary: CPU of loading each package after aws-cdk-lib, fresh process each, median of 5 (min-max):');
  for (const { name, ms } of loadCosts(5)) {
    console.log(`  ${name.padEnd(58)} ${ms.median.toFixed(0)} ms (${ms.min.toFixed(0)}-${ms.max.toFixed(0)})`);
  }
  console.log('\nsecondary, in process (compiled app without a Kitchen, cdk-nag on, validation off; median of 3):');
  console.log(
    `  module load ${med((s) => s.loadMs)} ms, build + synth ${med((s) => s.synthMs)} ms, peak ${med((s) => s.maxRssMb)} MiB`,
  );
}

if (process.argv[2] === '--in-process') {
  inProcessChild();
} else if (require.main === module) {
  main();
}
