/**
 * The test metrics a compiled pipeline publishes, proven by executing it locally: SQL and tests on the private
 * PostgreSQL, PutMetricData captured (and validated as CloudWatch would) by the local runner's handler.
 * Schema `observe_metrics` belongs to this file.
 */
import { Client } from 'pg';
import { runPipelineLocally } from '../../../lib/local/runner';
import type { LocalMetricCall } from '../../../lib/local/metrics';
import { METRICS_NAMESPACE } from '../../../lib/observability/metrics';
import { PipelineBuilder } from '../../../lib/pipeline/builder';
import type { PipelineDefinition } from '../../../lib/pipeline/model';
import { compileTestPipeline, TEST_APPS } from '../../support/pipeline-target';

const schema = 'observe_metrics';
const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
const context = { apps: [...TEST_APPS] };
let client: Client;

beforeAll(async () => {
  client = new Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`CREATE TABLE ${schema}.customers (customer_id VARCHAR(32), country VARCHAR(2))`);
  await client.query(`INSERT INTO ${schema}.customers VALUES ('C-001', 'NL'), ('C-002', 'DE'), ('C-003', NULL)`);
});

afterAll(async () => {
  await client.end();
});

async function run(
  definition: PipelineDefinition,
  kitchen?: string,
  options: {
    readonly stageWeight?: number;
    readonly injectErrors?: Record<string, { error: string; times: number }>;
  } = {},
) {
  const { asl, stateMachines } = compileTestPipeline(definition, { schema, kitchen, stageWeight: options.stageWeight });
  return runPipelineLocally({ definition: asl, stateMachines, pgUrl, injectErrors: options.injectErrors });
}

const customers = `SELECT COUNT(*) FROM ${schema}.customers`;
const dims = (step: string, test: string, kitchen = 'dev') => ({
  Project: 'acme',
  Environment: 'dev',
  Kitchen: kitchen,
  Pipeline: 'levels',
  Step: step,
  Test: test,
});
const pipelineDims = (level: string, verdict: string, kitchen = 'dev') => ({
  Project: 'acme',
  Environment: 'dev',
  Kitchen: kitchen,
  Pipeline: 'levels',
  Level: level,
  Verdict: verdict,
});

/** Sorted copies, so assertions do not depend on the order of items in a call. */
const items = (call: LocalMetricCall) =>
  call.data.map((d) => ({ metric: d.metricName, dimensions: d.dimensions, value: d.value, unit: d.unit }));

/** The three items one test publishes (its value left out when it has none). */
const testItems = (step: string, test: string, level: string, verdict: string, value?: number, kitchen = 'dev') => [
  ...(value === undefined ? [] : [{ metric: 'TestValue', dimensions: dims(step, test, kitchen), value, unit: 'None' }]),
  { metric: 'TestResult', dimensions: { ...dims(step, test, kitchen), Verdict: verdict }, value: 1, unit: 'Count' },
  { metric: 'PipelineTestResult', dimensions: pipelineDims(level, verdict, kitchen), value: 1, unit: 'Count' },
];

/** Each call's state and items, keyed by the test it published (one call per test and state). */
const byTest = (calls: readonly LocalMetricCall[]) =>
  Object.fromEntries(
    calls.map((c) => [`${c.data.find((d) => d.dimensions.Test)?.dimensions.Test} / ${c.state}`, items(c)]),
  );

describe('test metrics of a run with passing, warning and log tests', () => {
  const levels = () =>
    new PipelineBuilder('levels')
      .sql('load', {
        sql: 'SELECT 1',
        tests: [
          { name: 'customers present', query: customers, rule: { min: 1 }, level: 'error' },
          { name: 'enough customers', query: customers, rule: { min: 1000 }, level: 'warning' },
        ],
      })
      .sql('check', {
        after: ['load'],
        sql: 'SELECT 1',
        tests: [
          {
            name: 'countries missing',
            query: `SELECT COUNT(*) FROM ${schema}.customers WHERE country IS NULL`,
            rule: { equals: 0 },
            level: 'log',
          },
        ],
      })
      .build(context);

  it('should publish each test from its own execution: value, verdict and per-pipeline count, with the run identity', async () => {
    // WHEN the pipeline runs in the environment
    const result = await run(levels());
    // THEN the run succeeds and each test makes one PutMetricData call in the pipelines namespace
    expect(result.status).toBe('succeeded');
    expect(result.metrics.map((c) => c.namespace)).toStrictEqual(Array(3).fill(METRICS_NAMESPACE));
    expect(byTest(result.metrics)).toStrictEqual({
      'customers present / Publish test metrics': testItems('load', 'customers present', 'error', 'passed', 3),
      'enough customers / Publish test metrics': testItems('load', 'enough customers', 'warning', 'failed', 3),
      'countries missing / Publish test metrics': testItems('check', 'countries missing', 'log', 'failed', 1),
    });
    // AND the warning still alerted: publishing metrics changed nothing else
    expect(result.alerts.map((a) => a.context.test)).toStrictEqual(['enough customers']);
    expect(Object.keys(result.output.tests).sort()).toStrictEqual([
      'countries_missing',
      'customers_present',
      'enough_customers',
    ]);
  });

  it('should name the Kitchen in the Kitchen dimension when the pipeline runs in a Kitchen', async () => {
    const result = await run(levels(), 'profit-report');
    expect(result.status).toBe('succeeded');
    expect(result.metrics).toHaveLength(3);
    expect(new Set(result.metrics.flatMap((c) => c.data.map((d) => d.dimensions.Kitchen)))).toStrictEqual(
      new Set(['profit-report']),
    );
  });
});

describe('a test whose query returns NULL', () => {
  it('should fall back to the verdicts alone when CloudWatch rejects the value, and the run still succeeds', async () => {
    const definition = new PipelineBuilder('levels')
      .sql('load', {
        sql: 'SELECT 1',
        tests: [
          { name: 'customers present', query: customers, rule: { min: 1 }, level: 'error' },
          {
            name: 'newest customer',
            query: `SELECT MAX(LENGTH(country)) FROM ${schema}.customers WHERE country = 'XX'`,
            rule: { min: 1 },
            level: 'warning',
          },
        ],
      })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('succeeded');
    expect(result.output.tests.newest_customer).toMatchObject({ value: 'null', status: 'failed' });
    expect(byTest(result.metrics)).toStrictEqual({
      'customers present / Publish test metrics': testItems('load', 'customers present', 'error', 'passed', 3),
      'newest customer / Publish test verdict': testItems('load', 'newest customer', 'warning', 'failed'),
    });
  });
});

describe('a failing error test', () => {
  // Each test publishes from its own execution: the failing test and every test that ran before it.
  const failing = () =>
    new PipelineBuilder('levels')
      .sql('load', {
        sql: 'SELECT 1',
        tests: [{ name: 'customers present', query: customers, rule: { min: 1000 }, level: 'error' }],
      })
      .build(context);
  const cause =
    'Test "customers present" of step "Load" did not pass (expected >= 1000): see the alert and the run output';

  it('should publish its value and failed verdict, and fail the run the same way', async () => {
    const result = await run(failing());
    expect([result.status, result.error, result.cause]).toStrictEqual(['failed', 'Kitchens.TestFailed', cause]);
    expect(byTest(result.metrics)).toStrictEqual({
      'customers present / Publish test metrics': testItems('load', 'customers present', 'error', 'failed', 3),
    });
    // Still one alert, the test's own
    expect(result.alerts.map((a) => a.context.test)).toStrictEqual(['customers present']);
  });

  it('should publish every test that ran before it in the same run', async () => {
    const definition = new PipelineBuilder('levels')
      .sql('first', {
        sql: 'SELECT 1',
        tests: [
          { name: 'first ok', query: customers, rule: { min: 1 } },
          { name: 'first warns', query: customers, rule: { min: 1000 }, level: 'warning' },
        ],
      })
      .sql('load', {
        after: ['first'],
        sql: 'SELECT 1',
        tests: [{ name: 'customers present', query: customers, rule: { min: 1000 }, level: 'error' }],
      })
      .build(context);
    const result = await run(definition);
    expect(result.error).toBe('Kitchens.TestFailed');
    expect(result.metrics).toHaveLength(3);
    expect(byTest(result.metrics)).toStrictEqual({
      'first ok / Publish test metrics': testItems('first', 'first ok', 'error', 'passed', 3),
      'first warns / Publish test metrics': testItems('first', 'first warns', 'warning', 'failed', 3),
      'customers present / Publish test metrics': testItems('load', 'customers present', 'error', 'failed', 3),
    });
  });

  it('should publish the verdict alone, errored, when the test query fails (there is no value)', async () => {
    const definition = new PipelineBuilder('levels')
      .sql('load', {
        sql: 'SELECT 1',
        tests: [
          {
            name: 'customers present',
            query: `SELECT COUNT(*) FROM ${schema}.nowhere`,
            rule: { min: 1 },
            level: 'error',
          },
        ],
      })
      .build(context);
    const result = await run(definition);
    expect(result.error).toBe('Kitchens.TestFailed');
    expect(result.tests.map((t) => [t.status, t.value])).toStrictEqual([['errored', 'null']]);
    expect(byTest(result.metrics)).toStrictEqual({
      'customers present / Publish test verdict': testItems('load', 'customers present', 'error', 'errored'),
    });
  });

  it('should publish the same way when the test runs in a Parallel branch', async () => {
    const definition = new PipelineBuilder('levels')
      .sql('other', { sql: 'SELECT 1', tests: [{ name: 'other ok', query: customers, rule: { min: 1 } }] })
      .sql('load', {
        sql: 'SELECT 1',
        tests: [{ name: 'customers present', query: customers, rule: { min: 1000 }, level: 'error' }],
      })
      .build(context);
    const result = await run(definition);
    expect([result.error, result.cause]).toStrictEqual(['Kitchens.TestFailed', cause]);
    expect(byTest(result.metrics)['customers present / Publish test metrics']).toStrictEqual(
      testItems('load', 'customers present', 'error', 'failed', 3),
    );
    expect(result.alerts).toHaveLength(1);
  });

  it('should publish the same way when the test runs in a stage machine, with the Kitchen dimension', async () => {
    const definition = new PipelineBuilder('levels')
      .sql('first', { sql: 'SELECT 1', tests: [{ name: 'first ok', query: customers, rule: { min: 1 } }] })
      .sql('load', {
        after: ['first'],
        sql: 'SELECT 1',
        tests: [{ name: 'customers present', query: customers, rule: { min: 1000 }, level: 'error' }],
      })
      .build(context);
    const result = await run(definition, 'profit-report', { stageWeight: 2 });
    expect(result.error).toBe('Kitchens.TestFailed');
    // Stage 1's test and stage 2's failing test, each from its own execution.
    expect(byTest(result.metrics)).toStrictEqual({
      'first ok / Publish test metrics': testItems('first', 'first ok', 'error', 'passed', 3, 'profit-report'),
      'customers present / Publish test metrics': testItems(
        'load',
        'customers present',
        'error',
        'failed',
        3,
        'profit-report',
      ),
    });
  });

  it('should fail the run with the test, unchanged, when CloudWatch refuses both calls', async () => {
    const refused = { error: 'CloudWatch.AccessDeniedException', times: 1 };
    const result = await run(failing(), undefined, {
      injectErrors: { 'Publish test metrics': refused, 'Publish test verdict': refused },
    });
    expect([result.status, result.error, result.cause]).toStrictEqual(['failed', 'Kitchens.TestFailed', cause]);
    expect(result.metrics).toStrictEqual([]);
    expect(result.alerts).toHaveLength(1);
  });
});

describe('an in_control test', () => {
  it('should publish no band while learning, then the band the test judged the value against', async () => {
    await client.query(`CREATE TABLE ${schema}.volume (n INTEGER)`);
    await client.query(`INSERT INTO ${schema}.volume SELECT generate_series(1, 100)`);
    const definition = new PipelineBuilder('levels')
      .sql('check', {
        sql: 'SELECT 1',
        tests: [
          {
            name: 'volume in control',
            query: `SELECT COUNT(*) FROM ${schema}.volume`,
            rule: { in_control: { k: 2, last: 5, min_history: 3 } },
            level: 'warning',
          },
        ],
      })
      .build(context);
    const calls: string[][] = [];
    for (const extra of [0, 2, 4]) {
      if (extra > 0) await client.query(`INSERT INTO ${schema}.volume SELECT generate_series(1, ${extra})`);
      calls.push((await run(definition)).metrics.map((c) => c.state));
    }
    expect(calls).toStrictEqual([['Publish test metrics'], ['Publish test metrics'], ['Publish test metrics']]);
    // Recorded 100, 102, 106: median 102, robust sd 2.224 widened 10.6 times for 3 values -> [54.854, 149.146]; then an
    // outlier of 506.
    await client.query(`INSERT INTO ${schema}.volume SELECT generate_series(1, 400)`);
    const outlier = await run(definition);
    expect(outlier.output.tests.volume_in_control).toMatchObject({ status: 'failed', value: '506' });
    expect(outlier.metrics.map((c) => c.state)).toStrictEqual(['Publish test metrics', 'Publish test band']);
    expect(items(outlier.metrics[1])).toStrictEqual([
      { metric: 'TestBandLower', dimensions: dims('check', 'volume in control'), value: 54.854, unit: 'None' },
      { metric: 'TestBandUpper', dimensions: dims('check', 'volume in control'), value: 149.146, unit: 'None' },
    ]);
    expect(items(outlier.metrics[0]).find((i) => i.metric === 'TestValue')?.value).toBe(506);
  });
});
