/**
 * `kitchen run orders --local` on the bundled example, in a Kitchen (schema k_cli_run_local, prefix
 * kitchens/cli-run-local/) so this file has its own schema on the shared test PostgreSQL.
 */
import * as fs from 'fs';
import * as path from 'path';
import { kitchen as run } from './support/cli';
import { type LocalOrdersKitchen, localOrdersKitchen } from './support/local-orders';

const KITCHEN = 'cli-run-local';
const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
let orders: LocalOrdersKitchen;

const kitchen = (...args: string[]) => run(args);
const localRun = (...extra: string[]) => orders.run(...extra);

beforeAll(async () => {
  orders = await localOrdersKitchen(KITCHEN);
});

afterAll(() => orders.remove());

describe('kitchen run --local', () => {
  it('should run the bundled orders pipeline and print each test result as it finishes', async () => {
    orders.land();
    const { code, stdout, stderr } = await localRun();
    expect(stderr).toContain('compiling pipeline orders for Kitchen cli-run-local in dev...');
    expect(stdout.trim().split('\n')).toStrictEqual([
      'PASS  load-raw / raw orders row count: 12 (expected >= 1) [error]',
      'PASS  load-raw / raw orders volume in control: 12 (expected in control (learning: 0 of 5 values recorded)) [warning]',
      'PASS  build-curated / curated orders row count: 12 (expected >= 1) [error]',
      'PASS  build-curated / customer id null rate: 0 (expected <= 0.05) [warning]',
      'PASS  build-curated / orders freshness in days: 0 (expected <= 1) [error]',
      'PASS  build-curated / negative amounts: 0 (expected = 0) [log]',
      'PASS  daily-revenue / daily revenue days: 6 (expected between 1 and 366) [warning]',
      'pipeline orders succeeded: 7 tests, 0 failed, 0 errored, 0 alerts',
    ]);
    expect(code).toBe(0);
  });

  it('should print the alert and exit 1 when an error test fails', async () => {
    // GIVEN nothing landed and nothing in raw: the ingest app loads no rows.
    fs.rmSync(orders.prefix('landing'), { recursive: true, force: true });
    fs.rmSync(orders.prefix('raw'), { recursive: true, force: true });
    const { code, stdout, stderr } = await localRun();
    expect(stdout.trim().split('\n')).toStrictEqual([
      'ALERT :x: dev / orders: test "raw orders row count" failed (error): Step "Load raw orders": value 0, expected >= 1',
      'FAIL  load-raw / raw orders row count: 0 (expected >= 1) [error]',
      // The step's other tests still run and are recorded before the step fails.
      'PASS  load-raw / raw orders volume in control: 0 (expected in control (learning: 1 of 5 values recorded)) [warning]',
      'pipeline orders failed: Kitchens.TestFailed: Test "raw orders row count" of step "Load raw orders" did not pass ' +
        '(expected >= 1): see the alert and the run output',
    ]);
    expect(stderr).toContain('error: pipeline orders failed locally: Kitchens.TestFailed');
    expect(code).toBe(1);
  });

  it('should print the whole result as JSON with --json', async () => {
    const { code, stdout } = await localRun('--json');
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      pipeline: 'orders',
      environment: 'dev',
      kitchen: KITCHEN,
      status: 'failed',
      error: 'Kitchens.TestFailed',
    });
    expect(result.alerts).toHaveLength(1);
    expect(code).toBe(1);
  });

  it('fails with exit code 2 without --pg-url', async () => {
    const saved = process.env.KITCHENS_PG_URL;
    delete process.env.KITCHENS_PG_URL;
    const { code, stderr } = await kitchen('run', 'orders', '--local');
    process.env.KITCHENS_PG_URL = saved;
    expect(stderr).toBe(
      'error: kitchen run --local: give --pg-url postgres://... (or set KITCHENS_PG_URL): the PostgreSQL that stands in for Redshift\n',
    );
    expect(code).toBe(2);
  });

  it('fails with exit code 2 on an unknown pipeline or app', async () => {
    const unknown = await kitchen('run', 'invoices', '--local', '--pg-url', pgUrl);
    expect(unknown.stderr).toBe(
      `synthesizing the app "node dist/bin/app.js" (the "app" of ${path.resolve('cdk.json')})...\n` +
        `error: kitchen run: no pipeline "invoices" in the app "node dist/bin/app.js" (the "app" of ${path.resolve('cdk.json')}) ` +
        '(stack acme-dev); pipelines are: orders\n',
    );
    expect(unknown.code).toBe(2);
    const app = await kitchen('run', 'orders', '--local', '--pg-url', pgUrl, '--app-command', 'loader=node x.js');
    expect(app.stderr).toBe(
      'error: --app-command must name a container app of the config (ingest, transform), got: "loader"\n',
    );
    expect(app.code).toBe(2);
  });
});
