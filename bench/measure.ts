/**
 * Whole-process timing for the benches: each sample is one child process, timed from spawn to exit with
 * performance.now(); A/B samples run in pairs (alternating which goes first) so that load from anything else on the
 * machine hits both sides of a ratio alike.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..');

export interface Run {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Runs before each sample, untimed (for example: clear the output directory). */
  readonly before?: () => void;
}

/** Wall time of one run of the process, in milliseconds; throws (with its stderr) when it fails. */
export function timeProcess(run: Run): number {
  run.before?.();
  const start = performance.now();
  const result = spawnSync(run.command, run.args as string[], {
    cwd: ROOT,
    env: { ...process.env, ...run.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const elapsed = performance.now() - start;
  if (result.status !== 0) {
    throw new Error(
      `${run.command} ${run.args.join(' ')} exited ${String(result.status ?? result.signal)}:\n${result.stderr}`,
    );
  }
  return elapsed;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

export interface Paired {
  readonly a: Spread;
  readonly b: Spread;
  /** a / b of each pair. */
  readonly ratio: Spread;
  readonly pairs: number;
}

/** `pairs` paired runs of A and B (one untimed warm-up of each first, to fill the file cache). */
export function paired(a: Run, b: Run, pairs: number): Paired {
  timeProcess(a);
  timeProcess(b);
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      as.push(timeProcess(a));
      bs.push(timeProcess(b));
    } else {
      bs.push(timeProcess(b));
      as.push(timeProcess(a));
    }
  }
  return { a: spread(as), b: spread(bs), ratio: spread(as.map((x, i) => x / bs[i])), pairs };
}

export function seconds(s: Spread): string {
  return `${(s.median / 1000).toFixed(2)} s (${(s.min / 1000).toFixed(2)}-${(s.max / 1000).toFixed(2)})`;
}

export function ratio(s: Spread): string {
  return `${s.median.toFixed(2)}x (${s.min.toFixed(2)}-${s.max.toFixed(2)})`;
}

/** The compiled app and CLI the benches run: `npm ci` (prepare) or `npm run build` writes them. */
export function compiled(file: string): string {
  const full = path.join(ROOT, 'dist', file);
  if (!fs.existsSync(full)) {
    throw new Error(
      `${path.relative(ROOT, full)} is missing: run npm run build first (the benches time compiled code)`,
    );
  }
  return full;
}
