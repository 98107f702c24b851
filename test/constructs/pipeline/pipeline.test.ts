/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { POLL_SCHEDULE } from '../../../lib/pipeline/limits';
import type { PipelineDefinition } from '../../../lib/pipeline/model';
import { loadPipelineFile } from '../../../lib/pipeline/loader';
import { compileTestPipeline, renderMainPath, TEST_APPS } from '../../support/pipeline-target';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

const context = { apps: [...TEST_APPS] };
const container = (id: string, after: string[] = []) => ({ id, after });

function containers(id: string, steps: { id: string; after: string[] }[]): PipelineDefinition {
  const builder = new PipelineBuilder(id);
  for (const step of steps) builder.container(step.id, { app: 'ingest', after: step.after });
  return builder.build(context);
}

function expectValid(asl: unknown): void {
  const result = aslValidator(asl);
  expect(result.errors).toStrictEqual([]);
  expect(result.isValid).toBe(true);
}

describe('Pipeline state graph', () => {
  it('should run a linear pipeline in order', () => {
    // GIVEN extract -> load -> publish
    const { asl } = compileTestPipeline(
      containers('linear', [container('extract'), container('load', ['extract']), container('publish', ['load'])]),
    );
    // THEN
    expect(renderMainPath(asl)).toStrictEqual([
      'Start linear',
      'Prepare run history',
      'Extract',
      'Load',
      'Publish',
      'Record run',
      'Report results',
    ]);
    expectValid(asl);
  });

  it('should run the two middle steps of a diamond in parallel', () => {
    const { asl } = compileTestPipeline(
      containers('diamond', [
        container('load'),
        container('clean', ['load']),
        container('enrich', ['load']),
        container('publish', ['clean', 'enrich']),
      ]),
    );
    expect(renderMainPath(asl)).toStrictEqual([
      'Start diamond',
      'Prepare run history',
      'Load',
      'In parallel 1: clean, enrich',
      {
        parallel: [
          ['Clean', 'Parallel 1: branch 1 done'],
          ['Enrich', 'Parallel 1: branch 2 done'],
        ],
      },
      'Merge results 1',
      'Publish',
      'Record run',
      'Report results',
    ]);
    const parallel = asl.States['In parallel 1: clean, enrich'];
    expect(parallel.Type).toBe('Parallel');
    // A failure in a branch ends the branch; the Parallel state hands it to the run's alert (test failures already alerted).
    expect(parallel.Catch).toStrictEqual([
      { ErrorEquals: ['Kitchens.TestFailed'], ResultPath: '$.failure', Next: 'Record failed run' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Alert: run failed' },
    ]);
    expect(parallel.Branches[0].States.Clean.Catch[0].Next).toBe('Failed: Clean');
    expect(parallel.Branches[0].States['Failed: Clean'].Next).toBe('Parallel 1: branch 1 failed');
    // Only run and test results leave a branch, so the Parallel output stays small.
    expect(parallel.Branches[1].States['Parallel 1: branch 2 done'].Parameters).toStrictEqual({
      'run.$': '$.run',
      'tests.$': '$.tests',
    });
    expectValid(asl);
  });

  it('should fan out into parallel branches, each keeping its own chain', () => {
    // GIVEN land -> (a, b -> b2, c)
    const { asl } = compileTestPipeline(
      containers('fanout', [
        container('land'),
        container('a', ['land']),
        container('b', ['land']),
        container('b2', ['b']),
        container('c', ['land']),
      ]),
    );
    expect(renderMainPath(asl)).toStrictEqual([
      'Start fanout',
      'Prepare run history',
      'Land',
      'In parallel 1: a, b, b2, c',
      {
        parallel: [
          ['A', 'Parallel 1: branch 1 done'],
          ['B', 'B2', 'Parallel 1: branch 2 done'],
          ['C', 'Parallel 1: branch 3 done'],
        ],
      },
      'Merge results 1',
      'Record run',
      'Report results',
    ]);
    expect(asl.States['Merge results 1'].Parameters).toStrictEqual({
      'run.$': '$[0].run',
      'tests.$': 'States.JsonMerge(States.JsonMerge($[0].tests, $[1].tests, false), $[2].tests, false)',
    });
    expectValid(asl);
  });

  it('should merge results of more branches than one intrinsic call can nest', () => {
    const steps = [container('start'), ...Array.from({ length: 12 }, (_, i) => container(`s${i + 1}`, ['start']))];
    const { asl } = compileTestPipeline(containers('wide', steps));
    expect(renderMainPath(asl).slice(-3)).toStrictEqual(['Merge results 1 (2)', 'Record run', 'Report results']);
    expect(asl.States['Merge results 1'].Parameters['branches.$']).toBe('$');
    expect(asl.States['Merge results 1 (2)'].Parameters).toStrictEqual({
      'run.$': '$.run',
      'tests.$':
        'States.JsonMerge(States.JsonMerge(States.JsonMerge($.tests, $.branches[9].tests, false), $.branches[10].tests, false), $.branches[11].tests, false)',
    });
    expectValid(asl);
  });
});

describe('Pipeline steps and tests', () => {
  const definition = new PipelineBuilder('orders')
    .copy('land', { from: { bucket: 'landing', prefix: 'orders/' }, to: { bucket: 'raw' } })
    .container('load', {
      app: 'ingest',
      after: ['land'],
      command: ['python', '-m', 'acme.ingest'],
      environment: { TARGET_TABLE: '{{schema}}.raw_orders' },
      tests: [{ name: 'orders row count', query: 'SELECT COUNT(*) FROM {{schema}}.raw_orders', rule: { min: 1 } }],
    })
    .sql('curate', {
      after: ['load'],
      sql: ['DELETE FROM {{schema}}.orders', 'INSERT INTO {{schema}}.orders SELECT * FROM {{schema}}.raw_orders'],
      tests: [{ name: 'null rate', query: 'SELECT 0', rule: { max: 0.05 }, level: 'warning' }],
    })
    .schedule('cron(0 5 * * ? *)')
    .build(context);
  const { stack, asl, stateMachines } = compileTestPipeline(definition, { schema: 'analytics' });
  const template = Template.fromStack(stack);

  it('should pass asl-validator', () => {
    expectValid(asl);
  });

  it('should make every test a state named after it, which starts the Evaluate test machine', () => {
    expect(asl.States['Test: orders row count']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: 'arn:aws:states:eu-west-1:222222222222:stateMachine:acme-dev-orders_test' },
      ResultPath: '$.tests.orders_row_count',
    });
    expect(asl.States['Test: null rate'].Parameters.Input).toMatchObject({
      step: 'curate',
      test: 'null rate',
      level: 'warning',
      sql: expect.objectContaining({ condition: 't.value <= 0.05', learning: '1 = 0' }),
      'runId.$': '$.run.id',
    });
    // Each test state starts its child under a name made of the run id and the state, the same on every attempt.
    expect(asl.States['Test: orders row count'].Parameters['Name.$']).toMatch(
      /^States\.Format\('\{\}-test-orders-row-count-[0-9a-f]{8}', \$\.run\.id\)$/,
    );
    // After every test of the step has run, one verdict per step: errored, then not passed, per error test.
    expect(asl.States['Test: orders row count'].Next).toBe('Verdict: Load');
    expect(asl.States['Verdict: Load'].Choices.map((c: any) => c.Next)).toStrictEqual([
      'Errored: orders row count',
      'Failed: orders row count',
    ]);
    expect(asl.States['Errored: orders row count'].Parameters).toStrictEqual({
      Error: 'Kitchens.TestFailed',
      'Cause.$':
        'States.Format(\'Test "orders row count" of step "Load" errored: {}\', $.tests.orders_row_count.error)',
    });
    // The failure is named, then the run records itself and fails without a second alert.
    expect(asl.States['Failed: orders row count']).toStrictEqual({
      Type: 'Pass',
      QueryLanguage: 'JSONPath',
      Parameters: {
        Error: 'Kitchens.TestFailed',
        Cause: 'Test "orders row count" of step "Load" did not pass (expected >= 1): see the alert and the run output',
      },
      ResultPath: '$.failure',
      Next: 'Record failed run',
    });
    // A step with only warning tests has no verdict state: they alert from their child executions and the run continues.
    expect(asl.States['Verdict: Curate']).toBeUndefined();
  });

  it('should evaluate, poll, read, alert and record errors in the Evaluate test machine', () => {
    const machine = stateMachines['acme-dev-orders_test'];
    expect(machine.StartAt).toBe('Evaluate and record');
    expect(machine.States['Evaluate and record'].Parameters['Sqls.$']).toMatch(
      /^States\.Array\(States\.Format\('INSERT INTO analytics\.kitchens_test_history/,
    );
    // Every result, passed, failed or errored, publishes its metrics first (each call caught), then the verdict.
    expect(machine.States['Result record'].Next).toBe('Publish test metrics');
    expect(machine.States['Record the error'].Next).toBe('Publish test metrics');
    expect(machine.States['Record the error'].Catch[0].Next).toBe('Publish test metrics');
    expect(machine.States['Publish test metrics']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
      Next: 'Test band known?',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Publish test verdict' }],
    });
    expect(machine.States['Publish test metrics'].Parameters.MetricData.map((d: any) => d.MetricName)).toStrictEqual([
      'TestValue',
      'TestResult',
      'PipelineTestResult',
    ]);
    expect(machine.States['Publish test verdict']).toMatchObject({
      Next: 'Test band known?',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Test band known?' }],
    });
    expect(machine.States['Test band known?'].Choices[0].Next).toBe('Publish test band');
    expect(machine.States['Test band known?'].Default).toBe('Verdict');
    expect(machine.States['Publish test band']).toMatchObject({
      Next: 'Verdict',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Verdict' }],
    });
    // An errored test alerts at every level; a passed or log-level one returns; a failed one alerts.
    expect(machine.States.Verdict.Choices.map((c: any) => c.Next)).toStrictEqual([
      'Which alert?',
      'Test result',
      'Test result',
    ]);
    expect(machine.States.Verdict.Default).toBe('Which alert?');
    expect(machine.States['Which alert?'].Choices).toStrictEqual([
      { Variable: '$.result.status', StringEquals: 'errored', Next: 'Alert: test errored' },
    ]);
    expect(machine.States['Which alert?'].Default).toBe('Alert: test failed');
    for (const alert of ['Alert: test failed', 'Alert: test errored']) {
      expect(machine.States[alert].Catch[0]).toStrictEqual({
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.alertFailure',
        Next: 'Alert could not be published',
      });
    }
  });

  it('should run containers with runTask.sync on Fargate with overrides', () => {
    const run = asl.States.Load;
    expect(run.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(run.Parameters.LaunchType).toBe('FARGATE');
    expect(run.Parameters.Overrides.ContainerOverrides[0]).toMatchObject({
      Name: 'ingest',
      Command: ['python', '-m', 'acme.ingest'],
      Environment: expect.arrayContaining([{ Name: 'TARGET_TABLE', Value: 'analytics.raw_orders' }]),
    });
    // No public IP: the field is left out, which RunTask treats as DISABLED.
    expect(run.Parameters.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBeUndefined();
    expect(asl.States['Exit code: Load'].Type).toBe('Choice');
  });

  it('should run several statements in a Run SQL child execution that polls DescribeStatement', () => {
    expect(asl.States.Curate.Resource).toBe('arn:aws:states:::states:startExecution.sync:2');
    expect(asl.States.Curate.Parameters.Input).toMatchObject({
      sqls: ['DELETE FROM analytics.orders', 'INSERT INTO analytics.orders SELECT * FROM analytics.raw_orders'],
      what: 'step "Curate"',
      // The default poll plan: at most 60 s apart, 77 polls for the default 30 minutes, the longest wait from poll 57.
      pollSeconds: 60,
      maxPolls: 77,
      capPolls: 57,
    });
    const machine = stateMachines['acme-dev-orders_sql'];
    expect(machine.States['One statement or a batch?'].Choices[0]).toStrictEqual({
      Variable: '$.sqls',
      IsPresent: true,
      Next: 'Execute the statements in one transaction',
    });
    expect(machine.States['Wait for the statement']).toStrictEqual({
      Type: 'Wait',
      QueryLanguage: 'JSONPath',
      SecondsPath: '$.statement.wait',
      Next: 'Check the statement',
    });
    // The first poll 1 s after the statement starts; each later wait from the schedule, or the longest wait.
    expect(machine.States['Execute the statements in one transaction'].ResultSelector).toStrictEqual({
      'id.$': '$.Id',
      polls: 0,
      wait: 1,
    });
    expect(machine.States['Statement done?'].Choices.map((c: any) => c.Next)).toStrictEqual([
      'SQL failed',
      'SQL stopped',
      'Statement finished',
      'SQL stopped',
      'Count the poll, longest wait',
    ]);
    expect(machine.States['Count the poll'].Parameters['wait.$']).toBe(
      `States.ArrayGetItem(States.Array(${POLL_SCHEDULE.join(', ')}), States.MathAdd($.statement.polls, 1))`,
    );
    expect(machine.States['Count the poll, longest wait'].Parameters['wait.$']).toBe('$.pollSeconds');
  });

  it('should retry transient errors with backoff and catch every task into an alert', () => {
    const tasks = Object.entries(asl.States).filter(
      // Metrics never fail a run: their catches go on (test/constructs/observability covers them).
      // Nor does the run record: its catch goes on to the report or to the Fail state (tested below).
      ([name, s]: [string, any]) =>
        s.Type === 'Task' &&
        !s.Resource.endsWith('sns:publish') &&
        !s.Resource.includes(':cloudwatch:') &&
        !name.startsWith('Record '),
    );
    expect(tasks.length).toBeGreaterThan(5);
    for (const [name, state] of tasks as [string, any][]) {
      const child = state.Resource.endsWith('startExecution.sync:2');
      // Every task retries with backoff; a child-starting one only throttling and service errors, never a failed
      // child (States.TaskFailed), whose failure goes to the unwrapping states first.
      expect({ name, retry: state.Retry?.[0]?.BackoffRate }).toStrictEqual({ name, retry: 2 });
      if (child) {
        expect(state.Retry).toHaveLength(1);
        expect(state.Retry[0].ErrorEquals).toStrictEqual([
          'StepFunctions.ThrottlingException',
          'StepFunctions.ExecutionLimitExceededException',
          'StepFunctions.AWSStepFunctionsException',
          'StepFunctions.SdkClientException',
        ]);
      }
      const all = state.Catch[state.Catch.length - 1];
      expect({ name, catch: all.ErrorEquals }).toStrictEqual({ name, catch: ['States.ALL'] });
      if (child) expect(state.Catch[0].Next).toMatch(/: child or call failed\?$/);
      // The catch names the step in the cause, then the run's alert.
      const caught = asl.States[all.Next];
      expect(caught.Parameters['Cause.$']).toMatch(
        /^States\.Format\('(Step "[A-Za-z ]+"|Prepare run history): \{\}', \$\.failure\.Cause\)$/,
      );
      expect(caught.Next).toBe('Alert: run failed');
    }
    expect(asl.States['Run: child failure'].Next).toBe('Alert: run failed');
    expect(asl.States['Alert: run failed'].Next).toBe('Record failed run');
    expect(asl.States['Alert: run failed'].Catch[0].Next).toBe('Run failed, alert not sent');
    expect(asl.States['Run failed, alert not sent'].Next).toBe('Record failed run');
    // The run record: one Run SQL execution with the run's values as Data API parameters, caught so that neither
    // outcome can change (a failed write goes on to the report or to the Fail state with $.failure untouched).
    for (const [name, next] of [
      ['Record run', 'Report results'],
      ['Record failed run', 'Run failed'],
    ]) {
      const record = asl.States[name];
      expect({ name, next: record.Next, catch: record.Catch }).toStrictEqual({
        name,
        next,
        catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: next }],
      });
      expect(record.ResultPath).toBeNull();
      expect(record.Parameters.Input.parameters).toStrictEqual([
        { Name: 'run_id', 'Value.$': '$.run.id' },
        { Name: 'started_at', 'Value.$': '$.run.startedAt' },
        { Name: 'finished_at', 'Value.$': '$$.State.EnteredTime' },
        { Name: 'execution', 'Value.$': '$$.Execution.Id' },
        // A failed run also records why it failed.
        ...(name === 'Record failed run'
          ? [{ Name: 'cause', 'Value.$': "States.Format('{}: {}', $.failure.Error, $.failure.Cause)" }]
          : []),
      ]);
      expect(record.Parameters.Input.sql).toMatch(/^INSERT INTO analytics\.kitchens_test_history_runs /);
    }
    expect(asl.States['Record failed run'].Parameters.Input.sql).toContain("'orders', 'failed', CAST(:started_at");
    expect(asl.States['Run failed']).toStrictEqual({
      Type: 'Fail',
      QueryLanguage: 'JSONPath',
      ErrorPath: '$.failure.Error',
      CausePath: '$.failure.Cause',
    });
  });

  it('should copy server-side with a Map over listObjectsV2', () => {
    expect(asl.States['List: Land'].Resource).toBe('arn:aws:states:::aws-sdk:s3:listObjectsV2');
    expect(asl.States['List: Land'].Parameters).toStrictEqual({
      Bucket: 'acme-dev-landing-222222222222',
      Prefix: 'orders/',
      MaxKeys: 100,
    });
    const map = asl.States.Land;
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor.States['Copy object: Land'].Arguments).toStrictEqual({
      Bucket: 'acme-dev-raw-222222222222',
      Key: '{% $states.input.key %}',
      CopySource:
        "{% 'acme-dev-landing-222222222222/' & $join($map($split($states.input.key, '/'), " +
        "function($segment) { $encodeUrlComponent($segment) }), '/') %}",
    });
  });

  it('should log to an encrypted log group and trace with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'acme-dev-orders',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/acme-dev-orders',
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 7,
    });
  });

  it('should scope Data API execute permissions to the cluster and grant secret read and publish', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const execute = statements.find((s: any) => s.Action === 'redshift-data:BatchExecuteStatement');
    expect(execute.Resource).toBe('arn:aws:redshift:eu-west-1:222222222222:cluster:acme-dev-warehouse');
    expect(statements.some((s: any) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))).toBe(true);
    expect(statements.some((s: any) => [s.Action].flat().includes('sns:Publish'))).toBe(true);
    expect(statements.some((s: any) => [s.Action].flat().includes('ecs:RunTask'))).toBe(true);
    expect(statements.some((s: any) => [s.Action].flat().includes('iam:PassRole'))).toBe(true);
  });

  it('should depend on the role policy only (the role is already referenced)', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const [policyId] = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.includes('OrdersRole'),
    )!;
    expect(machine.DependsOn).toStrictEqual([policyId]);
  });

  it('should deploy the schedule disabled where schedules are off', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 5 * * ? *)', State: 'DISABLED' });
  });

  it('should enable the schedule where the environment runs schedules', () => {
    const { stack: prod } = compileTestPipeline(definition, { schedulesEnabled: true });
    Template.fromStack(prod).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 5 * * ? *)',
      State: 'ENABLED',
    });
  });

  it('should not create a schedule for a pipeline without one', () => {
    const { stack: plain } = compileTestPipeline(containers('plain', [container('only')]));
    Template.fromStack(plain).resourceCountIs('AWS::Events::Rule', 0);
  });
});

describe('Pipeline for a Kitchen', () => {
  it('should render variables and the data prefix for the Kitchen', () => {
    const definition = new PipelineBuilder('orders')
      .copy('land', { from: { bucket: 'landing', prefix: 'orders/' }, to: { bucket: 'raw' } })
      .sql('count', { after: ['land'], sql: "SELECT COUNT(*) FROM {{schema}}.orders WHERE kitchen = '{{kitchen}}'" })
      .build(context);
    const { asl, stack } = compileTestPipeline(definition, { kitchen: 'profit-report', schema: 'k_profit_report' });
    expect(asl.States['List: Land'].Parameters.Prefix).toBe('kitchens/profit-report/orders/');
    expect(asl.States.Count.Parameters.Input.sql).toBe(
      "SELECT COUNT(*) FROM k_profit_report.orders WHERE kitchen = 'profit-report'",
    );
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'acme-dev-profit-report-orders',
    });
  });
});

describe('The bundled orders pipeline', () => {
  it('should compile for development and production and pass asl-validator', () => {
    const definition = loadPipelineFile('pipelines/orders.yaml', { apps: ['ingest', 'transform'] });
    for (const schedulesEnabled of [false, true]) {
      const { asl, stack } = compileTestPipeline(definition, { schedulesEnabled });
      expectValid(asl);
      expect(renderMainPath(asl)).toStrictEqual([
        'Start orders',
        'Prepare run history',
        'List: Copy landed orders to raw',
        'Load raw orders',
        'Test: raw orders row count',
        'Test: raw orders volume in control',
        'Build curated orders',
        'Test: curated orders row count',
        'Test: customer id null rate',
        'Test: orders freshness in days',
        'Test: negative amounts',
        'Summarise daily revenue',
        'Test: daily revenue days',
        'Record run',
        'Report results',
      ]);
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        State: schedulesEnabled ? 'ENABLED' : 'DISABLED',
      });
    }
  });
});
