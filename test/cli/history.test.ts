/**
 * `kitchen history` over the history real `kitchen run --local` runs of the bundled orders pipeline wrote, in a
 * Kitchen of its own (schema k_cli_history, prefix kitchens/cli-history/) on the shared test PostgreSQL.
 */
import { type LocalDataApi, startLocalDataApi } from '../../lib/local/data-api-server';
import { kitchen as run } from './support/cli';
import { type LocalOrdersKitchen, localOrdersKitchen } from './support/local-orders';

const KITCHEN = 'cli-history';
const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
let orders: LocalOrdersKitchen;

const kitchen = (...args: string[]) => run(args);

beforeAll(async () => {
  orders = await localOrdersKitchen(KITCHEN);
  // GIVEN six runs over the same 12 landed orders (5 to learn the band, one judged in control), then a run over
  // 36 orders: the outlier
  orders.land();
  for (let i = 0; i < 6; i++) expect((await orders.run()).code).toBe(0);
  orders.land('a');
  orders.land('b');
  expect((await orders.run()).code).toBe(0);
}, 300000);

afterAll(() => orders.remove());

describe('kitchen history', () => {
  it('should list the runs with their outcome and chart the in_control test with the outlier outside its band', async () => {
    const { code, stdout } = await kitchen('history', 'orders', '--local', '--pg-url', pgUrl, '--kitchen', KITCHEN);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('Pipeline orders: last 7 run(s) from k_cli_history.kitchens_test_history');
    expect(lines[1].split(/\s{2,}/)).toStrictEqual([
      'Started',
      'Run',
      'Outcome',
      'Duration',
      'Tests',
      'Failed',
      'Warned',
    ]);
    // newest first: the outlier run warned, the six before passed; each run recorded its duration as it ended
    const columns = lines.slice(2, 9).map((l) => l.split(/\s{2,}/).slice(2));
    expect(columns.map(([outcome, , ...rest]) => [outcome, ...rest])).toStrictEqual([
      ['warned', '7', '-', 'load-raw / raw orders volume in control'],
      ...Array.from({ length: 6 }, () => ['passed', '7', '-', '-']),
    ]);
    for (const [, duration] of columns) expect(duration).toMatch(/^\d+\.\ds$/);
    expect(stdout).toContain('Test "raw orders volume in control":');
    expect(stdout).toContain(
      'value and band (lower, upper) over 2 runs, oldest left; 5 earlier run(s) without a band not charted',
    );
    // a constant series of 12 gets the minimum band width (1% of the mean by default): 11.88 to 12.12
    expect(stdout).toMatch(/outside its band: run [0-9a-f-]+ at \S+: 36 \(band 11\.88 to 12\.12\)/);
    // the chart's y axis runs from the band's lower limit up to the outlier (36)
    const axis = lines.filter((l) => /^\s+-?[0-9.]+ [┼┤]/.test(l)).map((l) => Number(l.trim().split(' ')[0]));
    expect(Math.max(...axis)).toBe(36);
    expect(Math.min(...axis)).toBe(11.88);
  });

  it('should print runs and the chart points as JSON with --json, and honour --last and --test', async () => {
    const { code, stdout } = await kitchen(
      '--json',
      'history',
      'orders',
      '--local',
      '--pg-url',
      pgUrl,
      '--kitchen',
      KITCHEN,
      '--last',
      '2',
      '--test',
      'raw orders row count',
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.runs.map((r: { outcome: string }) => r.outcome)).toStrictEqual(['passed', 'warned']);
    // Each run's record: its end, its duration (end - start) and its execution
    for (const run of result.runs) {
      expect(run.durationSeconds).toBe((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
      expect(run.durationSeconds).toBeGreaterThan(0);
      expect(run.execution).toMatch(/^arn:aws:states:local:000000000000:execution:local:/);
    }
    expect(result.chart.test).toBe('raw orders row count');
    expect(result.chart.points.map((p: { value: number }) => p.value)).toStrictEqual([12, 36]);
  });

  it('should say so when a pipeline has no recorded runs there', async () => {
    const { code, stdout } = await kitchen(
      'history',
      'orders',
      '--local',
      '--pg-url',
      pgUrl,
      '--kitchen',
      'nobody-ran',
    );
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('no runs of pipeline orders recorded in k_nobody_ran.kitchens_test_history');
  });

  it('fails with exit code 2 on bad options', async () => {
    const last = await kitchen('history', 'orders', '--local', '--pg-url', pgUrl, '--last', 'ten');
    expect(last.stderr).toBe('error: --last must be an integer from 1 to 1000, got: "ten"\n');
    expect(last.code).toBe(2);
    const both = await kitchen('history', 'orders', '--local', '--pg-url', pgUrl, '--kitchen', KITCHEN, '--env', 'dev');
    expect(both.stderr).toBe('error: give --kitchen NAME or --env ENV, not both\n');
    const noUrl = await kitchen('history', 'orders', '--local', '--pg-url', 'mysql://x');
    expect(noUrl.stderr).toBe(
      'error: --pg-url must be a PostgreSQL URL such as postgres://user@127.0.0.1:5432/db (or set KITCHENS_PG_URL), got: "mysql://x"\n',
    );
    const test = await kitchen(
      'history',
      'orders',
      '--local',
      '--pg-url',
      pgUrl,
      '--kitchen',
      KITCHEN,
      '--test',
      'nope',
    );
    // after the progress line of the app's synth (the pipeline comes from the app's cloud assembly)
    expect(test.stderr).toContain(
      'error: --test must name a test of pipeline orders recorded in k_cli_history.kitchens_test_history (curated orders row count, customer id null rate, daily revenue days, negative amounts, orders freshness in days, raw orders row count, raw orders volume in control), got: "nope"\n',
    );
    expect(test.code).toBe(2);
  });
});

describe('kitchen history on AWS (Redshift Data API)', () => {
  // The same table, read through the Data API: the real SDK client speaks the JSON protocol to a local endpoint that
  // executes on the same PostgreSQL (lib/local/data-api-server.ts), with statements that report STARTED before
  // FINISHED and results in pages of 20 records, so polling and paging both run.
  let api: LocalDataApi;
  const saved = process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA;
  beforeAll(async () => {
    api = await startLocalDataApi({ pgUrl, pageSize: 20, startedPolls: 2 });
    process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = api.endpoint;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA;
    else process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = saved;
    await api.close();
  });

  it('should show exactly what the local table shows, through ExecuteStatement, polling and paging', async () => {
    const local = await kitchen('--json', 'history', 'orders', '--local', '--pg-url', pgUrl, '--kitchen', KITCHEN);
    api.calls.length = 0;
    const remote = await kitchen(
      '--json',
      'history',
      'orders',
      '--kitchen',
      KITCHEN,
      '--db-user',
      'k_cli_history_user',
    );
    expect(remote.stderr).not.toContain('error:');
    expect(remote.code).toBe(0);
    expect(JSON.parse(remote.stdout)).toStrictEqual(JSON.parse(local.stdout));
    // 7 runs x 7 tests = 49 rows: three pages of 20
    expect(api.calls.map((c) => c.action)).toStrictEqual([
      'ExecuteStatement',
      'DescribeStatement',
      'DescribeStatement',
      'DescribeStatement',
      'GetStatementResult',
      'ExecuteStatement',
      'DescribeStatement',
      'DescribeStatement',
      'DescribeStatement',
      'GetStatementResult',
      'GetStatementResult',
      'GetStatementResult',
    ]);
    expect(api.calls[0].input).toMatchObject({
      ClusterIdentifier: 'acme-dev-warehouse',
      Database: 'analytics',
      DbUser: 'k_cli_history_user',
    });
    expect(api.calls[5].input.Sql).toContain(
      "UNION ALL SELECT run_id, started_at AS at FROM k_cli_history.kitchens_test_history_runs WHERE pipeline = 'orders') u " +
        'GROUP BY run_id ORDER BY at DESC, run_id LIMIT 10',
    );
  });

  it('should print the same table and chart for people', async () => {
    const local = await kitchen('history', 'orders', '--local', '--pg-url', pgUrl, '--kitchen', KITCHEN, '--last', '3');
    const remote = await kitchen('history', 'orders', '--kitchen', KITCHEN, '--last', '3');
    expect(remote.code).toBe(0);
    expect(remote.stdout).toBe(local.stdout);
  });

  it('fails with exit code 3 naming the table and cluster when the Data API cannot be reached', async () => {
    // GIVEN an endpoint where nothing listens (the port of a server that was closed)
    const closed = await startLocalDataApi({ pgUrl });
    await closed.close();
    process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = closed.endpoint;
    try {
      const failed = await kitchen(
        'history',
        'orders',
        '--env',
        'production',
        '--secret-arn',
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme/production/warehouse/pipeline-AbCdEf',
      );
      expect(failed.code).toBe(3);
      expect(failed.stderr).toMatch(
        /^error: kitchen history: could not read analytics\.kitchens_test_history on cluster acme-production-warehouse \(database analytics, eu-west-1\) through the Redshift Data API: .*ECONNREFUSED/m,
      );
    } finally {
      process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = api.endpoint;
    }
  });

  it('fails with exit code 2 on bad credentials options, before calling AWS', async () => {
    api.calls.length = 0;
    const both = await kitchen('history', 'orders', '--secret-arn', 'x', '--db-user', 'y');
    expect(both.stderr).toBe('error: give --secret-arn ARN or --db-user NAME, not both\n');
    const arn = await kitchen('history', 'orders', '--secret-arn', 'acme/production/warehouse');
    expect(arn.stderr).toBe(
      'error: --secret-arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), got: "acme/production/warehouse"\n',
    );
    const user = await kitchen('history', 'orders', '--db-user', 'Robert; DROP');
    expect(user.stderr).toBe(
      'error: --db-user must be a Redshift user name (lowercase letters, digits, _ and $, starting with a letter or _), got: "Robert; DROP"\n',
    );
    expect([both.code, arn.code, user.code]).toStrictEqual([2, 2, 2]);
    expect(api.calls).toStrictEqual([]);
  });
});
