/**
 * Whole-process timing for the benches: each sample is one child process, timed from spawn to exit with
 * performance.now() (wall), and the CPU time (user + system) of it and every process it waited for, read from bash's
 * `times` (so `npx cdk synth` counts the CLI and the app it starts). A/B samples run in pairs (alternating which goes
 * first) so that load from anything else on the machine hits both sides of a ratio alike; on a shared machine the
 * CPU figures move less than the wall times.
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

export interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** `times` prints the shell's, then its children's, user and system time: `0m1.234s 0m0.056s`. */
function childCpuMs(stderr: string): number {
  const lines = stderr.trim().split('\n');
  const seconds = [...lines[lines.length - 1].matchAll(/(\d+)m([\d.]+)s/g)].map(
    (m) => Number(m[1]) * 60 + Number(m[2]),
  );
  if (seconds.length !== 2) throw new Error(`cannot read the CPU time from: ${lines[lines.length - 1]}`);
  return (seconds[0] + seconds[1]) * 1000;
}

/** Wall and CPU time of one run of the process; throws (with its stderr) when it fails. */
export function measureProcess(run: Run): Sample {
  run.before?.();
  const start = performance.now();
  const script = '"$0" "$@" >/dev/null; status=$?; times >&2; exit $status';
  const result = spawnSync('bash', ['-c', script, run.command, ...run.args], {
    cwd: ROOT,
    env: { ...process.env, ...run.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = performance.now() - start;
  if (result.status !== 0) {
    throw new Error(
      `${run.command} ${run.args.join(' ')} exited ${String(result.status ?? result.signal)}:\n${result.stderr}`,
    );
  }
  return { wallMs, cpuMs: childCpuMs(result.stderr) };
}

/** Wall time of one run, in milliseconds. */
export function timeProcess(run: Run): number {
  return measureProcess(run).wallMs;
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
  /** a / b of each pair (wall). */
  readonly ratio: Spread;
  readonly cpuA: Spread;
  readonly cpuB: Spread;
  /** a / b of each pair (CPU). */
  readonly cpuRatio: Spread;
  readonly pairs: number;
  /** Every sample, in pair order. */
  readonly samples: { readonly a: readonly Sample[]; readonly b: readonly Sample[] };
}

/** `pairs` paired runs of A and B (one untimed warm-up of each first, to fill the file cache). */
export function paired(a: Run, b: Run, pairs: number): Paired {
  measureProcess(a);
  measureProcess(b);
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      as.push(measureProcess(a));
      bs.push(measureProcess(b));
    } else {
      bs.push(measureProcess(b));
      as.push(measureProcess(a));
    }
  }
  const wall = (s: Sample[]): number[] => s.map((x) => x.wallMs);
  const cpu = (s: Sample[]): number[] => s.map((x) => x.cpuMs);
  return {
    a: spread(wall(as)),
    b: spread(wall(bs)),
    ratio: spread(as.map((x, i) => x.wallMs / bs[i].wallMs)),
    cpuA: spread(cpu(as)),
    cpuB: spread(cpu(bs)),
    cpuRatio: spread(as.map((x, i) => x.cpuMs / bs[i].cpuMs)),
    pairs,
    samples: { a: as, b: bs },
  };
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
