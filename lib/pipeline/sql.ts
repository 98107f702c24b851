/**
 * SQL the compiler generates: the test-history table, its runs table (one row per run) and one statement pair per
 * test. It stays in the subset
 * Redshift and PostgreSQL both accept (no CTEs in INSERT, no GETDATE/NOW, no ROUND on DOUBLE PRECISION), so the
 * local runner can execute the very statements the state machine sends to the Data API.
 */
import type { TestDefinition, TestRule } from './model';

/** A marker for a value the state machine fills at run time through States.Format (see `toFormat`). */
export const marker = (name: string) => `\u0001${name}\u0001`;
export const RUN_ID = marker('runId');
export const STARTED_AT = marker('startedAt');

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const sqlNumber = (value: number) => String(value);

/** Columns added to the history table after its first release: name and type, in the order they were added. */
export const HISTORY_ADDED_COLUMNS: readonly (readonly [string, string])[] = [
  ['band_low', 'DOUBLE PRECISION'],
  ['band_high', 'DOUBLE PRECISION'],
  ['message', 'VARCHAR(256)'],
  ['baseline_since', 'TIMESTAMP'],
];

/**
 * Consecutive runs of an `in_control` test beyond its band on the same side (the current one included) that make a
 * level shift: the run is flagged `level shift` and the baseline restarts from those runs.
 */
export const LEVEL_SHIFT_RUNS = 5;

/** Columns added to the runs table after its first release: name and type, in the order they were added. */
export const RUNS_ADDED_COLUMNS: readonly (readonly [string, string])[] = [['cause', 'VARCHAR(4096)']];

/** Characters of a failed run's error and cause the runs table keeps (4096 bytes hold them in any UTF-8). */
export const RUN_CAUSE_CHARS = 1000;

/**
 * Creates the history table when it is missing and adds the columns a table of an older release lacks. Runs as one
 * batch (one transaction) before every run, so it is idempotent and safe to re-run after a failure. Redshift has no
 * `ADD COLUMN IF NOT EXISTS` and no anonymous blocks: a stored procedure (PL/pgSQL, the same text on Redshift and
 * PostgreSQL) checks information_schema.columns and adds each missing column; it is dropped again in the same batch.
 */
export function historySetupStatements(historyTable: string): string[] {
  const dot = historyTable.lastIndexOf('.');
  const schema = dot > 0 ? historyTable.slice(0, dot) : undefined;
  const table = historyTable.slice(dot + 1);
  const statements: string[] = [];
  if (schema) {
    statements.push(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  }
  statements.push(
    `CREATE TABLE IF NOT EXISTS ${historyTable} (` +
      'run_id VARCHAR(64) NOT NULL, pipeline VARCHAR(64) NOT NULL, step VARCHAR(64) NOT NULL, test VARCHAR(128) NOT NULL, ' +
      'level VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL, value DOUBLE PRECISION, expectation VARCHAR(256), ' +
      'band_low DOUBLE PRECISION, band_high DOUBLE PRECISION, message VARCHAR(256), recorded_at TIMESTAMP NOT NULL, ' +
      'baseline_since TIMESTAMP)',
  );
  const runs = runsTableOf(historyTable);
  statements.push(`CREATE TABLE IF NOT EXISTS ${runs} (${RUNS_COLUMNS_DDL})`);
  // Unquoted identifiers are stored in lower case by both engines.
  const schemaMatch = schema ? sqlString(schema.toLowerCase()) : 'current_schema()';
  const procedure = `${schema ? `${schema}.` : ''}kitchens_upgrade_${table}`;
  const addMissing = (tableName: string, columns: readonly (readonly [string, string])[]) =>
    columns
      .map(
        ([column, type]) =>
          `IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = ${schemaMatch} ` +
          `AND table_name = ${sqlString(tableName.slice(tableName.lastIndexOf('.') + 1).toLowerCase())} AND column_name = '${column}') THEN ` +
          `EXECUTE ${sqlString(`ALTER TABLE ${tableName} ADD COLUMN ${column} ${type}`)}; END IF; `,
      )
      .join('');
  statements.push(
    `CREATE OR REPLACE PROCEDURE ${procedure}() AS $$ BEGIN ${addMissing(historyTable, HISTORY_ADDED_COLUMNS)}` +
      `${addMissing(runs, RUNS_ADDED_COLUMNS)}END; $$ LANGUAGE plpgsql`,
    `CALL ${procedure}()`,
    `DROP PROCEDURE ${procedure}()`,
  );
  return statements;
}

/**
 * The runs table beside a history table (`<history table>_runs`): one row per run of a pipeline, written by the
 * run's last state (see `runRecordStatement`). Runs recorded before it existed have test rows only.
 */
export function runsTableOf(historyTable: string): string {
  return `${historyTable}_runs`;
}

const RUNS_COLUMNS_DDL =
  'run_id VARCHAR(64) NOT NULL, pipeline VARCHAR(64) NOT NULL, outcome VARCHAR(32) NOT NULL, ' +
  'started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL, execution VARCHAR(1024), cause VARCHAR(4096)';

/**
 * Records one run of `pipeline` in the runs table, once (a second call for the same run adds nothing). Every value
 * that comes from the execution is a Data API parameter (`:run_id`, `:started_at`, `:finished_at`, `:execution`),
 * never text spliced into the statement: an execution name may hold a quote. `failed` records a failed run with its
 * error and cause (`:cause`, the first RUN_CAUSE_CHARS characters kept); otherwise the outcome is `succeeded with
 * warnings` when the history table holds a warning test of the run that did not pass or any test of it that errored
 * (the rule of lib/pipeline/outcome.ts), else `succeeded`.
 */
export function runRecordStatement(historyTable: string, pipeline: string, failed: boolean): string {
  const runs = runsTableOf(historyTable);
  const p = sqlString(pipeline);
  const outcome = failed ? "'failed'" : "CASE WHEN w.n > 0 THEN 'succeeded with warnings' ELSE 'succeeded' END";
  const cause = failed ? `CAST(LEFT(CAST(:cause AS VARCHAR(65535)), ${RUN_CAUSE_CHARS}) AS VARCHAR(4096))` : 'NULL';
  return (
    `INSERT INTO ${runs} (run_id, pipeline, outcome, started_at, finished_at, execution, cause) ` +
    `SELECT CAST(:run_id AS VARCHAR(64)), ${p}, ${outcome}, CAST(:started_at AS TIMESTAMP), ` +
    `CAST(:finished_at AS TIMESTAMP), CAST(:execution AS VARCHAR(1024)), ${cause} ` +
    `FROM (SELECT COUNT(*) AS n FROM ${historyTable} WHERE run_id = CAST(:run_id AS VARCHAR(64)) AND pipeline = ${p} ` +
    `AND (status = 'errored' OR (level = 'warning' AND status <> 'passed'))) w ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${runs} r WHERE r.run_id = CAST(:run_id AS VARCHAR(64)) AND r.pipeline = ${p})`
  );
}

const text = (sql: string) => `CAST(${sql} AS VARCHAR(64))`;
const decimal = (sql: string) => text(`CAST(${sql} AS DECIMAL(38,4))`);

/** What a rule makes of the value `t.value` (and, for in_control, the baseline `b`). */
interface RuleSql {
  readonly condition: string;
  readonly expectation: string;
  /** When set: the test passes while this holds (in_control with too little history). */
  readonly learning?: string;
  readonly bandLow?: string;
  readonly bandHigh?: string;
  /** in_control: this run completes a level shift (see LEVEL_SHIFT_RUNS). */
  readonly shift?: string;
}

function ruleSql(rule: TestRule): RuleSql {
  const check = (condition: string, expectation: string) => ({ condition, expectation: sqlString(expectation) });
  switch (rule.kind) {
    case 'equals':
      return check(`t.value = ${sqlNumber(rule.value)}`, `= ${rule.value}`);
    case 'not_equals':
      return check(`t.value <> ${sqlNumber(rule.value)}`, `!= ${rule.value}`);
    case 'min':
      return check(`t.value >= ${sqlNumber(rule.value)}`, `>= ${rule.value}`);
    case 'max':
      return check(`t.value <= ${sqlNumber(rule.value)}`, `<= ${rule.value}`);
    case 'between':
      return check(
        `t.value BETWEEN ${sqlNumber(rule.min)} AND ${sqlNumber(rule.max)}`,
        `between ${rule.min} and ${rule.max}`,
      );
    case 'in_control': {
      // Half the band: k robust standard deviations (the interquartile range / 1.349) of the baseline, widened for
      // a small baseline (IN_CONTROL_SMALL_SAMPLE), but never narrower than the absolute or relative tolerance, so a
      // near-constant series does not flag a change of a fraction of a percent.
      const half =
        `GREATEST(${sqlNumber(rule.k)} * ${smallSampleFactor('b.n')} * COALESCE(b.scale, 0), ${sqlNumber(rule.tolerance)}, ` +
        `${sqlNumber(rule.relativeTolerance)} * ABS(b.center))`;
      const low = `b.center - ${half}`;
      const high = `b.center + ${half}`;
      const learning = `b.n < ${rule.minHistory}`;
      const shift =
        `(NOT (${learning}) AND p.n = ${LEVEL_SHIFT_RUNS - 1} AND ((t.value > ${high} AND p.lo > ${high}) OR ` +
        `(t.value < ${low} AND p.hi < ${low})))`;
      return {
        shift,
        condition: `t.value BETWEEN ${low} AND ${high}`,
        learning,
        bandLow: `CASE WHEN ${learning} THEN NULL ELSE ${low} END`,
        bandHigh: `CASE WHEN ${learning} THEN NULL ELSE ${high} END`,
        expectation:
          `CASE WHEN ${learning} THEN 'in control (learning: ' || ${text('b.n')} || ' of ${rule.minHistory} values recorded)' ` +
          `ELSE 'between ' || ${decimal(low)} || ' and ' || ${decimal(high)} || ` +
          `' (median +/- ${rule.k} robust sd of the last ' || ${text('b.n')} || ' passed values, widened for their number, at least +/- ${rule.tolerance} and ${rule.relativeTolerance * 100}%)' END`,
      };
    }
  }
}

/**
 * How much wider than k robust standard deviations the band of an `in_control` test is, by the number n of baseline
 * values, so that an in-control normal series is flagged about as often as k = 3 promises (0.27 %) whatever n: the
 * 99.73 % quantile of |x - median| / (IQR / 1.349) over 3, for n normal baseline values and one more value, measured
 * by Monte Carlo (300,000 draws per n; the interpolated quartiles of 4, 5 or 9 values are noisier than their
 * neighbours'). Above 20 values 1 + 10 / n (measured 1.33 at 30, 1.18 at 50, 1.10 at 100, 1.04 at 200).
 */
export const IN_CONTROL_SMALL_SAMPLE: Readonly<Record<number, number>> = {
  1: 10.6,
  2: 10.6,
  3: 10.6,
  4: 5.3,
  5: 10.1,
  6: 4.4,
  7: 3.1,
  8: 2.65,
  9: 3.0,
  10: 2.36,
  11: 2.05,
  12: 1.95,
  13: 2.03,
  14: 1.81,
  15: 1.72,
  16: 1.68,
  17: 1.7,
  18: 1.59,
  19: 1.54,
  20: 1.51,
};

/** The small-sample factor as SQL over the baseline count `n` (see IN_CONTROL_SMALL_SAMPLE). */
function smallSampleFactor(n: string): string {
  const cases = Object.entries(IN_CONTROL_SMALL_SAMPLE)
    .map(([count, factor]) => `WHEN ${count} THEN ${factor}`)
    .join(' ');
  return `(CASE ${n} ${cases} ELSE 1 + 10.0 / ${n} END)`;
}

export interface TestSqlContext {
  readonly historyTable: string;
  readonly pipeline: string;
  readonly step: string;
}

const HISTORY_COLUMNS =
  'run_id, pipeline, step, test, level, status, value, expectation, band_low, band_high, message, recorded_at, baseline_since';

/** The rule-specific SQL of one test, filled into `testStatementTemplate` (at run time, by the Evaluate test machine). */
export interface TestSqlParts {
  readonly query: string;
  readonly condition: string;
  /** While this holds the test passes (in_control learning); `1 = 0` for other rules. */
  readonly learning: string;
  readonly expectation: string;
  readonly bandLow: string;
  readonly bandHigh: string;
  /** ` CROSS JOIN (...) b` (and `p`, the runs before) for in_control, else empty. */
  readonly baseline: string;
  /** in_control: the start of a new baseline when this run completes a level shift; `NULL` otherwise. */
  readonly baselineSince: string;
  /** in_control: the level shift message when this run completes one; `NULL` otherwise. */
  readonly note: string;
}

export const TEST_SQL_PARTS: readonly (keyof TestSqlParts)[] = [
  'query',
  'condition',
  'learning',
  'expectation',
  'bandLow',
  'bandHigh',
  'baseline',
  'baselineSince',
  'note',
];

export function testSqlParts(test: TestDefinition, context: TestSqlContext): TestSqlParts {
  const rule = ruleSql(test.rule);
  const keys = `pipeline = ${sqlString(context.pipeline)} AND step = ${sqlString(context.step)} AND test = ${sqlString(test.name)}`;
  return {
    query: test.query,
    condition: rule.condition,
    learning: rule.learning ?? '1 = 0',
    expectation: rule.expectation,
    bandLow: rule.bandLow ?? 'NULL',
    bandHigh: rule.bandHigh ?? 'NULL',
    baselineSince: rule.shift ? `CASE WHEN ${rule.shift} THEN p.first_at END` : 'NULL',
    note: rule.shift
      ? `CASE WHEN ${rule.shift} THEN 'level shift: ${LEVEL_SHIFT_RUNS} runs in a row ' || ` +
        `CASE WHEN t.value > b.center THEN 'above' ELSE 'below' END || ' the band; the baseline restarts from them' END`
      : 'NULL',
    baseline:
      test.rule.kind === 'in_control'
        ? // The median and the quartiles: robust, so no single value can widen the band. Three PERCENTILE_CONT calls
          // with the one ORDER BY Redshift allows its sort-based aggregates in a statement; they run on compute
          // nodes, which reading the history table guarantees.
          ` CROSS JOIN (SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY h.value) AS center, ` +
          `(PERCENTILE_CONT(0.75) WITHIN GROUP (ORDER BY h.value) - PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY h.value)) / 1.349 AS scale, ` +
          `COUNT(h.value) AS n FROM ` +
          // The baseline: passed values, since the last re-baseline (a level shift or `kitchen history
          // --rebaseline`) with the runs that made it (up to the row that set `baseline_since`) whatever their status.
          `(SELECT h0.value FROM ${context.historyTable} h0 CROSS JOIN (SELECT MAX(baseline_since) AS since, ` +
          `MAX(CASE WHEN baseline_since IS NOT NULL THEN recorded_at END) AS shifted FROM ${context.historyTable} ` +
          `WHERE ${keys}) s WHERE ${keys} AND h0.value IS NOT NULL AND h0.status <> 'errored' ` +
          `AND (s.since IS NULL OR h0.recorded_at >= s.since) AND (h0.status = 'passed' OR h0.recorded_at <= s.shifted) ` +
          `ORDER BY h0.recorded_at DESC LIMIT ${test.rule.last}) h) b` +
          // The runs before this one, for the level shift rule.
          ` CROSS JOIN (SELECT MIN(v.value) AS lo, MAX(v.value) AS hi, COUNT(*) AS n, MIN(v.recorded_at) AS first_at ` +
          `FROM (SELECT value, recorded_at FROM ${context.historyTable} WHERE ${keys} AND status <> 'errored' ` +
          `AND value IS NOT NULL ORDER BY recorded_at DESC LIMIT ${LEVEL_SHIFT_RUNS - 1}) v) p`
        : '',
  };
}

/**
 * The statement that evaluates a test and records its result in the history table, with markers for the run
 * (runId, startedAt, step, test, level) and for the rule's parts (`TestSqlParts`). The query must return exactly one
 * row with one non-NULL value: no rows, several rows or NULL fail the test with a message saying which.
 * `in_control` learns only from values that passed.
 */
export function testStatementTemplate(historyTable: string, pipeline: string): string {
  const m = marker;
  const shape =
    `CASE WHEN t.n = 0 THEN 'the query returned no rows; a test query must return one row with one value' ` +
    `WHEN t.n > 1 THEN 'the query returned ' || ${text('t.n')} || ' rows; a test query must return one row with one value' ` +
    `WHEN t.value IS NULL THEN 'the query returned NULL; a test query must return a number' END`;
  const status =
    `CASE WHEN t.n <> 1 OR t.value IS NULL THEN 'failed' WHEN ${m('learning')} THEN 'passed' ` +
    `WHEN ${m('condition')} THEN 'passed' ELSE 'failed' END`;
  return (
    `INSERT INTO ${historyTable} (${HISTORY_COLUMNS}) ` +
    `SELECT '${RUN_ID}', ${sqlString(pipeline)}, '${m('step')}', '${m('test')}', '${m('level')}', ` +
    `${status}, CASE WHEN t.n = 1 THEN t.value END, ${m('expectation')}, ${m('bandLow')}, ${m('bandHigh')}, ` +
    `COALESCE(${shape}, ${m('note')}), CAST('${STARTED_AT}' AS TIMESTAMP), ${m('baselineSince')} ` +
    `FROM (SELECT COUNT(*) AS n, CAST(MIN(q.v) AS DOUBLE PRECISION) AS value FROM (${m('query')}) q(v)) t${m('baseline')}`
  );
}

/** The statement of one test with its parts filled in (the runId and startedAt markers stay). */
export function testStatement(test: TestDefinition, context: TestSqlContext): string {
  const values: Record<string, string> = {
    ...testSqlParts(test, context),
    step: context.step,
    test: test.name,
    level: test.level,
  };
  return testStatementTemplate(context.historyTable, context.pipeline).replace(
    /\u0001([A-Za-z]+)\u0001/g,
    (whole, name: string) => values[name] ?? whole,
  );
}

/**
 * Reads one test's recorded result back (markers: runId, step, test): status, value, expectation, band low and
 * high, message, and the message as an alert suffix. Every column is text, never NULL.
 */
export function testReadBackStatement(historyTable: string, pipeline: string): string {
  const str = (column: string, empty: string) => `COALESCE(CAST(${column} AS VARCHAR(64)), '${empty}')`;
  return (
    `SELECT status, ${str('value', 'null')}, expectation, ${str('band_low', '')}, ${str('band_high', '')}, ` +
    `COALESCE(message, ''), COALESCE('. ' || message, '') FROM ${historyTable} WHERE run_id = '${RUN_ID}' AND pipeline = ${sqlString(pipeline)} ` +
    `AND step = '${marker('step')}' AND test = '${marker('test')}'`
  );
}

/**
 * `kitchen history --rebaseline TEST`: the test's baseline restarts from its latest recorded run (that value and
 * the passed ones after it), for a deliberate change of level. Sets `baseline_since` on that row.
 */
export function rebaselineStatement(historyTable: string, pipeline: string, test: string): string {
  const keys = `pipeline = ${sqlString(pipeline)} AND test = ${sqlString(test)}`;
  return (
    `UPDATE ${historyTable} SET baseline_since = recorded_at WHERE ${keys} AND recorded_at = ` +
    `(SELECT MAX(recorded_at) FROM ${historyTable} WHERE ${keys})`
  );
}

/** Records a test whose query failed (markers: runId, startedAt, step, test, level, expectation). */
export function erroredTestStatement(historyTable: string, pipeline: string): string {
  return (
    `INSERT INTO ${historyTable} (${HISTORY_COLUMNS}) VALUES ('${RUN_ID}', ${sqlString(pipeline)}, ` +
    `'${marker('step')}', '${marker('test')}', '${marker('level')}', 'errored', NULL, '${marker('expectation')}', NULL, NULL, ` +
    `'the test query failed', CAST('${STARTED_AT}' AS TIMESTAMP), NULL)`
  );
}

/**
 * Turns a statement with markers (`marker(name)`) into a States.Format string literal body and the JSONPath
 * arguments that fill it, in order (`paths[name]`). Everything else is escaped, so `{`, `}`, `'` and `\` in user
 * SQL survive untouched.
 */
export function toFormat(sql: string, paths: Readonly<Record<string, string>>): { template: string; args: string[] } {
  const args: string[] = [];
  const escaped = sql.replace(/[\\'{}]/g, (c) => `\\${c}`);
  const template = escaped.replace(/\u0001([A-Za-z]+)\u0001/g, (_, name: string) => {
    const path = paths[name];
    if (path === undefined) throw new Error(`toFormat: no path for marker ${name}`);
    args.push(path);
    return '{}';
  });
  return { template, args };
}

/** Fills the markers directly (what States.Format does at run time); for tests and local tools. */
export function fillMarkers(sql: string, runId: string, startedAt: string): string {
  return sql.split(RUN_ID).join(runId).split(STARTED_AT).join(startedAt);
}
