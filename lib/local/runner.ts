/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
/**
 * Runs a compiled pipeline definition in-process with aws-local-stepfunctions, binding its Task states to local
 * stand-ins: Redshift Data API calls to a real PostgreSQL, ECS container steps to local processes, SNS publishes
 * to an alert sink, S3 list/copy calls to a directory per bucket (CopySource URL-decoded, as S3 does), and `startExecution.sync:2` to a nested local
 * execution of the child definition (the pipeline's `Run SQL` and `Evaluate test` machines). Wait and retry pauses
 * are skipped.
 */
import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { runOutcome } from '../pipeline/outcome';
import { evaluateTemplate, takeJsonataTask } from './jsonata';
import { LocalMetricCall, putMetricData } from './metrics';
import { installPromiseWithResolvers } from './node20';

export { describeContainerEvent } from './messages';

// aws-local-stepfunctions declares Node 22; on Node 20 it only lacks Promise.withResolvers (node20.ts).
installPromiseWithResolvers();

/** A test's result record, as the `Evaluate test` machine returns it (see docs/pipelines.md). */
export interface LocalTestResult {
  readonly step: string;
  readonly test: string;
  readonly level: string;
  /** `passed`, `failed` or `errored` (the query itself failed). */
  readonly status: string;
  /** The value as text, `null` when there is none. */
  readonly value: string;
  readonly expectation: string;
  /** The in_control band used (`''` while learning and for other rules). */
  readonly band?: { readonly low: string; readonly high: string };
  /** Why a value failed regardless of the rule (no rows, several rows, NULL); `''` otherwise. */
  readonly message?: string;
  /** The database's error of an errored test; `''` otherwise. */
  readonly error?: string;
}

export interface LocalAlert {
  /** The SNS Message as published (an AWS Chatbot custom notification). */
  readonly message: any;
  readonly title: string;
  readonly context: Readonly<Record<string, string>>;
}

export type LocalEvent =
  | { readonly type: 'state'; readonly state: string }
  | { readonly type: 'test'; readonly result: LocalTestResult }
  | { readonly type: 'alert'; readonly alert: LocalAlert }
  | { readonly type: 'metrics'; readonly call: LocalMetricCall }
  | { readonly type: 'sql'; readonly state: string; readonly sql: string; readonly error?: string }
  | {
      readonly type: 'container';
      readonly state: string;
      readonly app: string;
      /** False when the container never started (no command, or the process could not be spawned). */
      readonly started: boolean;
      readonly exitCode: number | null;
      readonly output: string;
      /** Why a container that never started did not (ECS's stopped reason, as the stand-in gives it). */
      readonly reason?: string;
    }
  | {
      readonly type: 'execution';
      /** The child state machine's name (the last part of its ARN). */
      readonly stateMachine: string;
      /** The execution's name, as the starting Task state gave it. */
      readonly name: string;
    };

/** Time for Wait states of a simulated run (see `LocalRunOptions.clock`). */
export interface LocalClock {
  /** Seconds since the clock started. */
  now(): number;
  /** Resolves when the clock has advanced by `seconds`. */
  sleep(seconds: number): Promise<void>;
}

export interface LocalRunOptions {
  /** The ASL definition (see compileWithStandIns / resolveDefinition). */
  readonly definition: Record<string, any>;
  /**
   * Definitions of the state machines the definition starts (`startExecution.sync:2`), by the StateMachineArn value
   * its Task states pass. @default - none
   */
  readonly stateMachines?: Readonly<Record<string, Record<string, any>>>;
  /**
   * PostgreSQL connection URL standing in for the warehouse. Required unless `bindings.redshiftData` binds the Data
   * API otherwise.
   */
  readonly pgUrl?: string;
  /**
   * Local handlers that replace the built-in stand-ins, for simulations (bench/pipeline-latency.ts): the Data API
   * calls by action, and container runs. @default - PostgreSQL for the Data API, local processes for containers
   */
  readonly bindings?: {
    readonly redshiftData?: (state: string, action: string) => (input: any) => Promise<unknown>;
    readonly container?: (state: string) => (input: any) => Promise<unknown>;
  };
  /**
   * A clock that Wait states advance: each Wait state runs as a local step that sleeps its seconds (`Seconds` or
   * `SecondsPath`, as compiled) on this clock. @default - Wait states take no time (or real time with `realWaits`)
   */
  readonly clock?: LocalClock;
  /**
   * Honour every Wait state as compiled, in real time (`kitchen run --local --real-waits`), so a run takes as long
   * as its waits would on AWS. @default false - Wait states take no time
   */
  readonly realWaits?: boolean;
  /**
   * The local command of each container app (`{ ingest: ['node', 'ingest.js'] }`), in place of the image. Steps
   * of an app without an entry run the step's command override, else the app's command (`appCommands`).
   * @default - every step runs its override command
   */
  readonly containerCommands?: Readonly<Record<string, readonly string[]>>;
  /**
   * Commands used when a step has neither a local command nor a command override: the apps' configured commands.
   * @default - none
   */
  readonly appCommands?: Readonly<Record<string, readonly string[]>>;
  /** Working directory of container processes. @default process.cwd() */
  readonly workingDirectory?: string;
  /** Directory standing in for S3: one subdirectory per bucket name. @default - S3 calls fail */
  readonly dataLakeDirectory?: string;
  /** Called for each state entered, test result, alert, SQL statement and container run. */
  readonly onEvent?: (event: LocalEvent) => void;
  /** @default `local-<uuid>` */
  readonly executionName?: string;
  readonly input?: unknown;
  /**
   * Errors Task states raise before doing their work, to rehearse failures: `{ Curate: { error:
   * 'RedshiftData.ThrottlingException', times: 2 } }` fails the first two attempts of state "Curate". With `after:
   * true` the error is raised after the work is done (a call that succeeded but whose answer was lost).
   * @default - none
   */
  readonly injectErrors?: Readonly<
    Record<
      string,
      { readonly error: string; readonly message?: string; readonly times: number; readonly after?: boolean }
    >
  >;
}

export interface LocalRunResult {
  readonly status: 'succeeded' | 'failed';
  /** `succeeded with warnings` when a warning test did not pass or a test errored (see runOutcome). */
  readonly outcome: 'succeeded' | 'succeeded with warnings' | 'failed';
  /** The execution output (run, tests, status) of a successful run. */
  readonly output?: any;
  /** Error name and cause of a failed run. */
  readonly error?: string;
  readonly cause?: string;
  readonly tests: readonly LocalTestResult[];
  readonly alerts: readonly LocalAlert[];
  /** PutMetricData calls CloudWatch accepted, in order. */
  readonly metrics: readonly LocalMetricCall[];
  /** States entered (billed state transitions), over the run and every child execution it started. */
  readonly transitions: number;
}

interface StatementResult {
  readonly fields: string[];
  readonly rows: unknown[][];
}

interface Statement {
  readonly id: string;
  status: 'FINISHED' | 'FAILED';
  error?: string;
  queryString: string;
  results: Map<string, StatementResult>;
}

type Handler = (input: any) => Promise<unknown>;

/** Timeout of a local Task state that declares none (aws-local-stepfunctions would use 60 seconds). */
export const LOCAL_TASK_TIMEOUT_SECONDS = 3600;

class LocalError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function walkStates(states: Record<string, any>, visit: (name: string, state: any) => void): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    for (const branch of state.Branches ?? []) walkStates(branch.States, visit);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) walkStates(processor.States, visit);
  }
}

/** The value at a simple JSONPath (`$.a.b`) of a state's input. */
function readPath(input: unknown, jsonPath: string): unknown {
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(jsonPath)) throw new Error(`readPath: unsupported path ${jsonPath}`);
  return jsonPath
    .split('.')
    .slice(1)
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], input);
}

function toField(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return { IsNull: true };
  if (typeof value === 'boolean') return { BooleanValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { LongValue: value } : { DoubleValue: value };
  if (typeof value === 'bigint') return { LongValue: Number(value) };
  if (value instanceof Date) return { StringValue: value.toISOString() };
  return { StringValue: String(value) };
}

/**
 * The command a container step runs locally. With a local command for its app, the local command stands in for the
 * app's configured command and the step's own arguments follow it: the step's command override without the app's
 * command in front (the whole override when it does not start with it). Without one: the override, else the app's
 * command.
 */
export function localCommand(
  local: readonly string[] | undefined,
  override: readonly string[] | undefined,
  app: readonly string[] | undefined,
): readonly string[] | undefined {
  if (!local) return override ?? app;
  if (!override) return local;
  const prefixed = app !== undefined && app.length <= override.length && app.every((part, i) => override[i] === part);
  return [...local, ...(prefixed ? override.slice(app.length) : override)];
}

/**
 * A Data API statement with `:name` parameters as PostgreSQL text with `$n` placeholders and their values. Only
 * names outside quoted text count, and `::` (a PostgreSQL cast) is not a parameter. A name without a value fails
 * the way the Data API does.
 */
export function bindParameters(
  sql: string,
  parameters: readonly { readonly Name: string; readonly Value: string }[],
): { text: string; values: string[] } {
  const given = new Map(parameters.map((p) => [p.Name, String(p.Value)]));
  const order: string[] = [];
  const text = sql.replace(/'(?:[^']|'')*'|::|:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string | undefined) => {
    if (name === undefined) return whole;
    if (!given.has(name)) {
      throw new LocalError(
        'RedshiftData.ValidationException',
        `The statement uses parameter :${name}, which has no value`,
      );
    }
    if (!order.includes(name)) order.push(name);
    return `$${order.indexOf(name) + 1}`;
  });
  return { text, values: order.map((name) => given.get(name)!) };
}

/** Runs the definition locally; resolves with the outcome (a failed run is a result, not an exception). */
export async function runPipelineLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const { StateMachine, ExecutionError } = await import('aws-local-stepfunctions');
  const tests: LocalTestResult[] = [];
  const alerts: LocalAlert[] = [];
  const metrics: LocalMetricCall[] = [];
  const statements = new Map<string, Statement>();
  const emit = (event: LocalEvent) => options.onEvent?.(event);
  if (options.pgUrl === undefined && options.bindings?.redshiftData === undefined) {
    throw new Error('runPipelineLocally: give pgUrl, or bindings.redshiftData');
  }
  const client = options.pgUrl === undefined ? undefined : new Client({ connectionString: options.pgUrl });
  await client?.connect();
  let transitions = 0;
  // Statements run one at a time on one connection, like one Data API session.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const runSql = (state: string, sqls: readonly string[], values: readonly string[] = []): Promise<string> =>
    serial(async () => {
      if (!client) throw new LocalError('Kitchens.LocalUnsupported', 'no PostgreSQL stands in for the warehouse');
      const id = randomUUID();
      const statement: Statement = { id, status: 'FINISHED', queryString: sqls.join(';\n'), results: new Map() };
      statements.set(id, statement);
      const batch = sqls.length > 1;
      try {
        if (batch) await client.query('BEGIN');
        for (const [i, sql] of sqls.entries()) {
          const result = await client.query({ text: sql, rowMode: 'array', values: [...values] });
          emit({ type: 'sql', state, sql });
          const stored = { fields: result.fields?.map((f) => f.name) ?? [], rows: result.rows ?? [] };
          statement.results.set(batch ? `${id}:${i + 1}` : id, stored);
        }
        if (batch) await client.query('COMMIT');
      } catch (e) {
        if (batch) await client.query('ROLLBACK').catch(() => undefined);
        statement.status = 'FAILED';
        statement.error = `ERROR: ${(e as Error).message}`;
        emit({ type: 'sql', state, sql: statement.queryString, error: statement.error });
      }
      return id;
    });

  const redshiftData = (state: string, action: string): Handler => {
    switch (action) {
      case 'executeStatement':
        return async (input) => {
          if (input.Parameters === undefined) return { Id: await runSql(state, [input.Sql]) };
          const { text, values } = bindParameters(String(input.Sql), input.Parameters);
          return { Id: await runSql(state, [text], values) };
        };
      case 'batchExecuteStatement':
        return async (input) => ({ Id: await runSql(state, input.Sqls) });
      case 'describeStatement':
        return async (input) => {
          const statement = statements.get(input.Id);
          if (!statement)
            throw new LocalError('RedshiftData.ResourceNotFoundException', `Statement ${input.Id} not found`);
          return {
            Id: statement.id,
            Status: statement.status,
            QueryString: statement.queryString,
            HasResultSet: statement.results.size > 0,
            ...(statement.error ? { Error: statement.error } : {}),
          };
        };
      case 'getStatementResult':
        return async (input) => {
          const [base] = String(input.Id).split(':');
          const result = statements.get(base)?.results.get(input.Id);
          if (!result)
            throw new LocalError('RedshiftData.ResourceNotFoundException', `No result for statement ${input.Id}`);
          return {
            Records: result.rows.map((row) => row.map(toField)),
            ColumnMetadata: result.fields.map((name) => ({ name })),
            TotalNumRows: result.rows.length,
          };
        };
    }
    throw new LocalError('Kitchens.LocalUnsupported', `redshiftdata:${action} has no local binding`);
  };

  const runContainer =
    (state: string): Handler =>
    async (input) => {
      const override = input.Overrides?.ContainerOverrides?.[0] ?? {};
      const app: string = override.Name ?? 'app';
      const command = localCommand(
        options.containerCommands?.[app],
        override.Command as string[] | undefined,
        options.appCommands?.[app],
      );
      const taskArn = `arn:aws:ecs:local:000000000000:task/${randomUUID()}`;
      if (!command || command.length === 0) {
        const reason = `CannotStartContainerError: no local command for app "${app}"`;
        emit({ type: 'container', state, app, started: false, exitCode: null, output: '', reason });
        return { TaskArn: taskArn, LastStatus: 'STOPPED', Containers: [{ Name: app }], StoppedReason: reason };
      }
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        ...(options.pgUrl === undefined ? {} : { KITCHENS_LOCAL_PG_URL: options.pgUrl }),
      };
      if (options.dataLakeDirectory) env.KITCHENS_LOCAL_DATA_LAKE = path.resolve(options.dataLakeDirectory);
      for (const { Name, Value } of override.Environment ?? []) env[Name] = Value;
      const { exitCode, output, spawnError } = await new Promise<{
        exitCode: number | null;
        output: string;
        spawnError?: string;
      }>((resolve) => {
        const child = spawn(command[0], command.slice(1), {
          cwd: options.workingDirectory ?? process.cwd(),
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('error', (e) => resolve({ exitCode: null, output, spawnError: e.message }));
        child.on('close', (code) => resolve({ exitCode: code, output }));
      });
      if (spawnError !== undefined) {
        const reason = `CannotStartContainerError: ${spawnError}`;
        emit({ type: 'container', state, app, started: false, exitCode: null, output, reason });
        return { TaskArn: taskArn, LastStatus: 'STOPPED', Containers: [{ Name: app }], StoppedReason: reason };
      }
      emit({ type: 'container', state, app, started: true, exitCode, output });
      return {
        TaskArn: taskArn,
        LastStatus: 'STOPPED',
        StopCode: 'EssentialContainerExited',
        StoppedReason: 'Essential container in task exited',
        Containers: [{ Name: app, ExitCode: exitCode ?? 137, LastStatus: 'STOPPED' }],
      };
    };

  const s3 = (action: string): Handler => {
    const root = options.dataLakeDirectory;
    const need = () => {
      if (!root)
        throw new LocalError('S3.NoSuchBucketException', 'No local data lake directory given (dataLakeDirectory)');
      return root;
    };
    switch (action) {
      case 'listObjectsV2':
        return async (input) => {
          const dir = path.join(need(), input.Bucket);
          const keys: string[] = [];
          const walk = (d: string) => {
            if (!fs.existsSync(d)) return;
            for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
              const full = path.join(d, entry.name);
              if (entry.isDirectory()) walk(full);
              else keys.push(path.relative(dir, full).split(path.sep).join('/'));
            }
          };
          walk(dir);
          const matching = keys.filter((k) => k.startsWith(input.Prefix ?? '')).sort();
          const max = input.MaxKeys ?? 1000;
          const page = matching.slice(0, max);
          return {
            KeyCount: page.length,
            IsTruncated: matching.length > max,
            ...(page.length > 0
              ? { Contents: page.map((Key) => ({ Key, Size: fs.statSync(path.join(dir, Key)).size })) }
              : {}),
          };
        };
      case 'copyObject':
        return async (input) => {
          // S3 reads CopySource as a URL path: `?` starts its query (a versionId), `#` ends it, and `%XX` is decoded,
          // so a key with an unencoded `?`, `#` or `%` names another key (or none).
          const [bucket, ...key] = String(input.CopySource).split(/[?#]/)[0].split('/');
          let decoded: string[];
          try {
            decoded = key.map(decodeURIComponent);
          } catch {
            throw new LocalError('S3.InvalidArgument', `CopySource is not URL-encoded: ${input.CopySource}`);
          }
          const source = path.join(need(), bucket, ...decoded);
          if (!fs.existsSync(source)) throw new LocalError('S3.NoSuchKeyException', `No such key: ${input.CopySource}`);
          const target = path.join(need(), input.Bucket, input.Key);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.copyFileSync(source, target);
          return { CopyObjectResult: {} };
        };
    }
    throw new LocalError('Kitchens.LocalUnsupported', `s3:${action} has no local binding`);
  };

  const publish: Handler = async (input) => {
    const message = typeof input.Message === 'string' ? JSON.parse(input.Message) : input.Message;
    const alert: LocalAlert = {
      message,
      title: message?.content?.title ?? '',
      context: message?.metadata?.additionalContext ?? {},
    };
    alerts.push(alert);
    emit({ type: 'alert', alert });
    return { MessageId: randomUUID() };
  };

  // Nested executions of child machines: `startExecution.sync:2` returns DescribeExecution with the Output parsed;
  // a failed child fails the Task with States.TaskFailed and the DescribeExecution JSON as the cause.
  const startExecution: Handler = async (input) => {
    const arn = String(input.StateMachineArn);
    const child = options.stateMachines?.[arn] ?? options.stateMachines?.[arn.split(':').pop()!];
    if (!child) {
      throw new LocalError('StepFunctions.StateMachineDoesNotExistException', `State machine ${arn} does not exist`);
    }
    const name = input.Name === undefined ? randomUUID() : String(input.Name);
    const machineName = arn.split(':').pop()!;
    const executionArn = `arn:aws:states:local:000000000000:execution:${machineName}:${name}`;
    const described = { ExecutionArn: executionArn, StateMachineArn: arn, Name: name, Input: input.Input };
    // As Step Functions does for a standard workflow: the same name and input while that execution runs is that
    // execution; once it has ended (or with another input), the name is refused.
    const key = `${machineName}:${name}`;
    const earlier = started.get(key);
    if (earlier) {
      if (earlier.running && JSON.stringify(earlier.input) === JSON.stringify(input.Input)) return earlier.result;
      throw new LocalError(
        'StepFunctions.ExecutionAlreadyExistsException',
        `Execution already exists: '${executionArn}'`,
      );
    }
    const entry: { running: boolean; input: unknown; result: Promise<unknown> } = {
      running: true,
      input: input.Input,
      result: undefined as unknown as Promise<unknown>,
    };
    started.set(key, entry);
    emit({ type: 'execution', stateMachine: machineName, name });
    entry.result = runChild(child, input, described).finally(() => (entry.running = false));
    return entry.result;
  };
  const started = new Map<string, { running: boolean; input: unknown; result: Promise<unknown> }>();
  const runChild = async (child: Record<string, any>, input: any, described: Record<string, unknown>) => {
    const { Name: name } = described as { Name: string };
    try {
      const output: any = await execute(child, input.Input ?? {}, name);
      if (output && typeof output.test === 'string' && typeof output.status === 'string') {
        const test: LocalTestResult = {
          step: output.step,
          test: output.test,
          level: output.level,
          status: output.status,
          value: output.value,
          expectation: output.expectation,
          band: output.band,
          message: output.message,
          error: output.error,
        };
        tests.push(test);
        emit({ type: 'test', result: test });
      }
      return { ...described, Status: 'SUCCEEDED', Output: output };
    } catch (e) {
      if (e instanceof ExecutionError) {
        const cause = (e as Error & { cause?: Error }).cause;
        throw new LocalError(
          'States.TaskFailed',
          JSON.stringify({
            ...described,
            Status: 'FAILED',
            Error: cause?.name ?? 'Error',
            Cause: cause?.message ?? '',
          }),
        );
      }
      throw e;
    }
  };

  /** Binds the Task states of a definition (a copy, adjusted for local runs) and runs it to its end. */
  const execute = async (source: Record<string, any>, input: unknown, executionName: string): Promise<unknown> => {
    // A JSON copy, not structuredClone: the engine checks `instanceof Object`, which fails for objects cloned from
    // another realm (jest runs tests in one).
    const definition = JSON.parse(JSON.stringify(source)) as Record<string, any>;
    const handlers: Record<string, Handler> = {};
    const waits: Record<string, number> = {};
    const retries: Record<string, number> = {};
    walkStates(definition.States, (name, state) => {
      if (state.Type === 'Wait' && options.clock) {
        // A local step that sleeps the Wait state's seconds on the clock (Seconds or SecondsPath, as compiled).
        const { Seconds: seconds, SecondsPath: secondsPath } = state;
        if (seconds === undefined && secondsPath === undefined) {
          throw new Error(`Wait state "${name}" has neither Seconds nor SecondsPath, which the local clock needs`);
        }
        delete state.Seconds;
        delete state.SecondsPath;
        state.Type = 'Task';
        state.Resource = 'arn:aws:states:::kitchens:wait';
        const clock = options.clock;
        handlers[name] = async (input) => {
          await clock.sleep(seconds ?? Number(readPath(input, secondsPath)));
          return input;
        };
        return;
      }
      if (state.Type === 'Wait' && !options.realWaits) waits[name] = 0;
      if (state.Retry) retries[name] = 0;
      if (state.Type !== 'Task') return;
      // Local SQL runs to completion inside the Execute call: give it the time AWS gives the poll loop, not the
      // engine's default of 60 seconds.
      state.TimeoutSeconds = state.TimeoutSeconds ?? LOCAL_TASK_TIMEOUT_SECONDS;
      const jsonataTask = takeJsonataTask(name, state);
      const resource = String(state.Resource);
      const sdk = /:aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
      let handler: Handler;
      if (sdk?.[1] === 'redshiftdata')
        handler = options.bindings?.redshiftData?.(name, sdk[2]) ?? redshiftData(name, sdk[2]);
      else if (sdk?.[1] === 's3') handler = s3(sdk[2]);
      else if (sdk?.[1] === 'cloudwatch' && sdk[2] === 'putMetricData')
        handler = putMetricData(name, (call) => (metrics.push(call), emit({ type: 'metrics', call })));
      else if (/:states:::ecs:runTask/.test(resource))
        handler = options.bindings?.container?.(name) ?? runContainer(name);
      else if (/:states:::sns:publish$/.test(resource)) handler = publish;
      else if (/:states:::states:startExecution\.sync:2$/.test(resource)) handler = startExecution;
      else throw new Error(`Task state "${name}" uses ${resource}, which has no local binding`);
      handlers[name] = async (input) => {
        emit({ type: 'state', state: name });
        const inject = options.injectErrors?.[name];
        const raise = () => {
          if (inject && (injected.get(name) ?? 0) < inject.times) {
            const count = (injected.get(name) ?? 0) + 1;
            injected.set(name, count);
            throw new LocalError(
              inject.error,
              inject.message ?? `${inject.error} injected (${count} of ${inject.times})`,
            );
          }
        };
        if (!inject?.after) raise();
        if (!jsonataTask) {
          const result = await handler(input);
          if (inject?.after) raise();
          return result;
        }
        let args: unknown;
        try {
          args = await evaluateTemplate(jsonataTask.arguments ?? '{% $states.input %}', { input });
        } catch (e) {
          throw new LocalError('States.QueryEvaluationError', `${name}: ${(e as Error).message}`);
        }
        const result = await handler(args as any);
        return jsonataTask.output === undefined ? result : evaluateTemplate(jsonataTask.output, { input, result });
      };
    });
    const machine = new StateMachine(definition as any, {
      validationOptions: { checkPaths: false, checkArn: false },
    });
    const execution = machine.run(input as any, {
      overrides: {
        taskResourceLocalHandlers: handlers as any,
        waitTimeOverrides: waits,
        retryIntervalOverrides: retries,
      },
      context: {
        Execution: {
          Id: `arn:aws:states:local:000000000000:execution:local:${executionName}`,
          Name: executionName,
          Input: input as any,
          StartTime: new Date().toISOString(),
          RoleArn: 'arn:aws:iam::000000000000:role/local',
        },
        // The engine keeps no per-state context: EnteredTime is the time a state's parameters read it, which is
        // when the state is entered (the engine evaluates them first).
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
      } as any,
    });
    const counting = (async () => {
      for await (const event of execution.eventLogs) if (event.type === 'StateEntered') transitions++;
    })();
    try {
      return await execution.result;
    } finally {
      await counting.catch(() => undefined);
    }
  };
  // Injected errors count per state name, across child executions.
  const injected = new Map<string, number>();

  const executionName = options.executionName ?? `local-${randomUUID()}`;
  try {
    const output = await execute(options.definition, options.input ?? {}, executionName);
    return {
      status: 'succeeded',
      outcome: runOutcome(true, tests) as LocalRunResult['outcome'],
      output,
      tests,
      alerts,
      metrics,
      transitions,
    };
  } catch (e) {
    if (e instanceof ExecutionError) {
      const cause = (e as Error & { cause?: Error }).cause;
      return {
        status: 'failed',
        outcome: 'failed',
        error: cause?.name ?? 'Error',
        cause: cause?.message ?? e.message,
        tests,
        alerts,
        metrics,
        transitions,
      };
    }
    throw e;
  } finally {
    await queue.catch(() => undefined);
    await client?.end();
  }
}
