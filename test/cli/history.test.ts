/**
 * `kitchen history` over the history real `kitchen run --local` runs of the bundled orders pipeline wrote, in a
 * Kitchen of its own (schema k_cli_history, prefix kitchens/cli-history/) on the shared test PostgreSQL.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { kitchen as run } from './support/cli';

const ROOT = path.join(__dirname, '..', '..');
const CONFIG = path.join(ROOT, 'kitchens.config.yaml');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'orders');
const KITCHEN = 'cli-history';
const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
let lake: string;

const kitchen = (...args: string[]) => run(args, CONFIG);
const landing = () => path.join(lake, 'acme-dev-landing-222222222222', 'kitchens', KITCHEN, 'orders');

const localRun = () =>
  kitchen(
    'run',
    'orders',
    '--local',
    '--pg-url',
    pgUrl,
    '--kitchen',
    KITCHEN,
    '--data-lake',
    lake,
    '--app-command',
    `ingest=node ${path.join(FIXTURES, 'ingest.js')}`,
    '--app-command',
    `transform=node ${path.join(FIXTURES, 'transform.js')}`,
  );

beforeAll(async () => {
  lake = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-cli-history-'));
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  await client.query('DROP SCHEMA IF EXISTS k_cli_history CASCADE');
  await client.end();
  // GIVEN six runs over the same 12 landed orders (5 to learn the band, one judged in control), then a run over
  // 36 orders: the outlier
  fs.mkdirSync(landing(), { recursive: true });
  const files = fs.readdirSync(path.join(FIXTURES, 'landing', 'orders'));
  for (const file of files) fs.copyFileSync(path.join(FIXTURES, 'landing', 'orders', file), path.join(landing(), file));
  for (let i = 0; i < 6; i++) expect((await localRun()).code).toBe(0);
  for (const copy of ['a', 'b']) {
    for (const file of files) {
      fs.copyFileSync(path.join(FIXTURES, 'landing', 'orders', file), path.join(landing(), `${copy}-${file}`));
    }
  }
  expect((await localRun()).code).toBe(0);
}, 300000);

afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

describe('kitchen history', () => {
  it('should list the runs with their outcome and chart the in_control test with the outlier outside its band', async () => {
    const { code, stdout } = await kitchen('history', 'orders', '--local', '--pg-url', pgUrl, '--kitchen', KITCHEN);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('Pipeline orders: last 7 run(s) from k_cli_history.kitchens_test_history');
    expect(lines[1].split(/\s{2,}/)).toStrictEqual(['Started', 'Run', 'Outcome', 'Tests', 'Failed', 'Warned']);
    // newest first: the outlier run warned, the six before passed
    const outcomes = lines.slice(2, 9).map((l) => l.split(/\s{2,}/).slice(2));
    expect(outcomes).toStrictEqual([
      ['warned', '7', '-', 'load-raw / raw orders volume in control'],
      ...Array.from({ length: 6 }, () => ['passed', '7', '-', '-']),
    ]);
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
    expect(test.stderr).toBe(
      'error: --test must name a test of pipeline orders recorded in k_cli_history.kitchens_test_history (curated orders row count, customer id null rate, daily revenue days, negative amounts, orders freshness in days, raw orders row count, raw orders volume in control), got: "nope"\n',
    );
    expect(test.code).toBe(2);
  });
});
