/**
 * `kitchen run --kitchen NAME --wait` rendering from execution histories shaped like the ones Step Functions
 * records for a compiled pipeline (state names and `$.tests` results as constructs/pipeline*.ts produce them).
 * Step Functions is a fake that reveals the history a page at a time; the task definition and the container's
 * log live in moto's ECS and CloudWatch Logs.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import {
  ExecutionFollower,
  formatContainerFailure,
  formatRunSummary,
  formatTestResult,
  runKitchenPipeline,
  type ContainerFailure,
  type RunClients,
  type TestResult,
} from '../../../lib/kitchen/run';
import { exampleConfigNoCdk } from './config';
import { motoEndpoint } from './moto';

const REGION = 'us-west-2';
const TASK_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const TASK_ARN = `arn:aws:ecs:${REGION}:123456789012:task/acme-dev/${TASK_ID}`;
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:222222222222:execution:acme-dev-profit-report-orders:profit-report-run';
const LOG_GROUP = `/acme/dev/apps-${Date.now()}`;

const ecs = new ECSClient({ region: REGION, endpoint: motoEndpoint() });
const logs = new CloudWatchLogsClient({ region: REGION, endpoint: motoEndpoint() });
let taskDefinitionArn = '';

beforeAll(async () => {
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `acme-dev-ingest-${Date.now()}`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [
        {
          name: 'ingest',
          image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/ingest:1.4.2',
          essential: true,
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': LOG_GROUP, 'awslogs-stream-prefix': 'ingest', 'awslogs-region': REGION },
          },
        },
      ],
    }),
  );
  taskDefinitionArn = registered.taskDefinition!.taskDefinitionArn!;
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: `ingest/ingest/${TASK_ID}` }));
  const start = Date.now() - 60_000;
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: LOG_GROUP,
      logStreamName: `ingest/ingest/${TASK_ID}`,
      logEvents: Array.from({ length: 12 }, (_, i) => ({
        timestamp: start + i * 1000,
        message:
          i < 11
            ? `INFO read batch ${i + 1}`
            : 'ERROR partner API returned 401 Unauthorized: check the partner-api secret',
      })),
    }),
  );
});

/** The ECS task as Step Functions puts it in a runTask.sync cause or result (PascalCase, DescribeTasks shape). */
function ecsTask(exitCode: number | undefined, stoppedReason: string, stopCode = 'EssentialContainerExited'): string {
  return JSON.stringify({
    Attachments: [],
    ClusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/acme-dev`,
    Containers: [
      {
        ContainerArn: `arn:aws:ecs:${REGION}:123456789012:container/acme-dev/${TASK_ID}/5b6c`,
        ...(exitCode !== undefined ? { ExitCode: exitCode } : {}),
        LastStatus: 'STOPPED',
        Name: 'ingest',
        TaskArn: TASK_ARN,
      },
    ],
    LastStatus: 'STOPPED',
    LaunchType: 'FARGATE',
    StopCode: stopCode,
    StoppedReason: stoppedReason,
    TaskArn: TASK_ARN,
    TaskDefinitionArn: taskDefinitionArn,
  });
}

const run = {
  id: '7d3c',
  execution: 'profit-report-run',
  startedAt: '2030-03-01T10:00:00Z',
  pipeline: 'orders',
  environment: 'dev',
};
const rowCount = {
  step: 'load-orders',
  test: 'orders row count',
  level: 'error',
  status: 'passed',
  value: '1200',
  expectation: '>= 1000',
};
const late = {
  step: 'load-orders',
  test: 'late orders',
  level: 'warning',
  status: 'failed',
  value: '17',
  expectation: '<= 10',
};

/** A failed run: two tests, then the ingest container exits with 2 and the run fails. */
function failedHistory(): HistoryEvent[] {
  const t = (s: number) => new Date(Date.parse('2030-03-01T10:00:00Z') + s * 1000);
  const events: Omit<HistoryEvent, 'id' | 'previousEventId'>[] = [
    { type: 'ExecutionStarted', timestamp: t(0), executionStartedEventDetails: { input: '{}' } },
    { type: 'PassStateEntered', timestamp: t(0), stateEnteredEventDetails: { name: 'Start orders', input: '{}' } },
    {
      type: 'PassStateExited',
      timestamp: t(0),
      stateExitedEventDetails: { name: 'Start orders', output: JSON.stringify({ run, tests: {} }) },
    },
    {
      type: 'TaskStateEntered',
      timestamp: t(1),
      stateEnteredEventDetails: { name: 'Result: orders row count', input: '{}' },
    },
    {
      type: 'TaskScheduled',
      timestamp: t(1),
      taskScheduledEventDetails: {
        resourceType: 'aws-sdk',
        resource: 'redshiftdata:getStatementResult',
        region: 'eu-west-1',
        parameters: '{}',
      },
    },
    {
      type: 'TaskSucceeded',
      timestamp: t(2),
      taskSucceededEventDetails: { resourceType: 'aws-sdk', resource: 'redshiftdata:getStatementResult', output: '{}' },
    },
    {
      type: 'TaskStateExited',
      timestamp: t(2),
      stateExitedEventDetails: {
        name: 'Result: orders row count',
        output: JSON.stringify({ run, tests: { orders_row_count: rowCount } }),
      },
    },
    {
      type: 'TaskStateExited',
      timestamp: t(3),
      stateExitedEventDetails: {
        name: 'Result: late orders',
        output: JSON.stringify({ run, tests: { orders_row_count: rowCount, late_orders: late } }),
      },
    },
    {
      type: 'TaskStateEntered',
      timestamp: t(4),
      stateEnteredEventDetails: { name: 'Ingest partner orders', input: '{}' },
    },
    {
      type: 'TaskScheduled',
      timestamp: t(4),
      taskScheduledEventDetails: {
        resourceType: 'ecs',
        resource: 'runTask.sync',
        region: 'eu-west-1',
        parameters: '{}',
      },
    },
    {
      type: 'TaskStarted',
      timestamp: t(5),
      taskStartedEventDetails: { resourceType: 'ecs', resource: 'runTask.sync' },
    },
    {
      type: 'TaskSubmitted',
      timestamp: t(5),
      taskSubmittedEventDetails: { resourceType: 'ecs', resource: 'runTask.sync', output: '{}' },
    },
    {
      type: 'TaskFailed',
      timestamp: t(65),
      taskFailedEventDetails: {
        resourceType: 'ecs',
        resource: 'runTask.sync',
        error: 'States.TaskFailed',
        cause: ecsTask(2, 'Essential container in task exited'),
      },
    },
    {
      type: 'PassStateEntered',
      timestamp: t(65),
      stateEnteredEventDetails: { name: 'Container failed: Ingest partner orders', input: '{}' },
    },
    {
      type: 'FailStateEntered',
      timestamp: t(66),
      stateEnteredEventDetails: { name: 'Ingest partner orders failed', input: '{}' },
    },
    {
      type: 'ExecutionFailed',
      timestamp: t(66),
      executionFailedEventDetails: {
        error: 'Kitchens.StepFailed',
        cause: 'Step "Ingest partner orders" failed: States.TaskFailed',
      },
    },
  ];
  return events.map((e, i) => ({ ...e, id: i + 1, previousEventId: i }) as HistoryEvent);
}

/** Step Functions that reveals `revealed[n]` events on the n-th read, in pages of 5. */
function fakeSfn(history: HistoryEvent[], revealed: readonly number[]) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  let reads = 0;
  return {
    sent,
    reads: () => reads,
    client: {
      async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
        sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name === 'StartExecutionCommand')
          return { executionArn: EXECUTION_ARN, startDate: new Date() };
        if (command.constructor.name === 'GetExecutionHistoryCommand') {
          const visible = history.slice(0, revealed[Math.min(reads, revealed.length - 1)]);
          const from = command.input.nextToken ? Number(command.input.nextToken) : 0;
          const page = visible.slice(from, from + 5);
          const next = from + 5 < visible.length ? String(from + 5) : undefined;
          if (!next) reads++;
          return { events: page, nextToken: next };
        }
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    },
  };
}

function collect() {
  const lines: string[] = [];
  const tests: TestResult[] = [];
  const failures: ContainerFailure[] = [];
  return {
    lines,
    tests,
    failures,
    sink: {
      test: (r: TestResult) => (tests.push(r), lines.push(formatTestResult(r))),
      containerFailure: (f: ContainerFailure) => (failures.push(f), lines.push(formatContainerFailure(f))),
      progress: (m: string) => lines.push(`progress: ${m}`),
    },
  };
}

describe('runKitchenPipeline --wait', () => {
  it('should print each test as it finishes and the failed container with exit code, stopped reason and log lines', async () => {
    const config = exampleConfigNoCdk();
    const dev = config.environments.find((e) => e.name === 'dev')!;
    const sfn = fakeSfn(failedHistory(), [3, 8, 12, 16]);
    const out = collect();
    const clients: RunClients = { sfn: sfn.client, ecs, logs };
    // When each line appeared: after how many complete reads of the history.
    const readsAt: number[] = [];
    const sink = {
      test: (r: TestResult) => (readsAt.push(sfn.reads()), out.sink.test(r)),
      containerFailure: (f: ContainerFailure) => (readsAt.push(sfn.reads()), out.sink.containerFailure(f)),
      progress: out.sink.progress,
    };

    const result = await runKitchenPipeline(
      {
        config,
        environment: dev,
        kitchen: 'profit-report',
        pipeline: 'orders',
        aws: { region: 'eu-west-1' },
        wait: true,
        pollSeconds: 0,
        logLines: 5,
      },
      clients,
      sink,
    );

    // The state machine of the Kitchen's pipeline was started, with a readable execution name.
    const start = sfn.sent[0];
    expect(start.name).toBe('StartExecutionCommand');
    expect(start.input.stateMachineArn).toBe(
      'arn:aws:states:eu-west-1:222222222222:stateMachine:acme-dev-profit-report-orders',
    );
    expect(start.input.name).toMatch(/^profit-report-\d{8}T\d{6}Z-[a-z0-9]{1,4}$/);
    expect(start.input.input).toBe('{}');

    expect(out.lines).toStrictEqual([
      `progress: Started ${EXECUTION_ARN}`,
      'PASS  load-orders: orders row count [error] (value 1200, expected >= 1000)',
      'WARN  load-orders: late orders [warning] (value 17, expected <= 10)',
      [
        'Container step "Ingest partner orders" failed (container ingest)',
        '  error:          States.TaskFailed',
        '  exit code:      2',
        '  stopped reason: Essential container in task exited (EssentialContainerExited)',
        `  task:           ${TASK_ARN}`,
        `  last 5 log lines (${LOG_GROUP} ingest/ingest/${TASK_ID}):`,
        '    | INFO read batch 8',
        '    | INFO read batch 9',
        '    | INFO read batch 10',
        '    | INFO read batch 11',
        '    | ERROR partner API returned 401 Unauthorized: check the partner-api secret',
      ].join('\n'),
    ]);
    expect(result).toMatchObject({
      status: 'FAILED',
      executionArn: EXECUTION_ARN,
      error: 'Kitchens.StepFailed',
      cause: 'Step "Ingest partner orders" failed: States.TaskFailed',
      tests: [rowCount, late],
    });
    expect(result.containerFailures).toHaveLength(1);
    expect(result.containerFailures[0]).toMatchObject({
      state: 'Ingest partner orders',
      exitCode: 2,
      container: 'ingest',
      logGroup: LOG_GROUP,
    });
    expect(formatRunSummary(result)).toBe(
      [
        'orders in Kitchen profit-report: failed (FAILED; tests: 1 passed, 1 failed, 0 errored)',
        '  Kitchens.StepFailed: Step "Ingest partner orders" failed: States.TaskFailed',
        `  https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
      ].join('\n'),
    );
    // Each result was printed during the poll that revealed it, not at the end.
    expect(readsAt).toStrictEqual([2, 2, 4]);
    // Every event was read once per poll, in pages, until the execution ended.
    expect(sfn.sent.filter((s) => s.name === 'GetExecutionHistoryCommand').length).toBeGreaterThanOrEqual(4);
  });

  it('should only start the execution without --wait', async () => {
    const config = exampleConfigNoCdk();
    const dev = config.environments.find((e) => e.name === 'dev')!;
    const sfn = fakeSfn(failedHistory(), [16]);
    const result = await runKitchenPipeline(
      {
        config,
        environment: dev,
        kitchen: 'profit-report',
        pipeline: 'orders',
        aws: { region: 'eu-west-1' },
        wait: false,
      },
      { sfn: sfn.client, ecs, logs },
      collect().sink,
    );
    expect(result).toMatchObject({ status: 'RUNNING', tests: [], containerFailures: [] });
    expect(sfn.sent.map((s) => s.name)).toStrictEqual(['StartExecutionCommand']);
  });
});

describe('ExecutionFollower', () => {
  const follow = async (events: Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>[]) => {
    const out = collect();
    const follower = new ExecutionFollower({ ecs, logs }, out.sink, 3);
    await follower.process(
      events.map((e, i) => ({ ...e, timestamp: new Date(), id: i + 1, previousEventId: i }) as HistoryEvent),
    );
    return { follower, out };
  };

  it('should report a container that exited non-zero although runTask.sync succeeded', async () => {
    const { out } = await follow([
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Ingest partner orders' } },
      {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'ecs',
          resource: 'runTask.sync',
          output: ecsTask(137, 'OutOfMemoryError: Container killed due to memory usage'),
        },
      },
    ]);
    expect(out.failures).toHaveLength(1);
    expect(out.failures[0]).toMatchObject({
      state: 'Ingest partner orders',
      exitCode: 137,
      stoppedReason: 'OutOfMemoryError: Container killed due to memory usage',
      logLines: [
        'INFO read batch 10',
        'INFO read batch 11',
        'ERROR partner API returned 401 Unauthorized: check the partner-api secret',
      ],
    });
  });

  it('should not report a container that exited with 0', async () => {
    const { out, follower } = await follow([
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Ingest partner orders' } },
      {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'ecs',
          resource: 'runTask.sync',
          output: ecsTask(0, 'Essential container in task exited'),
        },
      },
      {
        type: 'ExecutionSucceeded',
        executionSucceededEventDetails: {
          output: JSON.stringify({ run, tests: { orders_row_count: rowCount }, status: 'succeeded' }),
        },
      },
    ]);
    expect(out.failures).toStrictEqual([]);
    expect(out.tests).toStrictEqual([rowCount]);
    expect(follower.status).toBe('SUCCEEDED');
  });

  it('should show a task whose container did not exit, with its exit code missing', async () => {
    const { out } = await follow([
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Ingest partner orders' } },
      {
        type: 'TaskFailed',
        taskFailedEventDetails: {
          resourceType: 'ecs',
          resource: 'runTask.sync',
          error: 'States.TaskFailed',
          cause: ecsTask(
            undefined,
            'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
            'TaskFailedToStart',
          ),
        },
      },
    ]);
    expect(out.lines).toStrictEqual([
      [
        'Container step "Ingest partner orders" failed (container ingest)',
        '  error:          States.TaskFailed',
        '  exit code:      none (the container did not run to completion)',
        '  stopped reason: CannotPullContainerError: pull image manifest has been retried 5 time(s) (TaskFailedToStart)',
        `  task:           ${TASK_ARN}`,
        `  last 3 log lines (${LOG_GROUP} ingest/ingest/${TASK_ID}):`,
        '    | INFO read batch 10',
        '    | INFO read batch 11',
        '    | ERROR partner API returned 401 Unauthorized: check the partner-api secret',
      ].join('\n'),
    ]);
  });

  it('should show an ECS error that carries no task', async () => {
    const { out } = await follow([
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Ingest partner orders' } },
      {
        type: 'TaskFailed',
        taskFailedEventDetails: {
          resourceType: 'ecs',
          resource: 'runTask.sync',
          error: 'ECS.AccessDeniedException',
          cause: 'User is not authorized to perform: ecs:RunTask (Service: AmazonECS; Status Code: 400)',
        },
      },
    ]);
    expect(out.lines).toStrictEqual([
      [
        'Container step "Ingest partner orders" failed',
        '  error:          ECS.AccessDeniedException',
        '  exit code:      none (the container did not run to completion)',
        '  stopped reason: User is not authorized to perform: ecs:RunTask (Service: AmazonECS; Status Code: 400)',
        '  log: the failure carries no ECS task, so there is no container log',
      ].join('\n'),
    ]);
  });

  it('should say why there are no log lines when the stream is missing', async () => {
    const other = JSON.parse(ecsTask(1, 'Essential container in task exited'));
    other.TaskArn = `arn:aws:ecs:${REGION}:123456789012:task/acme-dev/ffffffffffffffffffffffffffffffff`;
    const { out } = await follow([
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Ingest partner orders' } },
      {
        type: 'TaskFailed',
        taskFailedEventDetails: {
          resourceType: 'ecs',
          resource: 'runTask.sync',
          error: 'States.TaskFailed',
          cause: JSON.stringify(other),
        },
      },
    ]);
    expect(out.failures[0].logLines).toStrictEqual([]);
    expect(out.failures[0].logNote).toMatch(/^could not read the log: ResourceNotFoundException: /);
  });
});
