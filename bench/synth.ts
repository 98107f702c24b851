/**
 * Synth benchmark: wall time and peak memory to synthesize the bundled app (production + development, cdk-nag
 * off, CDK_VALIDATION=false), each run in a fresh process so module loading is counted once per run.
 *   npx ts-node --swc bench/synth.ts [runs]
 * Target (issue 2): production + development together at most 1.5 s and 250 MB on a 2-core machine.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

interface Sample {
  readonly loadMs: number;
  readonly synthMs: number;
  readonly maxRssMb: number;
  readonly stacks: number;
  readonly resources: number;
}

function child(): void {
  const t0 = performance.now();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { buildApp } = require('../lib/app');
  const { loadConfig } = require('../lib/config');
  const t1 = performance.now();
  const args = process.argv.slice(3);
  const kitchens = Number(args[0] ?? '0');
  const config = loadConfig(path.join(ROOT, 'kitchens.config.yaml'));
  const context: Record<string, string> = {};
  if (kitchens > 0) {
    // Full Kitchens: a staff role and an SFTP user each, like a developer's real one.
    context.kitchens = Array.from({ length: kitchens }, (_, i) => `bench-kitchen-${i + 1}`).join(',');
    context.kitchenStaff = 'arn:aws:iam::222222222222:role/bench-analyst';
    context.kitchenSshKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm0QfXr3bJ0rXw9yLQy1l5h3bKc0mQvG2x0E8bA9Zc1 bench';
  }
  const { app } = buildApp(config, { nag: false, context });
  const assembly = app.synth();
  const t2 = performance.now();
  let resources = 0;
  for (const stack of assembly.stacks) resources += Object.keys(stack.template.Resources ?? {}).length;
  const sample: Sample = {
    loadMs: t1 - t0,
    synthMs: t2 - t1,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    stacks: assembly.stacks.length,
    resources,
  };
  process.stdout.write(JSON.stringify(sample));
}

export function runSample(kitchens = 0): Sample {
  const out = execFileSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', __filename, '--child', String(kitchens)],
    { cwd: ROOT, env: { ...process.env, CDK_VALIDATION: 'false', TS_NODE_SWC: 'true' }, encoding: 'utf8' },
  );
  return JSON.parse(out) as Sample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const runs = Number(process.argv[2] ?? '5');
  const samples = Array.from({ length: runs }, () => runSample());
  const s = samples[0];
  console.log(`synth bundled app: ${s.stacks} stacks, ${s.resources} resources, ${runs} runs (fresh process each)`);
  console.log(`  module load     median ${median(samples.map((x) => x.loadMs)).toFixed(0)} ms`);
  console.log(`  build + synth   median ${median(samples.map((x) => x.synthMs)).toFixed(0)} ms  (target <= 1500 ms)`);
  console.log(`  load + synth    median ${median(samples.map((x) => x.loadMs + x.synthMs)).toFixed(0)} ms`);
  console.log(`  peak RSS        max ${Math.max(...samples.map((x) => x.maxRssMb)).toFixed(0)} MB  (target <= 250 MB)`);
}

if (process.argv[2] === '--child') {
  child();
} else if (require.main === module) {
  main();
}
