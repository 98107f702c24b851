/**
 * `kitchen run PIPELINE --kitchen NAME [--wait]`: starts the Kitchen's state machine and, with --wait, follows the
 * execution history: each test's result as its `Result: <test>` state exits (the value lands in `$.tests.<key>`,
 * see constructs/pipeline/test-fragment.ts), and for a container step that fails, what the Step Functions console hides:
 * the task's exit code, its stopped reason and the last lines of the container's log.
 * No aws-cdk-lib import; the SDK clients are created by the caller (or lazily by `runClients`).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { clientConfig, sdkErrorMessage, type AwsTarget, type SdkClient } from './aws';
import { kitchenNames } from './stacks';
import { partitionOf } from '../naming';
import { runOutcome, type RunOutcome } from '../pipeline/outcome';

export { runOutcome, type RunOutcome };

export interface TestResult {
  readonly step: string;
  readonly test: string;
  readonly level: string;
  /** `passed`, `failed` or `errored` (the test query failed), as the Evaluate test machine returned it. */
  readonly status: string;
  readonly value?: string;
  readonly expectation?: string;
  /** The in_control band used (`''` while learning and for other rules). */
  readonly band?: { readonly low?: string; readonly high?: string };
  /** Why a value failed regardless of the rule (no rows, several rows, NULL). */
  readonly message?: string;
  /** The database's error of an errored test. */
  readonly error?: string;
}

export interface ContainerFailure {
  /** The state (step) name. */
  readonly state: string;
  readonly taskArn?: string;
  readonly container?: string;
  /** Undefined when the container never ran (image pull failure, no capacity, ...). */
  readonly exitCode?: number;
  readonly stoppedReason?: string;
  readonly stopCode?: string;
  /** The container's own reason (for example "CannotPullContainerError: ..."). */
  readonly containerReason?: string;
  /** The Step Functions error, when the task state failed. */
  readonly error?: string;
  readonly logGroup?: string;
  readonly logStream?: string;
  readonly logLines: readonly string[];
  /** Why there are no log lines, when there are none. */
  readonly logNote?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface RunResult {
  readonly pipeline: string;
  readonly kitchen: string;
  readonly stateMachineArn: string;
  readonly executionArn: string;
  readonly consoleUrl: string;
  readonly status: ExecutionStatus;
  readonly outcome: RunOutcome;
  readonly tests: readonly TestResult[];
  readonly containerFailures: readonly ContainerFailure[];
  readonly error?: string;
  readonly cause?: string;
}

export interface RunClients {
  readonly sfn: SdkClient;
  readonly ecs: SdkClient;
  readonly logs: SdkClient;
}

/** Receives what happens as it happens. */
export interface RunSink {
  test(result: TestResult): void;
  containerFailure(failure: ContainerFailure): void;
  progress(message: string): void;
}

export interface RunRequest {
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
  readonly kitchen: string;
  readonly pipeline: string;
  readonly aws: AwsTarget;
  readonly wait: boolean;
  /** Seconds between two reads of the execution history. @default 3 */
  readonly pollSeconds?: number;
  /** Log lines shown for a failed container. @default 30 */
  readonly logLines?: number;
}

/** Thrown when the Kitchen has no state machine for the pipeline. */
export class PipelineNotDeployedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineNotDeployedError';
  }
}

export async function runClients(aws: AwsTarget): Promise<RunClients> {
  const [{ SFNClient }, { ECSClient }, { CloudWatchLogsClient }] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-ecs'),
    import('@aws-sdk/client-cloudwatch-logs'),
  ]);
  const config = clientConfig(aws);
  return { sfn: new SFNClient(config), ecs: new ECSClient(config), logs: new CloudWatchLogsClient(config) };
}

export function stateMachineArn(
  config: KitchensConfig,
  environment: EnvironmentConfig,
  kitchen: string,
  pipeline: string,
  region: string,
): string {
  const name = kitchenNames(config, environment, kitchen).stateMachineName(pipeline);
  return `arn:${partitionOf(region)}:states:${region}:${environment.account}:stateMachine:${name}`;
}

export function consoleUrl(executionArn: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** A readable, unique execution name: `<kitchen>-<UTC time>-<random>`. */
export function executionName(kitchen: string, now: Date = new Date()): string {
  const time = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${kitchen}-${time}-${Math.random().toString(36).slice(2, 6)}`;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The ECS task as Step Functions reports it (the DescribeTasks shape, PascalCase) in a runTask.sync result or cause. */
interface EcsTask {
  readonly taskArn?: string;
  readonly taskDefinitionArn?: string;
  readonly stoppedReason?: string;
  readonly stopCode?: string;
  readonly containers: readonly { name?: string; exitCode?: number; reason?: string }[];
}

export function parseEcsTask(value: unknown): EcsTask | undefined {
  if (!isRecord(value) || !Array.isArray(value.Containers)) return undefined;
  return {
    taskArn: str(value.TaskArn),
    taskDefinitionArn: str(value.TaskDefinitionArn),
    stoppedReason: str(value.StoppedReason),
    stopCode: str(value.StopCode),
    containers: value.Containers.filter(isRecord).map((c) => ({
      name: str(c.Name),
      exitCode: typeof c.ExitCode === 'number' ? c.ExitCode : undefined,
      reason: str(c.Reason),
    })),
  };
}

/** Reads the last lines of a failed container's log: the log group and stream come from its task definition. */
export async function containerLog(
  clients: Pick<RunClients, 'ecs' | 'logs'>,
  task: EcsTask,
  container: string | undefined,
  lines: number,
): Promise<Pick<ContainerFailure, 'logGroup' | 'logStream' | 'logLines' | 'logNote'>> {
  if (!task.taskDefinitionArn || !task.taskArn || !container) {
    return { logLines: [], logNote: 'the task definition or container is unknown, so its log cannot be located' };
  }
  const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
  const { GetLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  let group: string | undefined;
  let prefix: string | undefined;
  try {
    const out = (await clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn }),
    )) as {
      taskDefinition?: {
        containerDefinitions?: {
          name?: string;
          logConfiguration?: { logDriver?: string; options?: Record<string, string> };
        }[];
      };
    };
    const definition = out.taskDefinition?.containerDefinitions?.find((c) => c.name === container);
    const logging = definition?.logConfiguration;
    if (logging?.logDriver !== 'awslogs') {
      return {
        logLines: [],
        logNote: `container ${container} does not log to CloudWatch Logs (log driver: ${logging?.logDriver ?? 'none'})`,
      };
    }
    group = logging.options?.['awslogs-group'];
    prefix = logging.options?.['awslogs-stream-prefix'];
  } catch (e) {
    return { logLines: [], logNote: `could not read task definition ${task.taskDefinitionArn}: ${sdkErrorMessage(e)}` };
  }
  if (!group || !prefix) {
    return {
      logGroup: group,
      logLines: [],
      logNote: 'the awslogs configuration has no group or stream prefix, so the stream name is unknown',
    };
  }
  const taskId = task.taskArn.split('/').pop()!;
  const stream = `${prefix}/${container}/${taskId}`;
  try {
    const out = (await clients.logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: lines, startFromHead: false }),
    )) as { events?: { message?: string }[] };
    const logLines = (out.events ?? []).map((e) => (e.message ?? '').replace(/\r?\n$/, ''));
    return logLines.length > 0
      ? { logGroup: group, logStream: stream, logLines }
      : { logGroup: group, logStream: stream, logLines, logNote: 'the log stream is empty' };
  } catch (e) {
    return {
      logGroup: group,
      logStream: stream,
      logLines: [],
      logNote: `could not read the log: ${sdkErrorMessage(e)}`,
    };
  }
}

/**
 * Turns execution history events into test results and container failures, in order. Feed it every event once
 * (`process` skips ids it has seen), then read `status`.
 */
export class ExecutionFollower {
  public status: ExecutionStatus = 'RUNNING';
  public error?: string;
  public cause?: string;
  public readonly tests: TestResult[] = [];
  public readonly containerFailures: ContainerFailure[] = [];
  private readonly seenTests = new Set<string>();
  private readonly events = new Map<number, HistoryEvent>();
  private lastId = 0;

  constructor(
    private readonly clients: Pick<RunClients, 'ecs' | 'logs'>,
    private readonly sink: RunSink,
    private readonly logLines = 30,
  ) {}

  get done(): boolean {
    return this.status !== 'RUNNING';
  }

  async process(events: readonly HistoryEvent[]): Promise<void> {
    for (const event of events) {
      const id = event.id ?? 0;
      if (id <= this.lastId) continue;
      this.lastId = id;
      this.events.set(id, event);
      await this.handle(event);
    }
  }

  /** The name of the state an event belongs to: the nearest StateEntered before it. */
  private stateOf(event: HistoryEvent): string {
    let current: HistoryEvent | undefined = event;
    for (let hops = 0; current && hops < 50; hops++) {
      if (current.stateEnteredEventDetails?.name) return current.stateEnteredEventDetails.name;
      current = current.previousEventId !== undefined ? this.events.get(current.previousEventId) : undefined;
    }
    return 'unknown state';
  }

  private async handle(event: HistoryEvent): Promise<void> {
    const type = event.type ?? '';
    if (type.endsWith('StateExited') && event.stateExitedEventDetails) {
      this.collectTests(parseJson(event.stateExitedEventDetails.output));
      return;
    }
    if (type === 'TaskFailed' && event.taskFailedEventDetails?.resourceType === 'ecs') {
      const d = event.taskFailedEventDetails;
      const task = parseEcsTask(parseJson(d.cause));
      await this.containerFailed(this.stateOf(event), task, d.error, task ? undefined : d.cause);
      return;
    }
    if (type === 'TaskSucceeded' && event.taskSucceededEventDetails?.resourceType === 'ecs') {
      // runTask.sync succeeds whenever the task stops; a non-zero exit code is still a failed step.
      const task = parseEcsTask(parseJson(event.taskSucceededEventDetails.output));
      if (task && task.containers.some((c) => c.exitCode !== 0)) {
        await this.containerFailed(this.stateOf(event), task, undefined, undefined);
      }
      return;
    }
    const terminal: Partial<Record<string, ExecutionStatus>> = {
      ExecutionSucceeded: 'SUCCEEDED',
      ExecutionFailed: 'FAILED',
      ExecutionTimedOut: 'TIMED_OUT',
      ExecutionAborted: 'ABORTED',
    };
    const status = terminal[type];
    if (status) {
      this.status = status;
      const details =
        event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
      this.error = details?.error;
      this.cause = details?.cause;
      if (event.executionSucceededEventDetails)
        this.collectTests(parseJson(event.executionSucceededEventDetails.output));
    }
  }

  private collectTests(output: unknown): void {
    if (!isRecord(output) || !isRecord(output.tests)) return;
    for (const [key, value] of Object.entries(output.tests)) {
      if (!isRecord(value) || typeof value.status !== 'string' || this.seenTests.has(key)) continue;
      this.seenTests.add(key);
      const result: TestResult = {
        step: str(value.step) ?? '',
        test: str(value.test) ?? key,
        level: str(value.level) ?? '',
        status: value.status,
        value: str(value.value),
        expectation: str(value.expectation),
        ...(isRecord(value.band) ? { band: { low: str(value.band.low), high: str(value.band.high) } } : {}),
        ...(str(value.message) ? { message: str(value.message) } : {}),
        ...(str(value.error) ? { error: str(value.error) } : {}),
      };
      this.tests.push(result);
      this.sink.test(result);
    }
  }

  private async containerFailed(
    state: string,
    task: EcsTask | undefined,
    error: string | undefined,
    rawCause: string | undefined,
  ): Promise<void> {
    const container = task?.containers.find((c) => c.exitCode !== 0) ?? task?.containers[0];
    const log = task
      ? await containerLog(this.clients, task, container?.name, this.logLines)
      : { logLines: [], logNote: 'the failure carries no ECS task, so there is no container log' };
    const failure: ContainerFailure = {
      state,
      taskArn: task?.taskArn,
      container: container?.name,
      exitCode: container?.exitCode,
      stoppedReason: task?.stoppedReason ?? rawCause,
      stopCode: task?.stopCode,
      containerReason: container?.reason,
      error,
      ...log,
    };
    this.containerFailures.push(failure);
    this.sink.containerFailure(failure);
  }
}

/** All events of an execution after `afterId`, oldest first. */
async function historySince(sfn: SdkClient, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const { GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
  const events: HistoryEvent[] = [];
  let token: string | undefined;
  do {
    const out = (await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken: token, includeExecutionData: true }),
    )) as { events?: HistoryEvent[]; nextToken?: string };
    events.push(...(out.events ?? []).filter((e) => (e.id ?? 0) > afterId));
    token = out.nextToken;
  } while (token);
  return events;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the pipeline's execution in the Kitchen; with `wait`, follows it to the end. */
export async function runKitchenPipeline(request: RunRequest, clients: RunClients, sink: RunSink): Promise<RunResult> {
  const { StartExecutionCommand } = await import('@aws-sdk/client-sfn');
  const region = request.aws.region;
  const arn = stateMachineArn(request.config, request.environment, request.kitchen, request.pipeline, region);
  let executionArn: string;
  try {
    const out = (await clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: executionName(request.kitchen), input: '{}' }),
    )) as { executionArn?: string };
    executionArn = out.executionArn ?? '';
  } catch (e) {
    if (e instanceof Error && e.name === 'StateMachineDoesNotExist') {
      throw new PipelineNotDeployedError(
        `Kitchen ${request.kitchen} has no state machine for pipeline ${request.pipeline} (${arn} does not exist): check the pipeline id and that the Kitchen is deployed (kitchen status ${request.kitchen})`,
      );
    }
    throw e;
  }
  const base = {
    pipeline: request.pipeline,
    kitchen: request.kitchen,
    stateMachineArn: arn,
    executionArn,
    consoleUrl: consoleUrl(executionArn, region),
  };
  sink.progress(`Started ${executionArn}`);
  if (!request.wait) {
    return { ...base, status: 'RUNNING', outcome: 'running', tests: [], containerFailures: [] };
  }
  const follower = new ExecutionFollower(clients, sink, request.logLines ?? 30);
  const pollMs = (request.pollSeconds ?? 3) * 1000;
  let lastId = 0;
  for (;;) {
    const events = await historySince(clients.sfn, executionArn, lastId);
    await follower.process(events);
    lastId = events.reduce((max, e) => Math.max(max, e.id ?? 0), lastId);
    if (follower.done) break;
    await sleep(pollMs);
  }
  return {
    ...base,
    status: follower.status,
    outcome: runOutcome(follower.status === 'SUCCEEDED', follower.tests),
    tests: follower.tests,
    containerFailures: follower.containerFailures,
    error: follower.error,
    cause: follower.cause,
  };
}

/** One line per test: `PASS`, `FAIL` (error level), `WARN` (warning level failed) or `LOG`. */
export function formatTestResult(r: TestResult): string {
  const verdict =
    r.status === 'passed'
      ? 'PASS'
      : r.status !== 'failed'
        ? r.status.toUpperCase()
        : r.level === 'error'
          ? 'FAIL'
          : r.level === 'warning'
            ? 'WARN'
            : 'LOG ';
  const detail = [
    r.value !== undefined ? `value ${r.value}` : undefined,
    r.expectation !== undefined ? `expected ${r.expectation}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return `${verdict}  ${r.step ? `${r.step}: ` : ''}${r.test} [${r.level}]${detail ? ` (${detail})` : ''}`;
}

export function formatContainerFailure(f: ContainerFailure): string {
  const lines = [`Container step "${f.state}" failed${f.container ? ` (container ${f.container})` : ''}`];
  if (f.error) lines.push(`  error:          ${f.error}`);
  lines.push(`  exit code:      ${f.exitCode ?? 'none (the container did not run to completion)'}`);
  if (f.stoppedReason) lines.push(`  stopped reason: ${f.stoppedReason}${f.stopCode ? ` (${f.stopCode})` : ''}`);
  if (f.containerReason) lines.push(`  container:      ${f.containerReason}`);
  if (f.taskArn) lines.push(`  task:           ${f.taskArn}`);
  if (f.logLines.length > 0) {
    lines.push(`  last ${f.logLines.length} log lines (${f.logGroup} ${f.logStream}):`);
    lines.push(...f.logLines.map((l) => `    | ${l}`));
  } else if (f.logNote) {
    lines.push(`  log: ${f.logNote}`);
  }
  return lines.join('\n');
}

/** The closing line of a waited run. */
export function formatRunSummary(r: RunResult): string {
  const counts = ['passed', 'failed', 'errored']
    .map((s) => `${r.tests.filter((t) => t.status === s).length} ${s}`)
    .join(', ');
  const head = `${r.pipeline} in Kitchen ${r.kitchen}: ${r.outcome} (${r.status}; tests: ${counts})`;
  const why = r.status === 'SUCCEEDED' ? '' : `${r.error ? `\n  ${r.error}` : ''}${r.cause ? `: ${r.cause}` : ''}`;
  return `${head}${why}\n  ${r.consoleUrl}`;
}
