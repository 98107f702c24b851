/**
 * Alignment benchmark: wall time of `kitchen align` on the bundled example (development against production), in
 * process and split into synthesis and comparison, each run in a fresh process so module loading is counted.
 *   npx ts-node --swc bench/align.ts [runs]
 * The whole command, start-up included, is timed from outside: `npx ts-node --swc bin/kitchen.ts align`.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

interface Sample {
  readonly loadMs: number;
  readonly synthMs: number;
  readonly compareMs: number;
  readonly differences: number;
  readonly aligned: boolean;
}

function child(): void {
  const t0 = performance.now();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const align = require('../lib/align') as typeof import('../lib/align');
  const { loadConfig } = require('../lib/config') as typeof import('../lib/config');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const t1 = performance.now();
  const config = loadConfig(path.join(ROOT, 'kitchens.config.yaml'));
  const { from, to } = align.resolveEnvironments(config);
  const synthesized = align.synthesizeWithAssets(config, [from.name, to.name]);
  const t2 = performance.now();
  const result = align.compareEnvironments(config, from, to, synthesized);
  const t3 = performance.now();
  const sample: Sample = {
    loadMs: t1 - t0,
    synthMs: t2 - t1,
    compareMs: t3 - t2,
    differences: result.differences.length,
    aligned: result.aligned,
  };
  process.stdout.write(JSON.stringify(sample));
}

function runSample(): Sample {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--child'], {
    cwd: ROOT,
    env: { ...process.env, CDK_VALIDATION: 'false', TS_NODE_SWC: 'true' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as Sample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

if (process.argv[2] === '--child') {
  child();
} else {
  const runs = Number(process.argv[2] ?? '5');
  const samples = Array.from({ length: runs }, () => runSample());
  const med = (key: 'loadMs' | 'synthMs' | 'compareMs') => median(samples.map((s) => s[key])).toFixed(0);
  const total = median(samples.map((s) => s.loadMs + s.synthMs + s.compareMs)).toFixed(0);
  console.log(`align, bundled example (dev against production), ${runs} runs, medians:`);
  console.log(`  load ${med('loadMs')} ms, synthesize ${med('synthMs')} ms, compare ${med('compareMs')} ms`);
  console.log(`  total in process ${total} ms; ${samples[0].differences} differences, aligned: ${samples[0].aligned}`);
}
