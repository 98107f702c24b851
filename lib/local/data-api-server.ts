/**
 * A local Redshift Data API endpoint that executes on PostgreSQL: the JSON protocol the AWS SDK speaks
 * (`X-Amz-Target: RedshiftData.<Action>`), for ExecuteStatement, DescribeStatement and GetStatementResult. A statement
 * reports STARTED to its first `startedPolls` DescribeStatement calls before FINISHED (or FAILED with PostgreSQL's
 * message), and results come back `pageSize` records a page with a NextToken, so a client's polling and paging run
 * for real. Field values follow the Data API: integers as longValue, floats as doubleValue, booleans as
 * booleanValue, everything else (numeric, timestamps, text) as the text PostgreSQL prints, NULL as isNull.
 * Point an SDK client at it with AWS_ENDPOINT_URL_REDSHIFT_DATA. Listens on 127.0.0.1 only.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { Client } from 'pg';

export interface LocalDataApiOptions {
  readonly pgUrl: string;
  /** Records per GetStatementResult page. @default 1000 */
  readonly pageSize?: number;
  /** DescribeStatement calls that see STARTED before the statement reports its end. @default 1 */
  readonly startedPolls?: number;
}

export interface LocalDataApi {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  /** The actions called, in order, with their input. */
  readonly calls: { readonly action: string; readonly input: Record<string, unknown> }[];
  close(): Promise<void>;
}

interface StoredStatement {
  readonly id: string;
  readonly sql: string;
  polls: number;
  readonly columns: { name: string; typeName: string }[];
  readonly rows: unknown[][];
  readonly types: number[];
  readonly error?: string;
}

// PostgreSQL type ids: int2, int4, int8, oid; float4, float8; bool.
const LONG = new Set([20, 21, 23, 26]);
const DOUBLE = new Set([700, 701]);
const BOOL = 16;

function field(value: unknown, type: number): Record<string, unknown> {
  if (value === null || value === undefined) return { isNull: true };
  const text = String(value);
  if (LONG.has(type)) return { longValue: Number(text) };
  if (DOUBLE.has(type)) return { doubleValue: Number(text) };
  if (type === BOOL) return { booleanValue: text === 't' || text === 'true' };
  return { stringValue: text };
}

class DataApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startLocalDataApi(options: LocalDataApiOptions): Promise<LocalDataApi> {
  const pageSize = options.pageSize ?? 1000;
  const startedPolls = options.startedPolls ?? 1;
  // Every value as PostgreSQL's text, typed by the field's type id above (no client-side parsing or time zones).
  const client = new Client({ connectionString: options.pgUrl, types: { getTypeParser: () => (v: string) => v } });
  await client.connect();
  const statements = new Map<string, StoredStatement>();
  const calls: { action: string; input: Record<string, unknown> }[] = [];
  let queue: Promise<unknown> = Promise.resolve();

  const execute = async (sql: string): Promise<StoredStatement> => {
    const id = randomUUID();
    try {
      const result = await client.query({ text: sql, rowMode: 'array' });
      return {
        id,
        sql,
        polls: 0,
        columns: (result.fields ?? []).map((f) => ({ name: f.name, typeName: String(f.dataTypeID) })),
        types: (result.fields ?? []).map((f) => f.dataTypeID),
        rows: (result.rows ?? []) as unknown[][],
      };
    } catch (e) {
      return { id, sql, polls: 0, columns: [], types: [], rows: [], error: `ERROR: ${(e as Error).message}` };
    }
  };

  const statement = (input: Record<string, unknown>): StoredStatement => {
    const found = statements.get(String(input.Id));
    if (!found) throw new DataApiError('ResourceNotFoundException', `Query does not exist: ${String(input.Id)}`);
    return found;
  };

  const actions: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    ExecuteStatement: async (input) => {
      if (typeof input.Sql !== 'string' || typeof input.Database !== 'string') {
        throw new DataApiError('ValidationException', 'Sql and Database are required');
      }
      if ((input.ClusterIdentifier === undefined) === (input.WorkgroupName === undefined)) {
        throw new DataApiError('ValidationException', 'give either ClusterIdentifier or WorkgroupName');
      }
      const sql = input.Sql;
      const run = queue.then(() => execute(sql));
      queue = run.catch(() => undefined);
      const stored = await run;
      statements.set(stored.id, stored);
      return { Id: stored.id, Database: input.Database, CreatedAt: Date.now() / 1000 };
    },
    DescribeStatement: async (input) => {
      const s = statement(input);
      s.polls += 1;
      const status = s.polls <= startedPolls ? 'STARTED' : s.error ? 'FAILED' : 'FINISHED';
      return {
        Id: s.id,
        Status: status,
        QueryString: s.sql,
        HasResultSet: status === 'FINISHED' && s.columns.length > 0,
        ResultRows: status === 'FINISHED' ? s.rows.length : -1,
        ...(status === 'FAILED' ? { Error: s.error } : {}),
      };
    },
    GetStatementResult: async (input) => {
      const s = statement(input);
      if (s.polls <= startedPolls || s.error) {
        throw new DataApiError('ValidationException', `Query ${s.id} has no result to fetch (it is not FINISHED)`);
      }
      const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
      const page = s.rows.slice(offset, offset + pageSize);
      const next = offset + pageSize < s.rows.length ? String(offset + pageSize) : undefined;
      return {
        ColumnMetadata: s.columns.map((c) => ({ name: c.name, label: c.name, typeName: c.typeName })),
        Records: page.map((row) => row.map((v, i) => field(v, s.types[i]))),
        TotalNumRows: s.rows.length,
        ...(next !== undefined ? { NextToken: next } : {}),
      };
    },
  };

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target'] ?? '').replace(/^RedshiftData\./, '');
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      const handler = actions[action];
      if (!handler) {
        reply(400, { __type: 'UnknownOperationException', message: `${action} has no local binding` });
        return;
      }
      let input: Record<string, unknown>;
      try {
        input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        reply(400, { __type: 'SerializationException', message: 'request body is not JSON' });
        return;
      }
      calls.push({ action, input });
      handler(input).then(
        (out) => reply(200, out),
        (e: unknown) =>
          e instanceof DataApiError
            ? reply(400, { __type: e.type, message: e.message })
            : reply(500, { __type: 'InternalServerException', message: (e as Error).message }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.end();
    },
  };
}
