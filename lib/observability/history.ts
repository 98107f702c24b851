/**
 * Run history of a pipeline, read from its test-history table (the table every run writes, see lib/pipeline/sql):
 * the last N runs with their outcome and failed or warned tests, and one test's values over those runs against the
 * band it was judged by. The table records the run's start time, not its end, so no duration is shown.
 */
import * as asciichart from 'asciichart';
import { runOutcome, type RunOutcome as PipelineOutcome } from '../pipeline/outcome';

export interface HistoryRow {
  readonly runId: string;
  readonly step: string;
  readonly test: string;
  readonly level: string;
  readonly status: string;
  readonly value: number | null;
  readonly expectation: string | null;
  readonly recordedAt: string;
}

export type RunOutcome = 'passed' | 'warned' | 'failed';

export interface RunSummary {
  readonly runId: string;
  readonly startedAt: string;
  /**
   * `failed` when an error-level test did not pass, `warned` when a warning-level one did not or any test errored
   * (the pipeline's own rule, lib/pipeline/outcome.ts), else `passed`.
   */
  readonly outcome: RunOutcome;
  readonly tests: number;
  readonly failed: readonly string[];
  readonly warned: readonly string[];
}

export interface TestPoint {
  readonly runId: string;
  readonly startedAt: string;
  readonly value: number | null;
  readonly lower?: number;
  readonly upper?: number;
  readonly status: string;
}

/** Queryable by node-postgres and by anything that answers `query(text, values)` with `{ rows }`. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** The rows of the last `last` runs of a pipeline, oldest run first. */
export async function readHistory(
  client: SqlClient,
  table: string,
  pipeline: string,
  last: number,
): Promise<HistoryRow[]> {
  if (!TABLE_NAME.test(table))
    throw new Error(`history table must be [schema.]name in lowercase, got: ${JSON.stringify(table)}`);
  const exists = await client.query(
    'SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
    table.includes('.') ? table.split('.') : ['public', table],
  );
  if (exists.rows.length === 0) return [];
  const result = await client.query(
    `SELECT h.run_id, h.step, h.test, h.level, h.status, h.value, h.expectation, h.recorded_at FROM ${table} h ` +
      `JOIN (SELECT run_id, MAX(recorded_at) AS at FROM ${table} WHERE pipeline = $1 GROUP BY run_id ` +
      `ORDER BY at DESC, run_id LIMIT $2) r ON r.run_id = h.run_id WHERE h.pipeline = $1 ` +
      'ORDER BY r.at, h.run_id, h.step, h.test',
    [pipeline, last],
  );
  return result.rows.map((r) => ({
    runId: String(r.run_id),
    step: String(r.step),
    test: String(r.test),
    level: String(r.level),
    status: String(r.status),
    value: r.value === null || r.value === undefined ? null : Number(r.value),
    expectation: r.expectation === null || r.expectation === undefined ? null : String(r.expectation),
    recordedAt: recordedAt(r.recorded_at),
  }));
}

/**
 * A TIMESTAMP (UTC) as ISO 8601: node-postgres gives a Date, the Data API the text Redshift prints
 * (`2026-11-28 10:00:00.123456`).
 */
function recordedAt(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text)
    ? new Date(`${text.replace(' ', 'T')}Z`).toISOString()
    : text;
}

function byRun(rows: readonly HistoryRow[]): Map<string, HistoryRow[]> {
  const runs = new Map<string, HistoryRow[]>();
  for (const row of rows) runs.set(row.runId, [...(runs.get(row.runId) ?? []), row]);
  return runs;
}

/** History labels for the pipeline's own run outcomes (lib/pipeline/outcome.ts decides which applies). */
const HISTORY_OUTCOME: Record<Exclude<PipelineOutcome, 'running'>, RunOutcome> = {
  succeeded: 'passed',
  'succeeded with warnings': 'warned',
  failed: 'failed',
};

export function summarizeRuns(rows: readonly HistoryRow[]): RunSummary[] {
  return [...byRun(rows)].map(([runId, tests]) => {
    const label = (t: HistoryRow) => `${t.step} / ${t.test}`;
    // An error-level test that did not pass (failed or errored) is what fails a run; the rest is runOutcome's rule.
    const failed = tests.filter((t) => t.level === 'error' && t.status !== 'passed');
    const outcome = runOutcome(failed.length === 0, tests) as Exclude<PipelineOutcome, 'running'>;
    const warned = tests.filter(
      (t) => t.level !== 'error' && (t.status === 'errored' || (t.level === 'warning' && t.status !== 'passed')),
    );
    return {
      runId,
      startedAt: tests[0].recordedAt,
      outcome: HISTORY_OUTCOME[outcome],
      tests: tests.length,
      failed: failed.map(label),
      warned: warned.map(label),
    };
  });
}

/** `between LOW and HIGH ...` (a `between` rule or an `in_control` band) as numbers. */
export function bandOf(expectation: string | null): { lower: number; upper: number } | undefined {
  const match = /^between (-?[0-9.]+) and (-?[0-9.]+)/.exec(expectation ?? '');
  return match ? { lower: Number(match[1]), upper: Number(match[2]) } : undefined;
}

const IN_CONTROL = /\(mean \+\/- |^in control \(learning/;

/** The test to chart when none is named: the first `in_control` test, else the first with a band, else the first. */
export function defaultChartTest(rows: readonly HistoryRow[]): string | undefined {
  return (rows.find((r) => IN_CONTROL.test(r.expectation ?? '')) ?? rows.find((r) => bandOf(r.expectation)) ?? rows[0])
    ?.test;
}

export function testSeries(rows: readonly HistoryRow[], test: string): TestPoint[] {
  return rows
    .filter((r) => r.test === test)
    .map((r) => ({
      runId: r.runId,
      startedAt: r.recordedAt,
      value: r.value,
      status: r.status,
      ...bandOf(r.expectation),
    }));
}

/**
 * An ASCII chart of the values (and, from the first run that had one, the band's limits), oldest run left. Runs
 * without a value (NULL) are left out.
 */
export function renderChart(points: readonly TestPoint[], height = 10): string {
  const valued = points.filter((p) => p.value !== null);
  if (valued.length === 0) return '(no values to chart)';
  const firstBand = valued.findIndex((p) => p.lower !== undefined);
  const banded = firstBand >= 0 ? valued.slice(firstBand) : valued;
  const series = [banded.map((p) => p.value as number)];
  if (firstBand >= 0) {
    // A run whose band was not yet known (learning) keeps the previous run's band.
    let last = banded[0];
    const lower: number[] = [];
    const upper: number[] = [];
    for (const p of banded) {
      if (p.lower !== undefined) last = p;
      lower.push(last.lower!);
      upper.push(last.upper!);
    }
    series.push(lower, upper);
  }
  const skipped = valued.length - banded.length;
  const chart = asciichart.plot(series, { height });
  const legend =
    firstBand >= 0
      ? `value and band (lower, upper) over ${banded.length} runs, oldest left` +
        (skipped > 0 ? `; ${skipped} earlier run(s) without a band not charted` : '')
      : `value over ${banded.length} runs, oldest left`;
  const outside = banded.filter((p) => p.lower !== undefined && (p.value! < p.lower || p.value! > p.upper!));
  const outliers = outside.map(
    (p) => `outside its band: run ${p.runId} at ${p.startedAt}: ${p.value} (band ${p.lower} to ${p.upper})`,
  );
  return [chart, legend, ...outliers].join('\n');
}
