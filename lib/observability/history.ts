/**
 * Run history of a pipeline, read from its test-history table and the runs table beside it (the tables every run
 * writes, see lib/pipeline/sql): the last N runs with their outcome, duration and failed or warned tests, and one
 * test's values over those runs against the band it was judged by. Runs recorded before the runs table existed
 * have test rows only: their outcome comes from their tests and they have no duration.
 */
import * as asciichart from 'asciichart';
import { runOutcome, type RunOutcome as PipelineOutcome } from '../pipeline/outcome';
import { rebaselineStatement, runsTableOf } from '../pipeline/sql';
import { formatDuration } from './delivery';

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

/** A run's row in the runs table: written once by the run's last state (lib/pipeline/sql.ts `runRecordStatement`). */
export interface RunRecord {
  readonly runId: string;
  /** `succeeded`, `succeeded with warnings` or `failed`. */
  readonly outcome: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The execution ARN. */
  readonly execution: string | null;
  /** A failed run's error and cause (`Kitchens.SqlFailed: SQL of step ...`); null otherwise and for older records. */
  readonly cause?: string | null;
}

/** What `readHistory` reads: the test rows and the run rows of the last runs. */
export interface RunHistory {
  readonly rows: HistoryRow[];
  readonly records: RunRecord[];
}

export interface RunSummary {
  readonly runId: string;
  readonly startedAt: string;
  /** When the run's last state recorded it; null for a run recorded before the runs table existed. */
  readonly finishedAt: string | null;
  /** `finishedAt` - `startedAt` in seconds (milliseconds kept); null without a run record. */
  readonly durationSeconds: number | null;
  /** The execution ARN from the run record, when there is one. */
  readonly execution: string | null;
  /** Why a failed run failed (its error and cause) from the run record; null when unknown or not failed. */
  readonly cause: string | null;
  /**
   * The run record's outcome (`succeeded` -> `passed`, `succeeded with warnings` -> `warned`, `failed`), which also
   * counts failures outside tests. Without a record: `failed` when an error-level test did not pass, `warned` when a
   * warning-level one did not or any test errored (the pipeline's own rule, lib/pipeline/outcome.ts), else `passed`.
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

const missing = (value: unknown) => value === null || value === undefined;

/**
 * The test rows and run rows of the last `last` runs of a pipeline, oldest run first. A run is in either table or both
 * (a run that failed before any test, or has no tests, has a run row only; one from before the runs table existed,
 * test rows only), so the last runs are chosen from both. A database without the runs table is read as before it.
 */
export async function readHistory(
  client: SqlClient,
  table: string,
  pipeline: string,
  last: number,
): Promise<RunHistory> {
  if (!TABLE_NAME.test(table))
    throw new Error(`history table must be [schema.]name in lowercase, got: ${JSON.stringify(table)}`);
  const runs = runsTableOf(table);
  const [schema, name] = table.includes('.') ? table.split('.') : ['public', table];
  // One query: which of the two tables exist (both have run_id), and whether the runs table has the cause column
  // (a runs table of an older release has not; the next run's setup adds it).
  const runsName = runs.slice(runs.lastIndexOf('.') + 1);
  const columns = await client.query(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name IN ($2, $3) ' +
      "AND column_name IN ('run_id', 'cause')",
    [schema, name, runsName],
  );
  const found = new Set(
    columns.rows.filter((r) => String(r.column_name) === 'run_id').map((r) => String(r.table_name)),
  );
  if (!found.has(name)) return { rows: [], records: [] };
  const hasRuns = found.has(runsName);
  const hasCause =
    hasRuns && columns.rows.some((r) => String(r.table_name) === runsName && String(r.column_name) === 'cause');
  const starts =
    `SELECT run_id, recorded_at AS at FROM ${table} WHERE pipeline = $1` +
    (hasRuns ? ` UNION ALL SELECT run_id, started_at AS at FROM ${runs} WHERE pipeline = $1` : '');
  const result = await client.query(
    `SELECT r.run_id, ${hasRuns ? `x.outcome, x.started_at, x.finished_at, x.execution, ${hasCause ? 'x.cause' : 'NULL AS cause'}` : 'NULL AS outcome'}, ` +
      'h.step, h.test, h.level, h.status, h.value, h.expectation, h.recorded_at ' +
      `FROM (SELECT run_id, MAX(at) AS at FROM (${starts}) u GROUP BY run_id ORDER BY at DESC, run_id LIMIT $2) r ` +
      (hasRuns ? `LEFT JOIN ${runs} x ON x.run_id = r.run_id AND x.pipeline = $1 ` : '') +
      `LEFT JOIN ${table} h ON h.run_id = r.run_id AND h.pipeline = $1 ORDER BY r.at, r.run_id, h.step, h.test`,
    [pipeline, last],
  );
  const rows: HistoryRow[] = [];
  const records = new Map<string, RunRecord>();
  for (const r of result.rows) {
    const runId = String(r.run_id);
    if (!missing(r.outcome) && !records.has(runId)) {
      records.set(runId, {
        runId,
        outcome: String(r.outcome),
        startedAt: recordedAt(r.started_at),
        finishedAt: recordedAt(r.finished_at),
        execution: missing(r.execution) ? null : String(r.execution),
        cause: missing(r.cause) ? null : String(r.cause),
      });
    }
    if (missing(r.test)) continue;
    rows.push({
      runId,
      step: String(r.step),
      test: String(r.test),
      level: String(r.level),
      status: String(r.status),
      value: missing(r.value) ? null : Number(r.value),
      expectation: missing(r.expectation) ? null : String(r.expectation),
      recordedAt: recordedAt(r.recorded_at),
    });
  }
  return { rows, records: [...records.values()] };
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

/**
 * One summary per run, oldest first: the runs of the test rows and of the run records, ordered by start time (then
 * run id, as `readHistory` orders them).
 */
export function summarizeRuns(rows: readonly HistoryRow[], records: readonly RunRecord[] = []): RunSummary[] {
  const tested = byRun(rows);
  const recorded = new Map(records.map((r) => [r.runId, r]));
  const starts = new Map<string, string>();
  for (const [runId, tests] of tested) starts.set(runId, tests[0].recordedAt);
  for (const r of records) starts.set(r.runId, r.startedAt);
  const order = [...starts].sort(([a, at], [b, bt]) => (at === bt ? (a < b ? -1 : a > b ? 1 : 0) : at < bt ? -1 : 1));
  return order.map(([runId, startedAt]) => {
    const tests = tested.get(runId) ?? [];
    const record = recorded.get(runId);
    const label = (t: HistoryRow) => `${t.step} / ${t.test}`;
    // An error-level test that did not pass (failed or errored) is what fails a run; the rest is runOutcome's rule.
    const failed = tests.filter((t) => t.level === 'error' && t.status !== 'passed');
    const fromTests = runOutcome(failed.length === 0, tests) as Exclude<PipelineOutcome, 'running'>;
    const outcome =
      record !== undefined && record.outcome in HISTORY_OUTCOME
        ? HISTORY_OUTCOME[record.outcome as keyof typeof HISTORY_OUTCOME]
        : HISTORY_OUTCOME[fromTests];
    const warned = tests.filter(
      (t) => t.level !== 'error' && (t.status === 'errored' || (t.level === 'warning' && t.status !== 'passed')),
    );
    return {
      runId,
      startedAt,
      finishedAt: record?.finishedAt ?? null,
      durationSeconds: record ? (Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 1000 : null,
      execution: record?.execution ?? null,
      cause: record?.cause ?? null,
      outcome,
      tests: tests.length,
      failed: failed.map(label),
      warned: warned.map(label),
    };
  });
}

/**
 * `kitchen history PIPELINE --rebaseline TEST`: the in_control test's baseline restarts from its latest recorded run
 * (lib/pipeline/sql.ts `rebaselineStatement`). Returns when that run was recorded; fails when the test has none.
 */
export async function rebaselineTest(
  client: SqlClient,
  table: string,
  pipeline: string,
  test: string,
): Promise<string> {
  if (!TABLE_NAME.test(table))
    throw new Error(`history table must be [schema.]name in lowercase, got: ${JSON.stringify(table)}`);
  const latest = await client.query(`SELECT MAX(recorded_at) AS at FROM ${table} WHERE pipeline = $1 AND test = $2`, [
    pipeline,
    test,
  ]);
  const at = latest.rows[0]?.at;
  if (missing(at)) {
    throw new Error(
      `--rebaseline must name a test of pipeline ${pipeline} with a value recorded in ${table}, got: ${JSON.stringify(test)}`,
    );
  }
  await client.query(rebaselineStatement(table, pipeline, test));
  return recordedAt(at);
}

/** The causes of the failed runs among `runs`, one line each (`RUN failed: CAUSE`), newest last. */
export function failureCauses(runs: readonly RunSummary[]): string[] {
  return runs.filter((r) => r.outcome === 'failed' && r.cause).map((r) => `run ${r.runId} failed: ${r.cause}`);
}

/** A run's duration for people: `0.8s` under a minute, else as `kitchen metrics` prints durations; `-` when unknown. */
export function formatRunDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  return seconds < 60 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
}

/** `between LOW and HIGH ...` (a `between` rule or an `in_control` band) as numbers. */
export function bandOf(expectation: string | null): { lower: number; upper: number } | undefined {
  const match = /^between (-?[0-9.]+) and (-?[0-9.]+)/.exec(expectation ?? '');
  return match ? { lower: Number(match[1]), upper: Number(match[2]) } : undefined;
}

const IN_CONTROL = /\((mean|median) \+\/- |^in control \(learning/;

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
