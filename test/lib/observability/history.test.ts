import { Client } from 'pg';
import { bindParameters } from '../../../lib/local/runner';
import {
  failureCauses,
  formatRunDuration,
  type HistoryRow,
  readHistory,
  summarizeRuns,
} from '../../../lib/observability/history';
import { historySetupStatements, runRecordStatement } from '../../../lib/pipeline/sql';

const row = (runId: string, test: string, level: string, status: string): HistoryRow => ({
  runId,
  step: 'load',
  test,
  level,
  status,
  value: status === 'errored' ? null : 1,
  expectation: null,
  recordedAt: '2026-11-28T10:00:00.000Z',
});

describe('summarizeRuns', () => {
  // The statuses a run records (lib/pipeline/sql.ts): passed, failed, errored (the test query itself failed).
  it('should follow the pipeline outcome rule: an errored test warns, an error-level test that did not pass fails', () => {
    const runs = summarizeRuns([
      row('r1', 'count', 'error', 'passed'),
      row('r1', 'volume', 'warning', 'passed'),
      row('r2', 'count', 'error', 'passed'),
      row('r2', 'freshness', 'log', 'errored'),
      row('r3', 'count', 'error', 'passed'),
      row('r3', 'volume', 'warning', 'failed'),
      row('r4', 'count', 'error', 'errored'),
      row('r5', 'count', 'error', 'failed'),
      row('r5', 'volume', 'warning', 'errored'),
    ]);
    expect(runs.map((r) => [r.runId, r.outcome, r.failed, r.warned])).toStrictEqual([
      ['r1', 'passed', [], []],
      ['r2', 'warned', [], ['load / freshness']],
      ['r3', 'warned', [], ['load / volume']],
      ['r4', 'failed', ['load / count'], []],
      ['r5', 'failed', ['load / count'], ['load / volume']],
    ]);
  });
});

describe('readHistory on PostgreSQL, across the upgrade that added the runs table', () => {
  // Schema observe_history belongs to this file. Old runs are written in the shape an older release left: test rows
  // only. New runs are recorded with the statements the pipeline sends (setup, test rows, the run record).
  const schema = 'observe_history';
  const table = `${schema}.kitchens_test_history`;
  let client: Client;
  beforeAll(async () => {
    client = new Client({ connectionString: process.env.KITCHENS_TEST_PG_URL! });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE ${table} (run_id VARCHAR(64) NOT NULL, pipeline VARCHAR(64) NOT NULL, step VARCHAR(64) NOT NULL, ` +
        'test VARCHAR(128) NOT NULL, level VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL, value DOUBLE PRECISION, ' +
        'expectation VARCHAR(256), recorded_at TIMESTAMP NOT NULL)',
    );
    await client.query(
      `INSERT INTO ${table} VALUES ('r-old', 'orders', 'load', 'rows', 'error', 'passed', 12, '>= 1', '2026-11-27 08:00:00')`,
    );
  });
  afterAll(async () => {
    await client.end();
  });

  const record = async (runId: string, failed: boolean, startedAt: string, finishedAt: string) => {
    const { text, values } = bindParameters(runRecordStatement(table, 'orders', failed), [
      { Name: 'run_id', Value: runId },
      { Name: 'started_at', Value: startedAt },
      { Name: 'finished_at', Value: finishedAt },
      { Name: 'execution', Value: `arn:aws:states:eu-west-1:111111111111:execution:acme-dev-orders:${runId}` },
      ...(failed ? [{ Name: 'cause', Value: `Kitchens.SqlFailed: SQL of step "Load" failed in ${runId}` }] : []),
    ]);
    await client.query(text, values);
  };

  it('should read a database without the runs table: outcomes from the tests, no duration', async () => {
    const { rows, records } = await readHistory(client, table, 'orders', 10);
    expect(records).toStrictEqual([]);
    expect(
      summarizeRuns(rows, records).map((r) => [r.runId, r.outcome, r.durationSeconds, r.finishedAt]),
    ).toStrictEqual([['r-old', 'passed', null, null]]);
  });

  it('should list recorded runs with their duration, a run without test rows included, and old runs without one', async () => {
    // GIVEN a runs table of the release before failed runs recorded their cause (read without one)
    await client.query(
      `CREATE TABLE ${table}_runs (run_id VARCHAR(64) NOT NULL, pipeline VARCHAR(64) NOT NULL, outcome VARCHAR(32) NOT NULL, ` +
        'started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL, execution VARCHAR(1024))',
    );
    expect((await readHistory(client, table, 'orders', 10)).records).toStrictEqual([]);
    // and the setup of a new release (adds the columns), then two recorded runs: one that warned, one whose step
    // failed before any test
    for (const statement of historySetupStatements(table)) await client.query(statement);
    await client.query(
      `INSERT INTO ${table} (run_id, pipeline, step, test, level, status, value, expectation, recorded_at) VALUES ` +
        "('r-new', 'orders', 'load', 'rows', 'error', 'passed', 12, '>= 1', '2026-11-28 08:00:00.250'), " +
        "('r-new', 'orders', 'load', 'volume', 'warning', 'failed', 40, 'between 10 and 20', '2026-11-28 08:00:00.250')",
    );
    await record('r-new', false, '2026-11-28T08:00:00.250Z', '2026-11-28T08:03:05.750Z');
    await record('r-broken', true, '2026-11-28T09:00:00.000Z', '2026-11-28T09:00:01.500Z');
    // A second write of the same run adds nothing
    await record('r-broken', true, '2026-11-28T09:00:00.000Z', '2026-11-28T09:00:09.000Z');
    // WHEN
    const { rows, records } = await readHistory(client, table, 'orders', 10);
    const runs = summarizeRuns(rows, records);
    // THEN
    expect(runs.map((r) => [r.runId, r.outcome, r.startedAt, r.finishedAt, r.durationSeconds, r.tests])).toStrictEqual([
      ['r-old', 'passed', '2026-11-27T08:00:00.000Z', null, null, 1],
      ['r-new', 'warned', '2026-11-28T08:00:00.250Z', '2026-11-28T08:03:05.750Z', 185.5, 2],
      ['r-broken', 'failed', '2026-11-28T09:00:00.000Z', '2026-11-28T09:00:01.500Z', 1.5, 0],
    ]);
    expect(runs[2].execution).toBe('arn:aws:states:eu-west-1:111111111111:execution:acme-dev-orders:r-broken');
    expect(runs.map((r) => r.cause)).toStrictEqual([
      null,
      null,
      'Kitchens.SqlFailed: SQL of step "Load" failed in r-broken',
    ]);
    expect(failureCauses(runs)).toStrictEqual([
      'run r-broken failed: Kitchens.SqlFailed: SQL of step "Load" failed in r-broken',
    ]);
    expect(runs.map((r) => formatRunDuration(r.durationSeconds))).toStrictEqual(['-', '3m 6s', '1.5s']);
    // --last counts runs from both tables
    const lastTwo = await readHistory(client, table, 'orders', 2);
    expect(summarizeRuns(lastTwo.rows, lastTwo.records).map((r) => r.runId)).toStrictEqual(['r-new', 'r-broken']);
  });
});
