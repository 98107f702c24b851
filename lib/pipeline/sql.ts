/**
 * SQL the compiler generates: the test-history table and one statement pair per test. It stays in the subset
 * Redshift and PostgreSQL both accept (no CTEs in INSERT, no GETDATE/NOW, no ROUND on DOUBLE PRECISION), so the
 * local runner can execute the very statements the state machine sends to the Data API.
 */
import type { TestDefinition, TestRule } from './model';

/** Markers for values the state machine fills at run time through States.Format. */
export const RUN_ID = '\u0001run_id\u0001';
export const STARTED_AT = '\u0001started_at\u0001';

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const sqlNumber = (value: number) => String(value);

export function historySetupStatements(historyTable: string): string[] {
  const dot = historyTable.lastIndexOf('.');
  const statements: string[] = [];
  if (dot > 0) {
    statements.push(`CREATE SCHEMA IF NOT EXISTS ${historyTable.slice(0, dot)}`);
  }
  statements.push(
    `CREATE TABLE IF NOT EXISTS ${historyTable} (` +
      'run_id VARCHAR(64) NOT NULL, pipeline VARCHAR(64) NOT NULL, step VARCHAR(64) NOT NULL, test VARCHAR(128) NOT NULL, ' +
      'level VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL, value DOUBLE PRECISION, expectation VARCHAR(256), ' +
      'recorded_at TIMESTAMP NOT NULL)',
  );
  return statements;
}

const text = (sql: string) => `CAST(${sql} AS VARCHAR(64))`;
const decimal = (sql: string) => text(`CAST(${sql} AS DECIMAL(38,4))`);

function ruleSql(rule: TestRule): { status: string; expectation: string } {
  const check = (condition: string, expectation: string) => ({
    status: `CASE WHEN ${condition} THEN 'passed' ELSE 'failed' END`,
    expectation: sqlString(expectation),
  });
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
      const k = sqlNumber(rule.k);
      const low = `b.mean - ${k} * COALESCE(b.sd, 0)`;
      const high = `b.mean + ${k} * COALESCE(b.sd, 0)`;
      return {
        status: `CASE WHEN b.n < ${rule.minHistory} THEN 'passed' WHEN t.value BETWEEN ${low} AND ${high} THEN 'passed' ELSE 'failed' END`,
        expectation:
          `CASE WHEN b.n < ${rule.minHistory} THEN 'in control (learning: ' || ${text('b.n')} || ' of ${rule.minHistory} values recorded)' ` +
          `ELSE 'between ' || ${decimal(low)} || ' and ' || ${decimal(high)} || ' (mean +/- ${rule.k} sd of last ' || ${text('b.n')} || ')' END`,
      };
    }
  }
}

export interface TestSqlContext {
  readonly historyTable: string;
  readonly pipeline: string;
  readonly step: string;
}

/**
 * The two statements of one test, run in one BatchExecuteStatement: record the result, then read it back.
 * They contain the RUN_ID and STARTED_AT markers (the run's start time, ISO 8601) the state machine fills
 * through States.Format (see `toFormat`).
 */
export function testStatements(test: TestDefinition, context: TestSqlContext): [string, string] {
  const { status, expectation } = ruleSql(test.rule);
  const keys = `pipeline = ${sqlString(context.pipeline)} AND step = ${sqlString(context.step)} AND test = ${sqlString(test.name)}`;
  const baseline =
    test.rule.kind === 'in_control'
      ? ` CROSS JOIN (SELECT AVG(h.value) AS mean, STDDEV_SAMP(h.value) AS sd, COUNT(h.value) AS n FROM ` +
        `(SELECT value FROM ${context.historyTable} WHERE ${keys} AND value IS NOT NULL ` +
        `ORDER BY recorded_at DESC LIMIT ${test.rule.last}) h) b`
      : '';
  const insert =
    `INSERT INTO ${context.historyTable} (run_id, pipeline, step, test, level, status, value, expectation, recorded_at) ` +
    `SELECT '${RUN_ID}', ${sqlString(context.pipeline)}, ${sqlString(context.step)}, ${sqlString(test.name)}, ${sqlString(test.level)}, ` +
    `${status}, t.value, ${expectation}, CAST('${STARTED_AT}' AS TIMESTAMP) ` +
    `FROM (SELECT CAST((${test.query}) AS DOUBLE PRECISION) AS value) t${baseline}`;
  const select =
    `SELECT status, COALESCE(CAST(value AS VARCHAR(64)), 'null') AS value, expectation FROM ${context.historyTable} ` +
    `WHERE run_id = '${RUN_ID}' AND ${keys}`;
  return [insert, select];
}

/**
 * Turns a statement with RUN_ID / STARTED_AT markers into a States.Format string literal body and the
 * JSONPath arguments that fill it, in order. Everything else is escaped, so `{`, `}`, `'` and `\` in user SQL
 * survive untouched.
 */
export function toFormat(
  sql: string,
  paths: { readonly runId: string; readonly startedAt: string },
): { template: string; args: string[] } {
  const args: string[] = [];
  const escaped = sql.replace(/[\\'{}]/g, (c) => `\\${c}`);
  const template = escaped.replace(new RegExp(`${RUN_ID}|${STARTED_AT}`, 'g'), (marker) => {
    args.push(marker === RUN_ID ? paths.runId : paths.startedAt);
    return '{}';
  });
  return { template, args };
}

/** Fills the markers directly (what States.Format does at run time); for tests and local tools. */
export function fillMarkers(sql: string, runId: string, startedAt: string): string {
  return sql.split(RUN_ID).join(runId).split(STARTED_AT).join(startedAt);
}
