import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../../lib/config/errors';
import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { loadPipelineFile, parsePipeline, renderPipeline } from '../../../lib/pipeline/loader';

const context = { apps: ['ingest', 'transform'] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-pipeline-loader-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const parse = (raw: unknown) => () => parsePipeline(raw, 'pipelines/orders.yaml', context);
const sql = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'sql', sql: 'SELECT 1', ...extra });

describe('loadPipelineFile', () => {
  it('should load the YAML file into the model with defaults', () => {
    const file = write(
      'ok.yaml',
      [
        'id: orders',
        'steps:',
        '  - id: load-raw',
        '    type: container',
        '    app: ingest',
        '  - id: curate',
        '    type: sql',
        '    after: [load-raw]',
        '    sql: SELECT 1',
        '    tests:',
        '      - name: orders row count',
        '        query: SELECT COUNT(*) FROM {{schema}}.orders',
        '        rule: { in_control: true }',
      ].join('\n'),
    );
    const definition = loadPipelineFile(file, context);
    expect(definition.steps).toStrictEqual([
      {
        id: 'load-raw',
        name: 'Load raw',
        after: [],
        tests: [],
        type: 'container',
        app: 'ingest',
        command: undefined,
        environment: {},
        timeoutMinutes: 120,
      },
      {
        id: 'curate',
        name: 'Curate',
        after: ['load-raw'],
        tests: [
          {
            name: 'orders row count',
            query: 'SELECT COUNT(*) FROM {{schema}}.orders',
            rule: { kind: 'in_control', k: 3, last: 20, minHistory: 5, tolerance: 0, relativeTolerance: 0.01 },
            level: 'error',
            timeoutSeconds: 300,
          },
        ],
        type: 'sql',
        statements: ['SELECT 1'],
        pollSeconds: 60,
        timeoutMinutes: 30,
      },
    ]);
  });

  it('should give the builder the same model as the YAML file', () => {
    const file = write(
      'same.json',
      JSON.stringify({
        id: 'orders',
        schedule: 'cron(0 5 * * ? *)',
        steps: [
          { id: 'land', type: 'copy', from: { bucket: 'landing', prefix: 'orders/' }, to: { bucket: 'raw' } },
          {
            id: 'load',
            type: 'container',
            app: 'ingest',
            after: ['land'],
            tests: [{ name: 'rows', query: 'SELECT 1', rule: { min: 1 }, level: 'warning' }],
          },
        ],
      }),
    );
    const fromFile = loadPipelineFile(file, context);
    const fromBuilder = new PipelineBuilder('orders')
      .schedule('cron(0 5 * * ? *)')
      .copy('land', { from: { bucket: 'landing', prefix: 'orders/' }, to: { bucket: 'raw' } })
      .container('load', {
        app: 'ingest',
        after: ['land'],
        tests: [{ name: 'rows', query: 'SELECT 1', rule: { min: 1 }, level: 'warning' }],
      })
      .build(context);
    expect({ ...fromBuilder, source: fromFile.source }).toStrictEqual(fromFile);
    expect(fromBuilder.source).toBe('pipeline "orders" (builder)');
  });

  it('fails when the file does not exist', () => {
    expect(() => loadPipelineFile(path.join(dir, 'missing.yaml'), context)).toThrow(
      `pipeline file not found (looked in ${path.join(dir, 'missing.yaml')})`,
    );
  });

  it('fails on invalid YAML with the file name', () => {
    const file = write('bad.yaml', 'id: [orders\n');
    expect(problemsOf(() => loadPipelineFile(file, context))[0]).toMatch(/bad\.yaml: invalid YAML: /);
  });

  it('fails on a duplicate key in YAML', () => {
    const file = write('dupkey.yaml', 'id: orders\nid: again\nsteps: []\n');
    expect(problemsOf(() => loadPipelineFile(file, context))[0]).toMatch(
      /dupkey\.yaml: invalid YAML: Map keys must be unique/,
    );
  });
});

describe('pipeline validation messages', () => {
  it('fails on an unknown step in after', () => {
    expect(problemsOf(parse({ id: 'orders', steps: [sql('a'), sql('b', { after: ['nope'] })] }))).toStrictEqual([
      'pipelines/orders.yaml: steps[1].after[0] must name a step of this pipeline (a, b), got: "nope"',
    ]);
  });

  it('fails on a cycle and prints its path', () => {
    const steps = [sql('a', { after: ['c'] }), sql('b', { after: ['a'] }), sql('c', { after: ['b'] }), sql('d')];
    expect(problemsOf(parse({ id: 'orders', steps }))).toStrictEqual([
      'pipelines/orders.yaml: steps must not form a cycle through "after", got: a -> b -> c -> a',
    ]);
  });

  it('fails on a step that waits for itself', () => {
    expect(problemsOf(parse({ id: 'orders', steps: [sql('a', { after: ['a'] })] }))).toStrictEqual([
      'pipelines/orders.yaml: steps[0].after[0] must name another step, got the step itself: "a"',
    ]);
  });

  it('fails on duplicate step ids', () => {
    expect(problemsOf(parse({ id: 'orders', steps: [sql('a'), sql('a', { name: 'Other' })] }))).toStrictEqual([
      'pipelines/orders.yaml: steps[1].id must be unique, got a second "a" (first at steps[0])',
    ]);
  });

  it('fails on a test without a query', () => {
    expect(
      problemsOf(parse({ id: 'orders', steps: [sql('a', { tests: [{ name: 't1', rule: { min: 1 } }] })] })),
    ).toStrictEqual([
      'pipelines/orders.yaml: steps[0].tests[0].query is required and must be a SQL query returning one value',
    ]);
  });

  it('fails on a test without a rule', () => {
    expect(
      problemsOf(parse({ id: 'orders', steps: [sql('a', { tests: [{ name: 't1', query: 'SELECT 1' }] })] })),
    ).toStrictEqual([
      'pipelines/orders.yaml: steps[0].tests[0].rule is required and must be a rule: one of equals, not_equals, min, max, between, in_control',
    ]);
  });

  it('fails on a rule with two kinds', () => {
    const tests = [{ name: 't1', query: 'SELECT 1', rule: { min: 1, max: 2 } }];
    expect(problemsOf(parse({ id: 'orders', steps: [sql('a', { tests })] }))).toStrictEqual([
      'pipelines/orders.yaml: steps[0].tests[0].rule must have exactly one of equals, not_equals, min, max, between, in_control, got: min, max',
    ]);
  });

  it('fails on an unknown rule', () => {
    const tests = [{ name: 't1', query: 'SELECT 1', rule: { above: 1 } }];
    expect(problemsOf(parse({ id: 'orders', steps: [sql('a', { tests })] }))).toStrictEqual([
      'pipelines/orders.yaml: steps[0].tests[0].rule.above is not a known setting; allowed here: equals, not_equals, min, max, between, in_control',
    ]);
  });

  it('fails on an unknown container app', () => {
    expect(problemsOf(parse({ id: 'orders', steps: [{ id: 'a', type: 'container', app: 'loader' }] }))).toStrictEqual([
      'pipelines/orders.yaml: steps[0].app must be one of the container apps in the config (ingest, transform), got: "loader"',
    ]);
  });

  it('fails on a pipeline id that is not a valid id', () => {
    const message =
      'pipelines/orders.yaml: id must be lowercase letters, digits and single hyphens, starting with a letter, at most 30 characters, got: ';
    expect(problemsOf(parse({ id: 'Orders_Pipeline', steps: [sql('a')] }))).toStrictEqual([
      `${message}"Orders_Pipeline"`,
    ]);
    expect(problemsOf(parse({ id: 'o'.repeat(31), steps: [sql('a')] }))).toStrictEqual([
      `${message}"${'o'.repeat(31)}"`,
    ]);
  });

  it('fails on an unknown variable, naming the allowed ones', () => {
    expect(
      problemsOf(parse({ id: 'orders', steps: [sql('a', { sql: 'SELECT * FROM {{schema}}.{{table}}' })] })),
    ).toStrictEqual([
      'pipelines/orders.yaml: steps[0].sql uses unknown variable {{table}}, got: "SELECT * FROM {{schema}}.{{table}}"; allowed variables: ' +
        'account, bucket, curated_bucket, database, env, history_table, kitchen, landing_bucket, prefix, project, raw_bucket, region, schema',
    ]);
  });

  it('fails on fields of another step type and on missing type fields', () => {
    expect(problemsOf(parse({ id: 'orders', steps: [{ id: 'a', type: 'sql', app: 'ingest' }] }))).toStrictEqual([
      'pipelines/orders.yaml: steps[0].sql is required for a sql step and must be a SQL statement or a list of SQL statements',
      'pipelines/orders.yaml: steps[0].app is not allowed on a sql step; allowed for sql: sql, pollSeconds',
    ]);
  });

  it('fails on unknown settings, bad levels, types and schedules', () => {
    expect(
      problemsOf(
        parse({
          id: 'orders',
          schedule: 'daily',
          steps: [
            sql('a', { colour: 'red', tests: [{ name: 't1', query: 'q', rule: { min: 1 }, level: 'fatal' }] }),
            { id: 'b', type: 'python' },
          ],
        }),
      ),
    ).toStrictEqual([
      'pipelines/orders.yaml: schedule must be an EventBridge schedule expression such as "cron(0 5 * * ? *)" or "rate(1 hour)", got: "daily"',
      'pipelines/orders.yaml: steps[0].tests[0].level must be one of error, warning, log, got: "fatal"',
      'pipelines/orders.yaml: steps[0].colour is not a known setting; allowed here: id, name, type, after, tests, timeoutMinutes, app, command, environment, sql, pollSeconds, from, to, maxObjects',
      'pipelines/orders.yaml: steps[1].type must be one of container, sql, copy, got: "python"',
    ]);
  });

  it('fails on test names used twice or equal to a step name', () => {
    const steps = [
      sql('a', { tests: [{ name: 't1', query: 'q', rule: { min: 1 } }] }),
      sql('b', {
        tests: [
          { name: 'T1', query: 'q', rule: { min: 1 } },
          { name: 'a', query: 'q', rule: { min: 1 } },
        ],
      }),
    ];
    expect(problemsOf(parse({ id: 'orders', steps }))).toStrictEqual([
      'pipelines/orders.yaml: steps[1].tests[0].name must be unique in the pipeline (it names the state "Test: T1"), got a second "T1" (first at steps[0].tests[0])',
      'pipelines/orders.yaml: steps[1].tests[1].name must differ from every step name (both name states), got: "a", the name of steps[0]',
    ]);
  });

  it('fails on two tests whose names give the same result key, naming both', () => {
    const steps = [
      sql('load', { tests: [{ name: 'row count', query: 'q', rule: { min: 1 } }] }),
      sql('curate', {
        tests: [
          { name: 'Row-Count', query: 'q', rule: { min: 1 } },
          { name: 'rows (total)', query: 'q', rule: { min: 1 } },
          { name: 'rows total', query: 'q', rule: { min: 1 } },
        ],
      }),
    ];
    expect(problemsOf(parse({ id: 'orders', steps }))).toStrictEqual([
      'pipelines/orders.yaml: steps[1].tests[0].name must give a result key unique in the pipeline, got "Row-Count", which like "row count" (steps[0].tests[0]) becomes the result key "row_count" (names are lowercased and every run of other characters than letters and digits becomes "_")',
      'pipelines/orders.yaml: steps[1].tests[2].name must give a result key unique in the pipeline, got "rows total", which like "rows (total)" (steps[1].tests[1]) becomes the result key "rows_total" (names are lowercased and every run of other characters than letters and digits becomes "_")',
    ]);
  });

  it('fails on a copy prefix that adds the data prefix itself', () => {
    const steps = [
      { id: 'a', type: 'copy', from: { bucket: 'landing', prefix: '{{prefix}}orders/' }, to: { bucket: 'raw' } },
    ];
    expect(problemsOf(parse({ id: 'orders', steps }))).toStrictEqual([
      'pipelines/orders.yaml: steps[0].from.prefix must not use {{prefix}}: the environment\'s or Kitchen\'s data prefix is added in front of it, got: "{{prefix}}orders/"',
    ]);
  });

  it('reports the builder as the source of a builder pipeline', () => {
    expect(() => new PipelineBuilder('orders').container('a', { app: 'loader' }).build(context)).toThrow(
      'pipeline "orders" (builder): steps[0].app must be one of the container apps in the config (ingest, transform), got: "loader"',
    );
  });
});

describe('renderPipeline', () => {
  const definition = parsePipeline(
    {
      id: 'orders',
      steps: [
        { id: 'land', type: 'copy', from: { bucket: 'landing', prefix: '{{env}}/orders/' }, to: { bucket: 'raw' } },
        {
          id: 'load',
          type: 'container',
          app: 'ingest',
          command: ['run', '{{schema}}'],
          environment: { BUCKET: '{{bucket}}' },
        },
        sql('curate', {
          sql: ['SELECT 1 FROM {{schema}}.t', 'SELECT {{ kitchen }}'],
          tests: [{ name: 'x', query: 'SELECT {{env}}', rule: { min: 0 } }],
        }),
      ],
    },
    'pipelines/orders.yaml',
    context,
  );

  it('should render every variable for one environment', () => {
    const rendered = renderPipeline(definition, {
      env: 'dev',
      schema: 'analytics',
      bucket: 'raw-bucket',
      kitchen: 'dev',
    });
    expect(
      rendered.steps.map((s) =>
        s.type === 'sql'
          ? s.statements
          : s.type === 'container'
            ? [...s.command!, s.environment.BUCKET]
            : [s.from.prefix],
      ),
    ).toStrictEqual([['dev/orders/'], ['run', 'analytics', 'raw-bucket'], ['SELECT 1 FROM analytics.t', 'SELECT dev']]);
    expect(rendered.steps[2].tests[0].query).toBe('SELECT dev');
  });

  it('fails on a variable the target does not define', () => {
    expect(
      problemsOf(() => renderPipeline(definition, { env: 'dev', schema: 'analytics', bucket: 'b' })),
    ).toStrictEqual([
      'pipelines/orders.yaml: steps[2].sql[1] uses unknown variable {{kitchen}}, got: "SELECT {{ kitchen }}"; allowed variables: bucket, env, schema',
    ]);
  });
});
