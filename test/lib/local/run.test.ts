/**
 * Compiled pipelines executed in-process (aws-local-stepfunctions) with SQL and test states on the private
 * PostgreSQL, container steps as local processes and alerts captured. Schema `local_run` belongs to this file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import {
  bindParameters,
  describeContainerEvent,
  LocalEvent,
  localCommand,
  runPipelineLocally,
} from '../../../lib/local/runner';
import { failureCauses, readHistory, rebaselineTest, summarizeRuns } from '../../../lib/observability/history';
import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { loadPipelineFile } from '../../../lib/pipeline/loader';
import type { PipelineDefinition } from '../../../lib/pipeline/model';
import { compileTestPipeline, renderMainPath, testVariables, TEST_APPS } from '../../support/pipeline-target';

const schema = 'local_run';
const history = `${schema}.kitchens_test_history`;
const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
const context = { apps: [...TEST_APPS] };
const fixtures = path.resolve(__dirname, '../../fixtures/orders');
let client: Client;
let lake: string;

beforeAll(async () => {
  client = new Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`CREATE TABLE ${schema}.customers (customer_id VARCHAR(32), country VARCHAR(2))`);
  await client.query(
    `INSERT INTO ${schema}.customers VALUES ('C-001', 'NL'), ('C-002', 'DE'), ('C-003', NULL), ('C-004', 'FR')`,
  );
  lake = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-local-lake-'));
});

afterAll(async () => {
  await client.end();
  fs.rmSync(lake, { recursive: true, force: true });
});

async function run(
  definition: PipelineDefinition,
  options: {
    containerCommands?: Record<string, string[]>;
    appCommands?: Record<string, string[]>;
    /** Compiled once by the caller for a series of runs. */
    compiled?: ReturnType<typeof compileTestPipeline>;
    events?: LocalEvent[];
    injectErrors?: Record<string, { error: string; times: number; after?: boolean }>;
    stageWeight?: number;
    executionName?: string;
  } = {},
) {
  const { asl, stateMachines } =
    options.compiled ?? compileTestPipeline(definition, { schema, stageWeight: options.stageWeight });
  return runPipelineLocally({
    definition: asl,
    stateMachines,
    pgUrl,
    containerCommands: options.containerCommands,
    appCommands: options.appCommands,
    dataLakeDirectory: lake,
    workingDirectory: path.resolve(__dirname, '../../..'),
    onEvent: (e) => options.events?.push(e),
    injectErrors: options.injectErrors,
    executionName: options.executionName,
  });
}

async function historyOf(pipeline: string): Promise<Record<string, unknown>[]> {
  const result = await client.query(
    `SELECT step, test, level, status, value, expectation FROM ${history} WHERE pipeline = $1 ORDER BY recorded_at, test`,
    [pipeline],
  );
  return result.rows;
}

async function tableExists(table: string): Promise<boolean> {
  const result = await client.query(
    'SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
    [schema, table],
  );
  return result.rowCount === 1;
}

/** A run that failed on a step's SQL (a missing table) with exactly one alert, the run's, carrying the cause. */
function expectOneSqlFailureAlert(
  result: Awaited<ReturnType<typeof run>>,
  pipeline: string,
  step: string,
  table: string,
): void {
  expect(result.status).toBe('failed');
  expect(result.error).toBe('Kitchens.SqlFailed');
  expect(result.cause).toBe(`SQL of step "${step}" failed: ERROR: relation "${schema}.${table}" does not exist`);
  expect(result.alerts.map((a) => [a.title, a.context.cause])).toStrictEqual([
    [`:x: dev / ${pipeline}: run failed`, result.cause],
  ]);
}

/** The result record fields a test without a band, message or error carries. */
const plain = { band: { low: '', high: '' }, message: '', error: '' };

const countCustomers = { name: 'customer count', query: `SELECT COUNT(*) FROM ${schema}.customers` };

describe('the bundled orders pipeline, run locally', () => {
  it('should land, load, curate and summarise the fixture orders with every test passing', async () => {
    // GIVEN the partner files in the landing bucket of the local data lake
    const variables = testVariables({ schema });
    const landing = path.join(lake, variables.landing_bucket, 'orders');
    fs.mkdirSync(landing, { recursive: true });
    for (const file of fs.readdirSync(path.join(fixtures, 'landing/orders'))) {
      fs.copyFileSync(path.join(fixtures, 'landing/orders', file), path.join(landing, file));
    }
    const definition = loadPipelineFile(path.resolve(__dirname, '../../../pipelines/orders.yaml'), context);
    const events: LocalEvent[] = [];
    // WHEN
    const result = await run(definition, {
      containerCommands: {
        ingest: ['node', path.join(fixtures, 'ingest.js')],
        transform: ['node', path.join(fixtures, 'transform.js')],
      },
      events,
    });
    // THEN
    expect(result.cause).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.outcome).toBe('succeeded');
    expect(result.alerts).toStrictEqual([]);
    expect(fs.readdirSync(path.join(lake, variables.raw_bucket, 'orders')).sort()).toStrictEqual([
      'orders-2026-11-20.csv',
      'orders-2026-11-21.csv',
    ]);
    expect(result.output.tests).toStrictEqual({
      raw_orders_row_count: {
        step: 'load-raw',
        test: 'raw orders row count',
        level: 'error',
        status: 'passed',
        value: '12',
        expectation: '>= 1',
        ...plain,
      },
      raw_orders_volume_in_control: {
        step: 'load-raw',
        test: 'raw orders volume in control',
        level: 'warning',
        status: 'passed',
        value: '12',
        expectation: 'in control (learning: 0 of 5 values recorded)',
        ...plain,
      },
      curated_orders_row_count: {
        step: 'build-curated',
        test: 'curated orders row count',
        level: 'error',
        status: 'passed',
        value: '12',
        expectation: '>= 1',
        ...plain,
      },
      customer_id_null_rate: {
        step: 'build-curated',
        test: 'customer id null rate',
        level: 'warning',
        status: 'passed',
        value: '0',
        expectation: '<= 0.05',
        ...plain,
      },
      orders_freshness_in_days: {
        step: 'build-curated',
        test: 'orders freshness in days',
        level: 'error',
        status: 'passed',
        value: '0',
        expectation: '<= 1',
        ...plain,
      },
      negative_amounts: {
        step: 'build-curated',
        test: 'negative amounts',
        level: 'log',
        status: 'passed',
        value: '0',
        expectation: '= 0',
        ...plain,
      },
      daily_revenue_days: {
        step: 'daily-revenue',
        test: 'daily revenue days',
        level: 'warning',
        status: 'passed',
        value: '6',
        expectation: 'between 1 and 366',
        ...plain,
      },
    });
    expect(events.filter((e) => e.type === 'test').map((e) => (e.type === 'test' ? e.result.test : ''))).toHaveLength(
      7,
    );
    expect((await historyOf('orders')).map((r) => [r.test, r.status])).toHaveLength(7);
    const revenue = await client.query(
      `SELECT currency, SUM(orders) AS orders FROM ${schema}.daily_revenue GROUP BY currency ORDER BY currency`,
    );
    expect(revenue.rows).toStrictEqual([
      { currency: 'EUR', orders: '8' },
      { currency: 'GBP', orders: '2' },
      { currency: 'USD', orders: '2' },
    ]);
  });
});

describe('test levels', () => {
  it('should alert on a failing warning test and continue', async () => {
    const definition = new PipelineBuilder('warn')
      .sql('check', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { min: 1000 }, level: 'warning' }] })
      .sql('after-warning', { after: ['check'], sql: `CREATE TABLE ${schema}.after_warning AS SELECT 1 AS x` })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('succeeded');
    expect(result.outcome).toBe('succeeded with warnings');
    expect(result.alerts.map((a) => [a.title, a.context])).toStrictEqual([
      [
        ':warning: dev / warn: test "customer count" failed (warning)',
        {
          environment: 'dev',
          pipeline: 'warn',
          step: 'check',
          test: 'customer count',
          level: 'warning',
          status: 'failed',
          value: '4',
          expectation: '>= 1000',
          runId: result.output.run.id,
        },
      ],
    ]);
    expect(result.alerts[0].message.content.description).toBe('Step "Check": value 4, expected >= 1000');
    expect(await tableExists('after_warning')).toBe(true);
    expect(await historyOf('warn')).toStrictEqual([
      { step: 'check', test: 'customer count', level: 'warning', status: 'failed', value: 4, expectation: '>= 1000' },
    ]);
  });

  it('should alert on a failing error test and fail the run', async () => {
    const definition = new PipelineBuilder('fail')
      .sql('check', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { between: [10, 20] }, level: 'error' }] })
      .sql('after-error', { after: ['check'], sql: `CREATE TABLE ${schema}.after_error AS SELECT 1 AS x` })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Kitchens.TestFailed');
    expect(result.cause).toBe(
      'Test "customer count" of step "Check" did not pass (expected between 10 and 20): see the alert and the run output',
    );
    expect(result.alerts.map((a) => a.context)).toStrictEqual([
      expect.objectContaining({
        step: 'check',
        test: 'customer count',
        level: 'error',
        value: '4',
        expectation: 'between 10 and 20',
      }),
    ]);
    expect(result.tests).toStrictEqual([
      {
        step: 'check',
        test: 'customer count',
        level: 'error',
        status: 'failed',
        value: '4',
        expectation: 'between 10 and 20',
        ...plain,
      },
    ]);
    expect(await tableExists('after_error')).toBe(false);
    expect(await historyOf('fail')).toStrictEqual([
      {
        step: 'check',
        test: 'customer count',
        level: 'error',
        status: 'failed',
        value: 4,
        expectation: 'between 10 and 20',
      },
    ]);
  });

  it('should run and record every test of a step after an error test fails, then fail the step naming the first', async () => {
    // GIVEN a step whose first error test fails, followed by a warning test, a second (failing) error test and a
    // passing one
    const definition = new PipelineBuilder('alltests')
      .sql('check', {
        sql: 'SELECT 1',
        tests: [
          { ...countCustomers, name: 'too few', rule: { min: 10 }, level: 'error' },
          { ...countCustomers, name: 'volume', rule: { max: 2 }, level: 'warning' },
          { ...countCustomers, name: 'exact', rule: { equals: 5 }, level: 'error' },
          { ...countCustomers, name: 'some', rule: { min: 1 }, level: 'error' },
        ],
      })
      .sql('after-check', { after: ['check'], sql: `CREATE TABLE ${schema}.after_alltests AS SELECT 1 AS x` })
      .build(context);
    // WHEN
    const result = await run(definition);
    // THEN every test ran and is recorded, the step fails with the first error test that did not pass
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Kitchens.TestFailed');
    expect(result.cause).toBe(
      'Test "too few" of step "Check" did not pass (expected >= 10): see the alert and the run output',
    );
    expect(result.tests.map((t) => [t.test, t.status])).toStrictEqual([
      ['too few', 'failed'],
      ['volume', 'failed'],
      ['exact', 'failed'],
      ['some', 'passed'],
    ]);
    expect((await historyOf('alltests')).map((r) => [r.test, r.status])).toStrictEqual([
      ['exact', 'failed'],
      ['some', 'passed'],
      ['too few', 'failed'],
      ['volume', 'failed'],
    ]);
    expect(result.alerts.map((a) => a.title)).toStrictEqual([
      ':x: dev / alltests: test "too few" failed (error)',
      ':warning: dev / alltests: test "volume" failed (warning)',
      ':x: dev / alltests: test "exact" failed (error)',
    ]);
    expect(await tableExists('after_alltests')).toBe(false);
  });

  it('should record a failing log test without alerting', async () => {
    const definition = new PipelineBuilder('logonly')
      .sql('check', {
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
    const result = await run(definition);
    expect(result.status).toBe('succeeded');
    expect(result.alerts).toStrictEqual([]);
    expect(result.output.tests.countries_missing).toStrictEqual({
      step: 'check',
      test: 'countries missing',
      level: 'log',
      status: 'failed',
      value: '1',
      expectation: '= 0',
      ...plain,
    });
    expect(await historyOf('logonly')).toHaveLength(1);
  });

  it('should pass in_control while learning, then catch a value outside median +/- k robust sd of the recorded history', async () => {
    await client.query(`CREATE TABLE ${schema}.volume (n INTEGER)`);
    await client.query(`INSERT INTO ${schema}.volume SELECT generate_series(1, 100)`);
    const definition = new PipelineBuilder('control')
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
    const expectations: string[] = [];
    for (const extra of [0, 2, 4, 0]) {
      if (extra > 0) await client.query(`INSERT INTO ${schema}.volume SELECT generate_series(1, ${extra})`);
      const result = await run(definition);
      expectations.push(
        `${result.output.tests.volume_in_control.status}: ${result.output.tests.volume_in_control.expectation}`,
      );
    }
    // Recorded 100, 102, 106: median 102, quartiles 101 and 104 (IQR 3, robust sd 2.224), widened 10.6 times for 3
    // values -> 102 +/- 47.146; 106 is inside.
    expect(expectations).toStrictEqual([
      'passed: in control (learning: 0 of 3 values recorded)',
      'passed: in control (learning: 1 of 3 values recorded)',
      'passed: in control (learning: 2 of 3 values recorded)',
      'passed: between 54.8540 and 149.1460 (median +/- 2 robust sd of the last 3 passed values, widened for their number, at least +/- 0 and 1%)',
    ]);
    await client.query(`INSERT INTO ${schema}.volume SELECT generate_series(1, 400)`);
    const outlier = await run(definition);
    expect(outlier.status).toBe('succeeded');
    expect(outlier.output.tests.volume_in_control).toMatchObject({ status: 'failed', value: '506' });
    // Recorded 100, 102, 106, 106: median 104, quartiles 101.5 and 106 (IQR 4.5, robust sd 3.336), widened 5.3
    // times for 4 values -> 104 +/- 35.36; 506 is far outside.
    expect(outlier.alerts.map((a) => a.context.expectation)).toStrictEqual([
      'between 68.6405 and 139.3595 (median +/- 2 robust sd of the last 4 passed values, widened for their number, at least +/- 0 and 1%)',
    ]);
    expect(outlier.output.tests.volume_in_control.band).toMatchObject({
      low: expect.stringMatching(/^68\.640/),
      high: expect.stringMatching(/^139\.359/),
    });
  });
});

describe('step failures', () => {
  it('should alert with the database error and fail when SQL fails', async () => {
    const definition = new PipelineBuilder('badsql')
      .sql('broken', { sql: `SELECT * FROM ${schema}.no_such_table` })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Kitchens.SqlFailed');
    expect(result.cause).toBe(`SQL of step "Broken" failed: ERROR: relation "${schema}.no_such_table" does not exist`);
    expect(result.alerts.map((a) => [a.title, a.context])).toStrictEqual([
      [
        ':x: dev / badsql: run failed',
        {
          environment: 'dev',
          pipeline: 'badsql',
          error: 'Kitchens.SqlFailed',
          cause: `SQL of step "Broken" failed: ERROR: relation "${schema}.no_such_table" does not exist`,
          runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        },
      ],
    ]);
  });

  it('should roll back a failing batch of statements', async () => {
    const definition = new PipelineBuilder('badbatch')
      .sql('batch', { sql: [`CREATE TABLE ${schema}.half_done (x INTEGER)`, 'SELECT 1 / 0'] })
      .build(context);
    const result = await run(definition);
    expect(result.error).toBe('Kitchens.SqlFailed');
    expect(result.cause).toBe('SQL of step "Batch" failed: ERROR: division by zero');
    expect(await tableExists('half_done')).toBe(false);
  });

  it('should alert with the stopped reason and fail when a container exits non-zero', async () => {
    const definition = new PipelineBuilder('badapp')
      .container('load', { app: 'ingest', command: ['node', '-e', 'console.error("no input files"); process.exit(3)'] })
      .sql('after-container', { after: ['load'], sql: `CREATE TABLE ${schema}.after_container AS SELECT 1 AS x` })
      .build(context);
    const events: LocalEvent[] = [];
    const result = await run(definition, { events });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Kitchens.ContainerFailed');
    expect(result.cause).toBe(
      'Step "Load": container app ingest stopped: Essential container in task exited (containers: [{"Name":"ingest","ExitCode":3,"LastStatus":"STOPPED"}])',
    );
    expect(result.alerts.map((a) => a.title)).toStrictEqual([':x: dev / badapp: run failed']);
    const event = {
      type: 'container',
      state: 'Load',
      app: 'ingest',
      started: true,
      exitCode: 3,
      output: 'no input files\n',
    } as const;
    expect(events).toContainEqual(event);
    expect(describeContainerEvent(event)).toBe('container ingest exited with 3: no input files');
    expect(await tableExists('after_container')).toBe(false);
  });

  it('should fail before copying when the source holds more objects than maxObjects', async () => {
    const variables = testVariables({ schema });
    const source = path.join(lake, variables.landing_bucket, 'many');
    fs.mkdirSync(source, { recursive: true });
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(source, `f${i}.csv`), 'x');
    const definition = new PipelineBuilder('many')
      .copy('copy-many', { from: { bucket: 'landing', prefix: 'many/' }, to: { bucket: 'curated' }, maxObjects: 2 })
      .build(context);
    const result = await run(definition);
    expect(result.error).toBe('Kitchens.TooManyObjects');
    expect(result.cause).toBe(
      'Step "Copy many": more than 2 objects under s3://landing/many/; raise maxObjects (at most 1000) or split the prefix',
    );
    expect(fs.existsSync(path.join(lake, variables.curated_bucket, 'many'))).toBe(false);
  });
});

describe('copy steps with keys S3 must see URL-encoded', () => {
  it('should copy every object, whatever its name holds, to the same key', async () => {
    const variables = testVariables({ schema });
    const names = ['a b.csv', 'orders+returns.csv', '100%.csv', 'x?y#z.csv', 'Müller/ä.csv', 'sub/dir/plain.csv'];
    const source = path.join(lake, variables.landing_bucket, 'odd');
    for (const [i, name] of names.entries()) {
      fs.mkdirSync(path.dirname(path.join(source, name)), { recursive: true });
      fs.writeFileSync(path.join(source, name), `content ${i}`);
    }
    const definition = new PipelineBuilder('oddkeys')
      .copy('copy-odd', { from: { bucket: 'landing', prefix: 'odd/' }, to: { bucket: 'curated' } })
      .build(context);
    const result = await run(definition);
    expect([result.status, result.error, result.cause]).toStrictEqual(['succeeded', undefined, undefined]);
    for (const [i, name] of names.entries()) {
      const copied = path.join(lake, variables.curated_bucket, 'odd', name);
      expect([name, fs.existsSync(copied) && fs.readFileSync(copied, 'utf8')]).toStrictEqual([name, `content ${i}`]);
    }
  });
});

describe('retries and catches', () => {
  const definition = new PipelineBuilder('retry').sql('curate', { sql: 'SELECT 1' }).build(context);

  // The Data API call runs in the step's Run SQL child execution, in the state "Execute the statement".
  const execute = 'Execute the statement';

  it('should retry throttling and transient errors and then succeed', async () => {
    const events: LocalEvent[] = [];
    const result = await run(definition, {
      events,
      injectErrors: { [execute]: { error: 'RedshiftData.ThrottlingException', times: 2 } },
    });
    expect(result.status).toBe('succeeded');
    expect(result.alerts).toStrictEqual([]);
    expect(events.filter((e) => e.type === 'state' && e.state === execute)).toHaveLength(3);
    expect(events.filter((e) => e.type === 'state' && e.state === 'Curate')).toHaveLength(1);
  });

  it('should catch an error that is not retried, alert naming the step, and fail', async () => {
    const events: LocalEvent[] = [];
    const result = await run(definition, {
      events,
      injectErrors: { [execute]: { error: 'RedshiftData.ValidationException', times: 1 } },
    });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('RedshiftData.ValidationException');
    expect(result.cause).toBe('SQL of step "Curate": RedshiftData.ValidationException injected (1 of 1)');
    expect(result.alerts.map((a) => a.context.cause)).toStrictEqual([result.cause]);
    expect(events.filter((e) => e.type === 'state' && e.state === execute)).toHaveLength(1);
  });

  it('should give up on a transient error after five retries', async () => {
    const events: LocalEvent[] = [];
    const result = await run(definition, {
      injectErrors: { [execute]: { error: 'RedshiftData.InternalServerException', times: 6 } },
      events,
    });
    expect(events.filter((e) => e.type === 'state' && e.state === execute)).toHaveLength(6);
    expect(result.error).toBe('RedshiftData.InternalServerException');
    expect(result.alerts).toHaveLength(1);
  });
});

describe('child executions', () => {
  const definition = new PipelineBuilder('children')
    .sql('load', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { min: 1 } }] })
    .sql('curate', { after: ['load'], sql: 'SELECT 2' })
    .build(context);
  const executions = (events: LocalEvent[]) =>
    events.flatMap((e) => (e.type === 'execution' ? [`${e.stateMachine} ${e.name}`] : []));

  it('should name each child execution after the run and its state, the same in every compile', async () => {
    const events: LocalEvent[] = [];
    const result = await run(definition, { events });
    expect(result.status).toBe('succeeded');
    const runId = result.output.run.id as string;
    const names = executions(events);
    expect(names).toHaveLength(5);
    expect(new Set(names).size).toBe(5);
    for (const name of names) {
      expect(name).toMatch(new RegExp(`^acme-dev-children_(sql|test) ${runId}-[a-z0-9-]{1,32}-[0-9a-f]{8}$`));
      expect(name.split(' ')[1].length).toBeLessThanOrEqual(80);
    }
    expect(names.map((n) => n.replace(runId, 'RUN').replace(/-[0-9a-f]{8}$/, ''))).toStrictEqual([
      'acme-dev-children_sql RUN-prepare-run-history',
      'acme-dev-children_sql RUN-load',
      'acme-dev-children_test RUN-test-customer-count',
      'acme-dev-children_sql RUN-curate',
      'acme-dev-children_sql RUN-record-run',
    ]);
    // A second run: other run id, the same state suffixes
    const again: LocalEvent[] = [];
    const second = await run(definition, { events: again });
    expect(executions(again).map((n) => n.replace(second.output.run.id, 'RUN'))).toStrictEqual(
      names.map((n) => n.replace(runId, 'RUN')),
    );
  });

  it('should retry a throttled start of a child execution and run the child once', async () => {
    const events: LocalEvent[] = [];
    const result = await run(definition, {
      events,
      injectErrors: {
        'Test: customer count': { error: 'StepFunctions.ThrottlingException', times: 2 },
        Curate: { error: 'StepFunctions.ExecutionLimitExceededException', times: 1 },
      },
    });
    expect(result.status).toBe('succeeded');
    expect(events.filter((e) => e.type === 'state' && e.state === 'Test: customer count')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'state' && e.state === 'Curate')).toHaveLength(2);
    expect(executions(events)).toHaveLength(5);
    expect(result.tests).toHaveLength(1);
  });

  it('should not start a second run when a retry follows a start whose answer was lost', async () => {
    // The child ran to its end, then the parent's call failed with a service error: the retry uses the same name,
    // which Step Functions refuses for an execution that has ended; the SQL ran once and the step fails.
    const events: LocalEvent[] = [];
    const result = await run(definition, {
      events,
      injectErrors: { Curate: { error: 'StepFunctions.AWSStepFunctionsException', times: 1, after: true } },
    });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('StepFunctions.ExecutionAlreadyExistsException');
    expect(result.cause).toMatch(
      /^Execution already exists: 'arn:aws:states:local:000000000000:execution:acme-dev-children_sql:[0-9a-f-]{36}-curate-[0-9a-f]{8}'$/,
    );
    expect(events.filter((e) => e.type === 'sql' && e.sql === 'SELECT 2')).toHaveLength(1);
  });

  it('should never retry a failed child (a failed SQL step is not idempotent)', async () => {
    const broken = new PipelineBuilder('childfail')
      .sql('load', { sql: `SELECT * FROM ${schema}.no_table` })
      .build(context);
    const events: LocalEvent[] = [];
    const result = await run(broken, { events });
    expect(result.error).toBe('Kitchens.SqlFailed');
    expect(events.filter((e) => e.type === 'state' && e.state === 'Load')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'sql' && e.error !== undefined)).toHaveLength(1);
  });
});

describe('adaptive polling, run by the local engine', () => {
  it('should poll 1 s after a statement starts, then back off by 10 % of its running time, noticing it within max(1 s, 10 %)', async () => {
    // GIVEN a step whose statement runs 45 s, the bookkeeping statements none, on a clock the Wait states advance
    let now = 0;
    const sleeps: number[] = [];
    const clock = {
      now: () => now,
      sleep: async (seconds: number) => {
        sleeps.push(seconds);
        now += seconds;
      },
    };
    const statements = new Map<string, { start: number; seconds: number }>();
    const redshiftData = (_state: string, action: string) => async (input: { Id?: string; StatementName?: string }) => {
      if (action === 'describeStatement') {
        const { start, seconds } = statements.get(input.Id!)!;
        return { Id: input.Id, Status: now >= start + seconds ? 'FINISHED' : 'STARTED' };
      }
      const id = `s${statements.size + 1}`;
      statements.set(id, { start: now, seconds: input.StatementName === 'adaptive: Slow' ? 45 : 0 });
      return { Id: id };
    };
    const definition = new PipelineBuilder('adaptive').sql('slow', { sql: 'SELECT 1' }).build(context);
    const { asl, stateMachines } = compileTestPipeline(definition, { schema });
    // WHEN
    const result = await runPipelineLocally({ definition: asl, stateMachines, bindings: { redshiftData }, clock });
    // THEN the setup is noticed after 1 s, the 45 s statement at 46 s (1 s late, within 4.5 s), the record after 1 s
    expect(result.status).toBe('succeeded');
    expect(sleeps).toStrictEqual([1, ...Array(20).fill(1), 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 1]);
    expect(now).toBe(1 + 46 + 1);
  });

  it('should honour every Wait state as compiled with realWaits', async () => {
    // Setup, the step and the run record each wait 1 s before their first poll.
    const definition = new PipelineBuilder('realwaits').sql('load', { sql: 'SELECT 1' }).build(context);
    const { asl, stateMachines } = compileTestPipeline(definition, { schema });
    const started = Date.now();
    const result = await runPipelineLocally({ definition: asl, stateMachines, pgUrl, realWaits: true });
    expect(result.status).toBe('succeeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  });
});

describe('parallel branches', () => {
  it('should alert once and fail when a step in a branch fails', async () => {
    const definition = new PipelineBuilder('branchfail')
      .sql('start', { sql: 'SELECT 1' })
      .sql('good', { after: ['start'], sql: 'SELECT 1' })
      .sql('bad', { after: ['start'], sql: `SELECT * FROM ${schema}.missing_in_branch` })
      .build(context);
    expectOneSqlFailureAlert(await run(definition), 'branchfail', 'Bad', 'missing_in_branch');
  });

  it('should alert only for the test when an error test fails in a branch', async () => {
    const definition = new PipelineBuilder('branchtest')
      .sql('start', { sql: 'SELECT 1' })
      .sql('good', { after: ['start'], sql: 'SELECT 1' })
      .sql('checked', {
        after: ['start'],
        sql: 'SELECT 1',
        tests: [{ name: 'branch check', query: 'SELECT 0', rule: { min: 1 } }],
      })
      .build(context);
    const result = await run(definition);
    expect(result.error).toBe('Kitchens.TestFailed');
    expect(result.alerts.map((a) => a.title)).toStrictEqual([
      ':x: dev / branchtest: test "branch check" failed (error)',
    ]);
  });

  it('should run independent steps at the same time and merge their test results', async () => {
    const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-parallel-'));
    const sleeper = (name: string) => [
      'node',
      '-e',
      `const fs=require('fs');const s=Date.now();setTimeout(()=>{fs.writeFileSync(${JSON.stringify(path.join(marks, name))},JSON.stringify([s,Date.now()]))},800)`,
    ];
    const definition = new PipelineBuilder('diamond')
      .sql('start', { sql: 'SELECT 1' })
      .container('left', {
        app: 'ingest',
        after: ['start'],
        command: sleeper('left'),
        tests: [{ name: 'left count', query: 'SELECT 1', rule: { equals: 1 } }],
      })
      .container('right', {
        app: 'transform',
        after: ['start'],
        command: sleeper('right'),
        tests: [{ name: 'right count', query: 'SELECT 2', rule: { equals: 2 } }],
      })
      .sql('finish', {
        after: ['left', 'right'],
        sql: 'SELECT 1',
        tests: [{ name: 'finish count', query: 'SELECT 3', rule: { equals: 3 } }],
      })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('succeeded');
    const [left, right] = ['left', 'right'].map(
      (n) => JSON.parse(fs.readFileSync(path.join(marks, n), 'utf8')) as [number, number],
    );
    // Each sleeps 800 ms; they overlap only if they ran at the same time.
    expect(left[0] < right[1] && right[0] < left[1]).toBe(true);
    expect(Object.keys(result.output.tests).sort()).toStrictEqual(['finish_count', 'left_count', 'right_count']);
    fs.rmSync(marks, { recursive: true, force: true });
  });
});

describe('a pipeline run as stage machines', () => {
  // Stage weight 3: a -> (b | c) -> d -> e with a test on b, c, d and e becomes five stages, b and c in parallel.
  const staged = (id: string, last: { sql?: string; test?: string } = {}) =>
    new PipelineBuilder(id)
      .sql('a', { sql: `CREATE TABLE IF NOT EXISTS ${schema}.staged_${id} (n INTEGER)` })
      .sql('b', {
        after: ['a'],
        sql: `INSERT INTO ${schema}.staged_${id} VALUES (1)`,
        tests: [{ name: `${id} b rows`, query: 'SELECT 1', rule: { min: 1 } }],
      })
      .sql('c', {
        after: ['a'],
        sql: last.sql ?? `INSERT INTO ${schema}.staged_${id} VALUES (2)`,
        tests: [{ name: `${id} c rows`, query: 'SELECT 2', rule: { min: 1 } }],
      })
      .sql('d', {
        after: ['b', 'c'],
        sql: 'SELECT 1',
        tests: [{ name: `${id} d rows`, query: `SELECT COUNT(*) FROM ${schema}.staged_${id}`, rule: { equals: 2 } }],
      })
      .sql('e', {
        after: ['d'],
        sql: 'SELECT 1',
        tests: [{ name: `${id} e check`, query: last.test ?? 'SELECT 1', rule: { min: 1 } }],
      })
      .build(context);

  it('should run every stage in order, the parallel ones side by side, and merge all test results', async () => {
    const definition = staged('stages');
    const compiled = compileTestPipeline(definition, { schema, stageWeight: 3 });
    expect(compiled.pipeline.stages).toHaveLength(5);
    expect(renderMainPath(compiled.asl)).toStrictEqual([
      'Start stages',
      'Prepare run history',
      'Stage 1: a (1 step)',
      'Stage 1 merged',
      'In parallel 1: b, c',
      {
        parallel: [
          ['Stage 2: b (1 step)', 'Stage 2 merged', 'Parallel 1: branch 1 done'],
          ['Stage 3: c (1 step)', 'Stage 3 merged', 'Parallel 1: branch 2 done'],
        ],
      },
      'Merge results 1',
      'Stage 4: d (1 step)',
      'Stage 4 merged',
      'Stage 5: e (1 step)',
      'Stage 5 merged',
      'Record run',
      'Report results',
    ]);
    const result = await run(definition, { compiled });
    expect(result.cause).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(Object.keys(result.output.tests).sort()).toStrictEqual([
      'stages_b_rows',
      'stages_c_rows',
      'stages_d_rows',
      'stages_e_check',
    ]);
    expect(result.output.tests.stages_d_rows).toMatchObject({ status: 'passed', value: '2' });
    expect((await historyOf('stages')).map((r) => [r.test, r.status])).toHaveLength(4);
  });

  it('should alert once, from the stage, and fail with the step error when a step of a parallel stage fails', async () => {
    const result = await run(staged('stagesql', { sql: `SELECT * FROM ${schema}.missing_in_stage` }), {
      stageWeight: 3,
    });
    expectOneSqlFailureAlert(result, 'stagesql', 'C', 'missing_in_stage');
  });

  it('should alert only for the test when an error test fails in a later stage', async () => {
    const result = await run(staged('stagetest', { test: 'SELECT 0' }), { stageWeight: 3 });
    expect(result.error).toBe('Kitchens.TestFailed');
    expect(result.tests.map((t) => [t.test, t.status])).toStrictEqual([
      ['stagetest b rows', 'passed'],
      ['stagetest c rows', 'passed'],
      ['stagetest d rows', 'passed'],
      ['stagetest e check', 'failed'],
    ]);
    expect(result.alerts.map((a) => a.title)).toStrictEqual([
      ':x: dev / stagetest: test "stagetest e check" failed (error)',
    ]);
  });
});

describe('the run record', () => {
  // One row per run in local_run.kitchens_test_history_runs, written by the pipeline's own machine as it ends.
  const runs = `${history}_runs`;
  async function runRows(pipeline: string) {
    const result = await client.query(
      `SELECT run_id, outcome, execution, cause, EXTRACT(EPOCH FROM started_at) * 1000 AS started, ` +
        `EXTRACT(EPOCH FROM finished_at) * 1000 AS finished FROM ${runs} WHERE pipeline = $1 ORDER BY started_at`,
      [pipeline],
    );
    return result.rows.map((r) => ({
      runId: r.run_id as string,
      outcome: r.outcome as string,
      execution: r.execution as string,
      cause: r.cause as string | null,
      started: Number(r.started),
      finished: Number(r.finished),
    }));
  }
  /** Runs the pipeline and returns its result with the one run row it wrote, checked against the run's wall time. */
  async function runAndRecord(definition: PipelineDefinition, options: Parameters<typeof run>[1] = {}) {
    const before = Date.now();
    const result = await run(definition, options);
    const after = Date.now();
    const rows = await runRows(definition.id);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    // Millisecond timestamps of the execution's start and of the recording state's entry, on one clock.
    expect(row.started).toBeGreaterThanOrEqual(before);
    expect(row.finished).toBeGreaterThanOrEqual(row.started);
    expect(row.finished).toBeLessThanOrEqual(after);
    return { result, row };
  }

  it('should record a passing run as succeeded, with its id, start, end and execution ARN', async () => {
    const definition = new PipelineBuilder('rec-pass')
      .sql('load', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { min: 1 } }] })
      .build(context);
    const { result, row } = await runAndRecord(definition, { executionName: "nightly-o'brien" });
    expect(result.outcome).toBe('succeeded');
    expect(row).toMatchObject({
      runId: result.output.run.id,
      outcome: 'succeeded',
      // The name holds a quote: it reaches the statement as a Data API parameter, not as SQL text.
      execution: "arn:aws:states:local:000000000000:execution:local:nightly-o'brien",
    });
  });

  it('should record succeeded with warnings when a warning test fails, and a run without tests', async () => {
    const warned = new PipelineBuilder('rec-warn')
      .sql('load', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { min: 100 }, level: 'warning' }] })
      .build(context);
    const { result, row } = await runAndRecord(warned);
    expect([result.outcome, row.outcome]).toStrictEqual(['succeeded with warnings', 'succeeded with warnings']);
    const bare = new PipelineBuilder('rec-bare').sql('load', { sql: 'SELECT 1' }).build(context);
    const plainRun = await runAndRecord(bare);
    expect([plainRun.result.outcome, plainRun.row.outcome]).toStrictEqual(['succeeded', 'succeeded']);
  });

  it('should record a run that an error-level test failed as failed, and still fail it with the test', async () => {
    const definition = new PipelineBuilder('rec-test')
      .sql('check', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { max: 1 }, level: 'error' }] })
      .sql('after', { after: ['check'], sql: 'SELECT 1' })
      .build(context);
    const { result, row } = await runAndRecord(definition);
    expect([result.status, result.error]).toStrictEqual(['failed', 'Kitchens.TestFailed']);
    expect(row.outcome).toBe('failed');
    const [test] = (await client.query(`SELECT run_id FROM ${history} WHERE pipeline = 'rec-test'`)).rows;
    expect(row.runId).toBe(test.run_id);
  });

  it('should record a run whose step failed as failed, after its one alert', async () => {
    const definition = new PipelineBuilder('rec-step')
      .sql('load', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { min: 1 } }] })
      .sql('broken', { after: ['load'], sql: `SELECT * FROM ${schema}.rec_missing` })
      .build(context);
    const { result, row } = await runAndRecord(definition);
    expectOneSqlFailureAlert(result, 'rec-step', 'Broken', 'rec_missing');
    expect(row).toMatchObject({
      outcome: 'failed',
      runId: result.alerts[0].context.runId,
      cause: `Kitchens.SqlFailed: ${result.cause}`,
    });
    // `kitchen history` reads it back and says why the run failed
    const { rows, records } = await readHistory(client, history, 'rec-step', 10);
    expect(failureCauses(summarizeRuns(rows, records))).toStrictEqual([
      `run ${row.runId} failed: Kitchens.SqlFailed: SQL of step "Broken" failed: ERROR: relation "${schema}.rec_missing" does not exist`,
    ]);
  });

  it('should record why a run whose container failed failed, and no cause for a run that passed', async () => {
    const definition = new PipelineBuilder('rec-container')
      .container('load', { app: 'ingest', command: ['node', '-e', 'process.exit(4)'] })
      .build(context);
    const { result, row } = await runAndRecord(definition);
    expect(result.error).toBe('Kitchens.ContainerFailed');
    expect(row.cause).toBe(`Kitchens.ContainerFailed: ${result.cause}`);
    const passed = await runAndRecord(
      new PipelineBuilder('rec-nocause').sql('load', { sql: 'SELECT 1' }).build(context),
    );
    expect(passed.row.cause).toBeNull();
  });

  it('should record a staged run once, from the parent, with the parent execution start and end', async () => {
    const stagedPipeline = (id: string, lastTest: string) =>
      new PipelineBuilder(id)
        .sql('a', { sql: 'SELECT 1', tests: [{ name: `${id} a`, query: 'SELECT 1', rule: { min: 1 } }] })
        .sql('b', { after: ['a'], sql: 'SELECT 1', tests: [{ name: `${id} b`, query: 'SELECT 1', rule: { min: 1 } }] })
        .sql('c', { after: ['b'], sql: 'SELECT 1', tests: [{ name: `${id} c`, query: lastTest, rule: { min: 1 } }] })
        .build(context);
    const passing = stagedPipeline('rec-staged', 'SELECT 1');
    const compiled = compileTestPipeline(passing, { schema, stageWeight: 2 });
    expect(compiled.pipeline.stages).toHaveLength(3);
    const events: LocalEvent[] = [];
    const ok = await runAndRecord(passing, { compiled, events });
    expect([ok.result.outcome, ok.row.outcome, ok.row.runId]).toStrictEqual([
      'succeeded',
      'succeeded',
      ok.result.output.run.id,
    ]);
    // The parent's execution, not a stage's: stage executions have generated names.
    expect(ok.row.execution).toMatch(/:execution:local:local-[0-9a-f-]{36}$/);
    // Only the parent records: one Record run state entered, none in the stages.
    expect(events.filter((e) => e.type === 'state' && e.state.startsWith('Record')).length).toBe(1);
    const failing = await runAndRecord(stagedPipeline('rec-staged-fail', 'SELECT 0'), { stageWeight: 2 });
    expect([failing.result.error, failing.row.outcome]).toStrictEqual(['Kitchens.TestFailed', 'failed']);
  });

  it('should keep the outcome when the record cannot be written', async () => {
    // GIVEN the record's child execution fails (an error injected into the Record states)
    const inject = { error: 'States.TaskFailed', times: 1 };
    const passing = new PipelineBuilder('rec-lost').sql('load', { sql: 'SELECT 1' }).build(context);
    const ok = await run(passing, { injectErrors: { 'Record run': inject } });
    const failing = new PipelineBuilder('rec-lost-fail')
      .sql('broken', { sql: `SELECT * FROM ${schema}.rec_missing` })
      .build(context);
    const failed = await run(failing, { injectErrors: { 'Record failed run': inject } });
    // THEN the passing run still succeeds and the failing one still fails with its own error, and neither has a row
    expect([ok.status, ok.output.status]).toStrictEqual(['succeeded', 'succeeded']);
    expectOneSqlFailureAlert(failed, 'rec-lost-fail', 'Broken', 'rec_missing');
    expect([...(await runRows('rec-lost')), ...(await runRows('rec-lost-fail'))]).toStrictEqual([]);
  });
});

describe('a history table from an older release', () => {
  // Its own schema: the table is created here in the shape it had before band_low, band_high and message.
  const old = 'local_upgrade';

  it('should add the missing columns, keep the recorded rows, and stay re-runnable', async () => {
    await client.query(`DROP SCHEMA IF EXISTS ${old} CASCADE`);
    await client.query(`CREATE SCHEMA ${old}`);
    await client.query(
      `CREATE TABLE ${old}.kitchens_test_history (run_id VARCHAR(64) NOT NULL, pipeline VARCHAR(64) NOT NULL, ` +
        'step VARCHAR(64) NOT NULL, test VARCHAR(128) NOT NULL, level VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL, ' +
        'value DOUBLE PRECISION, expectation VARCHAR(256), recorded_at TIMESTAMP NOT NULL)',
    );
    await client.query(
      `INSERT INTO ${old}.kitchens_test_history VALUES ('r0', 'upgrade', 'load', 'upgrade rows', 'error', 'passed', 7, '>= 1', '2026-01-01')`,
    );
    const definition = new PipelineBuilder('upgrade')
      .sql('load', { sql: 'SELECT 1', tests: [{ name: 'upgrade rows', query: 'SELECT 8', rule: { min: 1 } }] })
      .build(context);
    const compiled = compileTestPipeline(definition, { schema: old });
    const columns = async () =>
      (
        await client.query(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'kitchens_test_history' ORDER BY ordinal_position",
          [old],
        )
      ).rows.map((r) => r.column_name);
    // WHEN run twice
    const first = await run(definition, { compiled });
    const second = await run(definition, { compiled });
    // THEN
    expect([first.cause, first.outcome, second.cause, second.outcome]).toStrictEqual([
      undefined,
      'succeeded',
      undefined,
      'succeeded',
    ]);
    expect(await columns()).toStrictEqual([
      'run_id',
      'pipeline',
      'step',
      'test',
      'level',
      'status',
      'value',
      'expectation',
      'recorded_at',
      'band_low',
      'band_high',
      'message',
      'baseline_since',
    ]);
    const rows = await client.query(
      `SELECT run_id, value, message FROM ${old}.kitchens_test_history ORDER BY recorded_at`,
    );
    expect(rows.rows.map((r) => [r.run_id === 'r0' ? 'r0' : 'new', r.value, r.message])).toStrictEqual([
      ['r0', 7, null],
      ['new', 8, null],
      ['new', 8, null],
    ]);
    // The runs table is created beside it, and each run recorded itself once.
    const recorded = await client.query(
      `SELECT outcome FROM ${old}.kitchens_test_history_runs WHERE pipeline = 'upgrade' ORDER BY started_at`,
    );
    expect(recorded.rows.map((r) => r.outcome)).toStrictEqual(['succeeded', 'succeeded']);
    // The upgrade procedure is gone again.
    const procedures = await client.query(
      'SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1',
      [old],
    );
    expect(procedures.rows).toStrictEqual([]);
  });
});

describe('in_control that holds', () => {
  it('should not let one value recorded while learning widen the band (5000, then four runs of 1000)', async () => {
    // With the mean and standard deviation the band was -3567..7167, so 3000 and 4500 passed and joined the baseline.
    const results = await controlled('learned_outlier', [5000, 1000, 1000, 1000, 1000, 3000, 4500, 1005]);
    expect(results.slice(5).map((r) => [r.status, r.band])).toStrictEqual([
      ['failed', { low: '990', high: '1010' }],
      ['failed', { low: '990', high: '1010' }],
      ['passed', { low: '990', high: '1010' }],
    ]);
  });

  jest.setTimeout(300_000);
  /** A pipeline whose test reads the value from table `<id>_value`, which each run sets. */
  async function controlled(id: string, values: number[], rule: Record<string, unknown> = {}) {
    await client.query(`DROP TABLE IF EXISTS ${schema}.${id}_value`);
    await client.query(`CREATE TABLE ${schema}.${id}_value (v DOUBLE PRECISION)`);
    const definition = new PipelineBuilder(id.replace(/_/g, '-'))
      .sql('check', {
        sql: 'SELECT 1',
        tests: [
          {
            name: 'volume',
            query: `SELECT v FROM ${schema}.${id}_value`,
            rule: { in_control: { k: 3, last: 20, min_history: 5, ...rule } },
            level: 'warning',
          },
        ],
      })
      .build(context);
    const results = [];
    const compiled = compileTestPipeline(definition, { schema });
    for (const value of values) {
      await client.query(`DELETE FROM ${schema}.${id}_value`);
      await client.query(`INSERT INTO ${schema}.${id}_value VALUES ($1)`, [value]);
      const result = await run(definition, { compiled });
      expect(result.status).toBe('succeeded');
      results.push(result.output.tests.volume);
    }
    return results;
  }

  it('should keep a flagged outlier out of the baseline, so a +90% value after it is flagged too', async () => {
    const results = await controlled('outlier', [100, 102, 98, 101, 99, 5000, 190]);
    expect(results.map((r) => r.status)).toStrictEqual([
      'passed',
      'passed',
      'passed',
      'passed',
      'passed',
      'failed',
      'failed',
    ]);
    // Baseline of the last value: the five passed values (median 100, quartiles 99 and 101: robust sd 1.483,
    // widened 10.1 times for 5 values), not 5000.
    expect(results[6].band).toStrictEqual({ low: '55.077835433654556', high: '144.92216456634543' });
    expect(results[6].expectation).toBe(
      'between 55.0778 and 144.9222 (median +/- 3 robust sd of the last 5 passed values, widened for their number, at least +/- 0 and 1%)',
    );
    const rows = await client.query(
      `SELECT status, value, band_low, band_high FROM ${history} WHERE pipeline = 'outlier' ORDER BY recorded_at`,
    );
    expect(rows.rows.slice(5)).toStrictEqual([
      { status: 'failed', value: 5000, band_low: 55.077835433654556, band_high: 144.92216456634543 },
      { status: 'failed', value: 190, band_low: 55.077835433654556, band_high: 144.92216456634543 },
    ]);
  });

  it('should call five runs in a row beyond the band on one side a level shift, and restart the baseline from them', async () => {
    const results = await controlled('shift', [100, 101, 99, 100, 102, 200, 201, 199, 200, 202, 201]);
    expect(results.map((r) => r.status)).toStrictEqual([
      ...Array(5).fill('passed'),
      ...Array(5).fill('failed'),
      'passed',
    ]);
    expect(results.slice(5, 9).map((r) => r.message)).toStrictEqual(['', '', '', '']);
    expect(results[9].message).toBe('level shift: 5 runs in a row above the band; the baseline restarts from them');
    // The new baseline: the five shifted runs (median 200, quartiles 200 and 201)
    expect(results[10].expectation).toBe(
      'between 177.5389 and 222.4611 (median +/- 3 robust sd of the last 5 passed values, widened for their number, at least +/- 0 and 1%)',
    );
  });

  it('should restart the baseline from the latest run with kitchen history --rebaseline', async () => {
    const before = await controlled('rebase', [100, 100, 100, 100, 100, 150]);
    expect(before[5].status).toBe('failed');
    expect(await rebaselineTest(client, history, 'rebase', 'volume')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const after = await controlled('rebase', [151]);
    expect(after[0]).toMatchObject({ status: 'passed', expectation: 'in control (learning: 1 of 5 values recorded)' });
    await expect(rebaselineTest(client, history, 'rebase', 'no such test')).rejects.toThrow(
      `--rebaseline must name a test of pipeline rebase with a value recorded in ${history}, got: "no such test"`,
    );
  });

  it('should not flag a 0.1% change of a constant series (the band is at least 1% of the mean)', async () => {
    const results = await controlled('constant', [1000, 1000, 1000, 1000, 1000, 1001]);
    expect(results[5]).toMatchObject({ status: 'passed', value: '1001', band: { low: '990', high: '1010' } });
  });

  it('should use an absolute tolerance when it is wider than k sd and the relative tolerance', async () => {
    const results = await controlled('absolute', [10, 10, 10, 10, 10, 14, 16], {
      tolerance: 5,
      relative_tolerance: 0,
    });
    expect(results.slice(5).map((r) => [r.status, r.band])).toStrictEqual([
      ['passed', { low: '5', high: '15' }],
      // 14 passed and joined the baseline: its median and quartiles stay 10, so the tolerance sets the band.
      ['failed', { low: '5', high: '15' }],
    ]);
  });

  it('should fail NULL, no rows and several rows with a message, also while learning', async () => {
    const definition = new PipelineBuilder('shapes')
      .sql('check', {
        sql: 'SELECT 1',
        tests: [
          { name: 'null value', query: 'SELECT CAST(NULL AS INTEGER)', rule: { in_control: true }, level: 'log' },
          { name: 'no rows', query: 'SELECT 1 WHERE 1 = 0', rule: { min: 0 }, level: 'log' },
          { name: 'two rows', query: `SELECT 1 FROM ${schema}.customers`, rule: { min: 0 }, level: 'log' },
        ],
      })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('succeeded');
    expect(result.tests.map((t) => [t.test, t.status, t.value, t.message])).toStrictEqual([
      ['null value', 'failed', 'null', 'the query returned NULL; a test query must return a number'],
      ['no rows', 'failed', 'null', 'the query returned no rows; a test query must return one row with one value'],
      ['two rows', 'failed', 'null', 'the query returned 4 rows; a test query must return one row with one value'],
    ]);
  });
});

describe('errored tests', () => {
  it('should record and alert an erroring warning test and continue the run', async () => {
    const definition = new PipelineBuilder('errwarn')
      .sql('check', {
        sql: 'SELECT 1',
        tests: [
          { name: 'broken query', query: `SELECT COUNT(*) FROM ${schema}.no_such`, rule: { min: 1 }, level: 'warning' },
        ],
      })
      .sql('after-errored', { after: ['check'], sql: `CREATE TABLE ${schema}.after_errored AS SELECT 1 AS x` })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('succeeded');
    expect(result.outcome).toBe('succeeded with warnings');
    expect(result.output.tests.broken_query).toStrictEqual({
      step: 'check',
      test: 'broken query',
      level: 'warning',
      status: 'errored',
      value: 'null',
      expectation: '>= 1',
      band: { low: '', high: '' },
      message: 'the test query failed',
      error: `SQL of test "broken query" of step "Check" failed: ERROR: relation "${schema}.no_such" does not exist`,
    });
    expect(result.alerts.map((a) => [a.title, a.message.content.description])).toStrictEqual([
      [
        ':warning: dev / errwarn: test "broken query" errored (warning)',
        `Step "Check": the test query failed: SQL of test "broken query" of step "Check" failed: ERROR: relation "${schema}.no_such" does not exist`,
      ],
    ]);
    expect(await tableExists('after_errored')).toBe(true);
    expect(await historyOf('errwarn')).toStrictEqual([
      { step: 'check', test: 'broken query', level: 'warning', status: 'errored', value: null, expectation: '>= 1' },
    ]);
  });

  it('should fail the run when an error-level test query errors', async () => {
    const definition = new PipelineBuilder('errerror')
      .sql('check', {
        sql: 'SELECT 1',
        tests: [{ name: 'broken query', query: 'SELECT 1 / 0', rule: { min: 1 } }],
      })
      .build(context);
    const result = await run(definition);
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Kitchens.TestFailed');
    expect(result.cause).toBe(
      'Test "broken query" of step "Check" errored: SQL of test "broken query" of step "Check" failed: ERROR: division by zero',
    );
    expect(result.tests.map((t) => [t.status, t.error])).toStrictEqual([
      ['errored', 'SQL of test "broken query" of step "Check" failed: ERROR: division by zero'],
    ]);
    expect(result.alerts.map((a) => a.title)).toStrictEqual([
      ':x: dev / errerror: test "broken query" errored (error)',
    ]);
  });
});

describe('alert paths', () => {
  it('should fail the run, recording why, when a warning alert cannot be published', async () => {
    const definition = new PipelineBuilder('noalert')
      .sql('check', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { min: 1000 }, level: 'warning' }] })
      .sql('after-alert', { after: ['check'], sql: `CREATE TABLE ${schema}.after_alert AS SELECT 1 AS x` })
      .build(context);
    const denied = { error: 'SNS.AuthorizationErrorException', message: 'not authorized to publish', times: 1 };
    const result = await run(definition, {
      injectErrors: { 'Alert: test failed': denied, 'Alert: run failed': denied },
    });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Kitchens.AlertFailed');
    expect(result.cause).toBe(
      'The alert for test "customer count" of step "Check" could not be published: SNS.AuthorizationErrorException: ' +
        'not authorized to publish (the failure alert could not be published: SNS.AuthorizationErrorException: not authorized to publish)',
    );
    expect(result.alerts).toStrictEqual([]);
    expect(await tableExists('after_alert')).toBe(false);
  });

  it('should alert the run failure when only the test alert fails', async () => {
    const definition = new PipelineBuilder('onealert')
      .sql('check', { sql: 'SELECT 1', tests: [{ ...countCustomers, rule: { min: 1000 }, level: 'warning' }] })
      .build(context);
    const result = await run(definition, {
      injectErrors: { 'Alert: test failed': { error: 'SNS.InvalidParameterException', times: 1 } },
    });
    expect(result.error).toBe('Kitchens.AlertFailed');
    expect(result.alerts.map((a) => [a.title, a.context.error])).toStrictEqual([
      [':x: dev / onealert: run failed', 'Kitchens.AlertFailed'],
    ]);
  });
});

describe('a container that never started', () => {
  it('should alert with the stopped reason', async () => {
    // No local command and no command override: the stand-in stops the task the way ECS does when a container
    // cannot start (no exit code, a stopped reason).
    const definition = new PipelineBuilder('nostart').container('load', { app: 'ingest' }).build(context);
    const events: LocalEvent[] = [];
    const result = await run(definition, { events });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Kitchens.ContainerNotStarted');
    expect(result.cause).toBe(
      'Step "Load": container app ingest never started: CannotStartContainerError: no local command for app "ingest"',
    );
    expect(result.alerts.map((a) => a.context.cause)).toStrictEqual([result.cause]);
    // What `kitchen run --local` prints for it: never "exited with null".
    const container = events.find((e) => e.type === 'container');
    expect(container).toMatchObject({ started: false, exitCode: null });
    expect(describeContainerEvent(container as Extract<LocalEvent, { type: 'container' }>)).toBe(
      'container ingest never started: CannotStartContainerError: no local command for app "ingest"',
    );
  });

  it('should say so when the local command cannot be spawned', async () => {
    const definition = new PipelineBuilder('nospawn')
      .container('load', { app: 'ingest', command: ['/no/such/kitchens-binary'] })
      .build(context);
    const events: LocalEvent[] = [];
    const result = await run(definition, { events });
    expect(result.error).toBe('Kitchens.ContainerNotStarted');
    expect(result.cause).toBe(
      'Step "Load": container app ingest never started: CannotStartContainerError: spawn /no/such/kitchens-binary ENOENT',
    );
    const container = events.find((e) => e.type === 'container') as Extract<LocalEvent, { type: 'container' }>;
    expect(describeContainerEvent(container)).toBe(
      'container ingest never started: CannotStartContainerError: spawn /no/such/kitchens-binary ENOENT',
    );
  });

  it('pins aws-local-stepfunctions 3.0.0: IsPresent false never matches, Not(IsPresent true) does', async () => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const choice = (rule: Record<string, unknown>) =>
      new StateMachine({
        StartAt: 'Check',
        States: {
          Check: { Type: 'Choice', Choices: [{ ...rule, Next: 'Missing' }], Default: 'Present' },
          Missing: { Type: 'Pass', Result: 'missing', End: true },
          Present: { Type: 'Pass', Result: 'present', End: true },
        },
      } as ConstructorParameters<typeof StateMachine>[0]).run({ container: {} }).result;
    expect(await choice({ Variable: '$.container.ExitCode', IsPresent: false })).toBe('present');
    expect(await choice({ Not: { Variable: '$.container.ExitCode', IsPresent: true } })).toBe('missing');
  });
});

describe('local commands for container apps', () => {
  it('should choose the local command, the override or the app command', () => {
    const app = ['python', '-m', 'acme.ingest'];
    expect(localCommand(['node', 'i.js'], [...app, '--day', '1'], app)).toStrictEqual(['node', 'i.js', '--day', '1']);
    expect(localCommand(['node', 'i.js'], ['bash', 'x.sh'], app)).toStrictEqual(['node', 'i.js', 'bash', 'x.sh']);
    expect(localCommand(['node', 'i.js'], undefined, app)).toStrictEqual(['node', 'i.js']);
    expect(localCommand(undefined, ['bash', 'x.sh'], app)).toStrictEqual(['bash', 'x.sh']);
    expect(localCommand(undefined, undefined, app)).toStrictEqual(app);
  });
});

describe('Data API parameters on PostgreSQL', () => {
  it('should bind :name outside quoted text and casts, each name to one placeholder', () => {
    expect(
      bindParameters("SELECT ':run_id', 'it''s :x', a::text, :run_id, :at, CAST(:run_id AS VARCHAR(64))", [
        { Name: 'at', Value: '2026-11-28T10:00:00.000Z' },
        { Name: 'run_id', Value: "o'brien" },
      ]),
    ).toStrictEqual({
      text: "SELECT ':run_id', 'it''s :x', a::text, $1, $2, CAST($1 AS VARCHAR(64))",
      values: ["o'brien", '2026-11-28T10:00:00.000Z'],
    });
  });

  it('fails like the Data API on a parameter without a value', () => {
    expect(() => bindParameters('SELECT :missing', [])).toThrow(
      'The statement uses parameter :missing, which has no value',
    );
  });
});
