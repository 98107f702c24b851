/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) and AWS API payloads are untyped JSON */
/**
 * Runs a compiled pipeline definition in-process with aws-local-stepfunctions, binding its Task states to local
 * stand-ins: Redshift Data API calls to a real PostgreSQL, ECS container steps to local processes, SNS publishes
 * to an alert sink, S3 list/copy calls to a directory per bucket. Wait and retry pauses are skipped.
 */
import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { LocalMetricCall, putMetricData } from './metrics';

// aws-local-stepfunctions declares Node 22; on Node 20 it only lacks Promise.withResolvers.
const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
if (!promiseWithResolvers.withResolvers) {
  promiseWithResolvers.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export interface LocalTestResult {
  readonly step: string;
  readonly test: string;
  readonly level: string;
  readonly status: string;
  readonly value: string;
  readonly expectation: string;
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
      readonly exitCode: number | null;
      readonly output: string;
    };

export interface LocalRunOptions {
  /** The ASL definition (see compileWithStandIns / resolveDefinition). */
  readonly definition: Record<string, any>;
  /** PostgreSQL connection URL standing in for the warehouse. */
  readonly pgUrl: string;
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
   * 'RedshiftData.ThrottlingException', times: 2 } }` fails the first two attempts of state "Curate".
   * @default - none
   */
  readonly injectErrors?: Readonly<
    Record<string, { readonly error: string; readonly message?: string; readonly times: number }>
  >;
}

export interface LocalRunResult {
  readonly status: 'succeeded' | 'failed';
  /** The execution output (run, tests, status) of a successful run. */
  readonly output?: any;
  /** Error name and cause of a failed run. */
  readonly error?: string;
  readonly cause?: string;
  readonly tests: readonly LocalTestResult[];
  readonly alerts: readonly LocalAlert[];
  /** PutMetricData calls CloudWatch accepted, in order. */
  readonly metrics: readonly LocalMetricCall[];
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

function toField(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return { IsNull: true };
  if (typeof value === 'boolean') return { BooleanValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { LongValue: value } : { DoubleValue: value };
  if (typeof value === 'bigint') return { LongValue: Number(value) };
  if (value instanceof Date) return { StringValue: value.toISOString() };
  return { StringValue: String(value) };
}

/** Runs the definition locally; resolves with the outcome (a failed run is a result, not an exception). */
export async function runPipelineLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const { StateMachine, ExecutionError } = await import('aws-local-stepfunctions');
  const tests: LocalTestResult[] = [];
  const alerts: LocalAlert[] = [];
  const metrics: LocalMetricCall[] = [];
  const statements = new Map<string, Statement>();
  const emit = (event: LocalEvent) => options.onEvent?.(event);
  const client = new Client({ connectionString: options.pgUrl });
  await client.connect();
  // Statements run one at a time on one connection, like one Data API session.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const runSql = (state: string, sqls: readonly string[]): Promise<string> =>
    serial(async () => {
      const id = randomUUID();
      const statement: Statement = { id, status: 'FINISHED', queryString: sqls.join(';\n'), results: new Map() };
      statements.set(id, statement);
      const batch = sqls.length > 1;
      try {
        if (batch) await client.query('BEGIN');
        for (const [i, sql] of sqls.entries()) {
          const result = await client.query({ text: sql, rowMode: 'array' });
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
        return async (input) => ({ Id: await runSql(state, [input.Sql]) });
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
      const command = options.containerCommands?.[app] ?? override.Command ?? options.appCommands?.[app];
      const taskArn = `arn:aws:ecs:local:000000000000:task/${randomUUID()}`;
      if (!command || command.length === 0) {
        return {
          TaskArn: taskArn,
          LastStatus: 'STOPPED',
          Containers: [{ Name: app }],
          StoppedReason: `CannotStartContainerError: no local command for app "${app}"`,
        };
      }
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        KITCHENS_LOCAL_PG_URL: options.pgUrl,
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
      emit({ type: 'container', state, app, exitCode, output });
      if (spawnError !== undefined) {
        return {
          TaskArn: taskArn,
          LastStatus: 'STOPPED',
          Containers: [{ Name: app }],
          StoppedReason: `CannotStartContainerError: ${spawnError}`,
        };
      }
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
          const [bucket, ...key] = String(input.CopySource).split('/');
          const source = path.join(need(), bucket, ...key);
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

  // The definition is adjusted for local runs (timeouts): work on a copy. A JSON copy, not structuredClone: the
  // engine checks `instanceof Object`, which fails for objects cloned from another realm (jest runs tests in one).
  const definition = JSON.parse(JSON.stringify(options.definition)) as Record<string, any>;
  const handlers: Record<string, Handler> = {};
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  walkStates(definition.States, (name, state) => {
    if (state.Type === 'Wait') waits[name] = 0;
    if (state.Retry) retries[name] = 0;
    if (state.Type !== 'Task') return;
    // Local SQL runs to completion inside the Execute call: give it the time AWS gives the poll loop, not the
    // engine's default of 60 seconds.
    state.TimeoutSeconds = state.TimeoutSeconds ?? LOCAL_TASK_TIMEOUT_SECONDS;
    const resource = String(state.Resource);
    const sdk = /:aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
    let handler: Handler;
    if (sdk?.[1] === 'redshiftdata') handler = redshiftData(name, sdk[2]);
    else if (sdk?.[1] === 's3') handler = s3(sdk[2]);
    else if (sdk?.[1] === 'cloudwatch' && sdk[2] === 'putMetricData')
      handler = putMetricData(name, (call) => (metrics.push(call), emit({ type: 'metrics', call })));
    else if (/:states:::ecs:runTask/.test(resource)) handler = runContainer(name);
    else if (/:states:::sns:publish$/.test(resource)) handler = publish;
    else throw new Error(`Task state "${name}" uses ${resource}, which has no local binding`);
    const selector = state.ResultSelector;
    let injected = 0;
    handlers[name] = async (input) => {
      emit({ type: 'state', state: name });
      const inject = options.injectErrors?.[name];
      if (inject && injected < inject.times) {
        injected++;
        throw new LocalError(
          inject.error,
          inject.message ?? `${inject.error} injected (${injected} of ${inject.times})`,
        );
      }
      const result: any = await handler(input);
      // A test's result: the static fields of its ResultSelector plus the row it read back.
      if (name.startsWith('Result: ') && selector?.test) {
        const [status, value, expectation] = (result.Records?.[0] ?? []).map((f: any) => f.StringValue);
        const test: LocalTestResult = {
          step: selector.step,
          test: selector.test,
          level: selector.level,
          status,
          value,
          expectation,
        };
        tests.push(test);
        emit({ type: 'test', result: test });
      }
      return result;
    };
  });

  const executionName = options.executionName ?? `local-${randomUUID()}`;
  const machine = new StateMachine(definition as any, {
    validationOptions: { checkPaths: false, checkArn: false },
  });
  const execution = machine.run((options.input ?? {}) as any, {
    overrides: {
      taskResourceLocalHandlers: handlers as any,
      waitTimeOverrides: waits,
      retryIntervalOverrides: retries,
    },
    context: {
      Execution: {
        Id: `arn:aws:states:local:000000000000:execution:local:${executionName}`,
        Name: executionName,
        Input: (options.input ?? {}) as any,
        StartTime: new Date().toISOString(),
        RoleArn: 'arn:aws:iam::000000000000:role/local',
      },
    },
  });
  try {
    const output = await execution.result;
    return { status: 'succeeded', output, tests, alerts, metrics };
  } catch (e) {
    if (e instanceof ExecutionError) {
      const cause = (e as Error & { cause?: Error }).cause;
      return {
        status: 'failed',
        error: cause?.name ?? 'Error',
        cause: cause?.message ?? e.message,
        tests,
        alerts,
        metrics,
      };
    }
    throw e;
  } finally {
    await queue.catch(() => undefined);
    await client.end();
  }
}
