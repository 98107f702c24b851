/**
 * Publishing and seeding. Production publishes: the cloner user runs the guard, then UNLOADs every sampled and
 * masked table of the plan into the development account's export location, in one transaction, and a pointer to
 * the run (`latest.json`) is written last, so a failed run is never seen. Development seeds: `kitchen clone` reads
 * the pointer and COPYs each table into the Kitchen schema, server-side, with development credentials only.
 * The Step Functions job (constructs/clone/clone-job.ts) runs the same statements on Redshift; the functions here run
 * them through a SqlExecutor (PostgreSQL locally and in tests).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SqlExecutor } from './executor';
import type { TablePlan } from './planner';
import {
  COLUMNS_TABLE,
  createStateStatements,
  fingerprint,
  literal,
  publishStatements,
  qualified,
  seedStatements,
  SnapshotColumn,
  SnapshotLocation,
  stageColumnsStatements,
  STATE_TABLE,
  checkRun,
} from './sql';

/** The pointer to the newest complete publication, written after its last table. */
export interface SnapshotPointer {
  readonly run: string;
  readonly publishedAt: string;
  /** Tables in seeding order (parents first). */
  readonly tables: readonly string[];
}

export const POINTER_FILE = 'latest.json';

/** Parses a pointer read from the export location; refuses anything else with the reason. */
export function parsePointer(text: string, where: string): SnapshotPointer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where} must be the JSON pointer the clone job writes, got text that is not JSON`);
  }
  const v = value as Partial<SnapshotPointer>;
  const identifier = /^[a-z_][a-z0-9_]{0,126}$/;
  if (
    typeof v?.run !== 'string' ||
    typeof v.publishedAt !== 'string' ||
    !Array.isArray(v.tables) ||
    !v.tables.every((t) => typeof t === 'string' && identifier.test(t))
  ) {
    throw new Error(`${where} must hold { run, publishedAt, tables: [table names] }, got: ${text.slice(0, 200)}`);
  }
  checkRun(v.run);
  return { run: v.run, publishedAt: v.publishedAt, tables: v.tables };
}

export interface PublishOptions {
  /** The production warehouse, connected as the cloner user. */
  readonly executor: SqlExecutor;
  readonly tables: readonly TablePlan[];
  readonly sourceSchema: string;
  /** A server directory (PostgreSQL). The Redshift publication is the Step Functions job. */
  readonly location: Extract<SnapshotLocation, { kind: 'directory' }>;
  /** @default - a timestamp */
  readonly run?: string;
  /** @default - now */
  readonly now?: Date;
}

/** Publishes one snapshot into a server directory (the local stand-in of the job); returns its pointer. */
export async function publishSnapshot(options: PublishOptions): Promise<SnapshotPointer> {
  const now = options.now ?? new Date();
  const run = checkRun(options.run ?? now.toISOString().replace(/[:.]/g, '-'));
  const statements = publishStatements(
    options.tables,
    options.sourceSchema,
    options.location,
    options.executor.dialect,
    run,
  );
  const dir = path.join(options.location.path, run);
  fs.mkdirSync(dir, { recursive: true });
  // The server process writes the files (it runs as another OS user).
  fs.chmodSync(dir, 0o777);
  try {
    await options.executor.transaction(statements);
  } catch (e) {
    // A failed run leaves nothing behind: the files its statements wrote before the failure go with it (a COPY TO a
    // server file, like an UNLOAD, is not undone by the rollback), and the pointer stays on the previous run.
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const pointer: SnapshotPointer = {
    run,
    publishedAt: now.toISOString(),
    tables: options.tables.map((t) => t.name),
  };
  fs.writeFileSync(path.join(options.location.path, POINTER_FILE), `${JSON.stringify(pointer)}\n`);
  return pointer;
}

/** Reads the pointer of a directory location; a clear error when nothing was published yet. */
export function readDirectoryPointer(location: Extract<SnapshotLocation, { kind: 'directory' }>): SnapshotPointer {
  const file = path.join(location.path, POINTER_FILE);
  if (!fs.existsSync(file)) {
    throw new Error(
      `no snapshot has been published to ${location.path} yet (${POINTER_FILE} is missing); run the clone job first`,
    );
  }
  return parsePointer(fs.readFileSync(file, 'utf8'), file);
}

export interface SeedOptions {
  /** The Kitchen's (development) warehouse. */
  readonly executor: SqlExecutor;
  readonly targetSchema: string;
  readonly location: SnapshotLocation;
  readonly pointer: SnapshotPointer;
  /** Rebuild tables already seeded from this run. @default false */
  readonly refresh?: boolean;
  readonly onProgress?: (event: SeedProgress) => void;
}

export interface SeedProgress {
  readonly table: string;
  readonly phase: 'start' | 'done';
  readonly index: number;
  readonly total: number;
  readonly result?: SeedResult;
}

export interface SeedResult {
  readonly table: string;
  readonly action: 'created' | 'unchanged';
  readonly rows: number;
  readonly seconds: number;
}

async function readState(executor: SqlExecutor, schema: string): Promise<Map<string, { print: string; rows: number }>> {
  const existing = await executor.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = ${literal(schema)}`,
  );
  const names = new Set(existing.map((r) => r.table_name));
  const rows = await executor.query<{ table_name: string; fingerprint: string; row_count: string | number }>(
    `SELECT table_name, fingerprint, row_count FROM ${qualified(schema, STATE_TABLE)}`,
  );
  return new Map(
    rows
      .filter((r) => names.has(r.table_name))
      .map((r) => [r.table_name, { print: r.fingerprint, rows: Number(r.row_count) }]),
  );
}

/**
 * Seeds a Kitchen schema from a published snapshot: parents first, each table rebuilt in one transaction with a
 * server-side COPY, skipped when it already holds this run (so a re-run changes nothing and an interrupted seed
 * resumes). Rows never pass through the client; only the column list (metadata) is read.
 */
export async function seedKitchen(options: SeedOptions): Promise<SeedResult[]> {
  const { executor, targetSchema, location, pointer } = options;
  const schemas = await executor.query(
    `SELECT schema_name FROM information_schema.schemata WHERE schema_name = ${literal(targetSchema)}`,
  );
  if (schemas.length === 0) {
    throw new Error(`the Kitchen schema ${targetSchema} does not exist; create the Kitchen first (kitchen create)`);
  }
  for (const sql of createStateStatements(targetSchema)) {
    await executor.query(sql);
  }
  await executor.transaction(stageColumnsStatements(targetSchema, location, pointer.run));
  const listed = await executor.query<{ table_name: string; column_name: string; masked_type: string }>(
    `SELECT table_name, column_name, masked_type FROM ${qualified(targetSchema, COLUMNS_TABLE)} ORDER BY table_name, ordinal_position`,
  );
  const columns = new Map<string, SnapshotColumn[]>();
  for (const row of listed) {
    columns.set(row.table_name, [
      ...(columns.get(row.table_name) ?? []),
      { name: row.column_name, type: row.masked_type },
    ]);
  }
  const state = await readState(executor, targetSchema);
  const results: SeedResult[] = [];
  for (const [index, table] of pointer.tables.entries()) {
    const tableColumns = columns.get(table);
    if (tableColumns === undefined) {
      throw new Error(`snapshot ${pointer.run} names table ${table} but its column list has no such table`);
    }
    options.onProgress?.({ table, phase: 'start', index, total: pointer.tables.length });
    const started = Date.now();
    const print = fingerprint([pointer.run, table, JSON.stringify(tableColumns)]);
    const before = state.get(table);
    let result: SeedResult;
    if (before?.print === print && options.refresh !== true) {
      result = { table, action: 'unchanged', rows: before.rows, seconds: (Date.now() - started) / 1000 };
    } else {
      await executor.transaction(seedStatements(table, tableColumns, targetSchema, location, pointer.run, print));
      const [{ row_count }] = await executor.query<{ row_count: string | number }>(
        `SELECT row_count FROM ${qualified(targetSchema, STATE_TABLE)} WHERE table_name = ${literal(table)}`,
      );
      result = { table, action: 'created', rows: Number(row_count), seconds: (Date.now() - started) / 1000 };
    }
    results.push(result);
    options.onProgress?.({ table, phase: 'done', index, total: pointer.tables.length, result });
  }
  await executor.query(`DROP TABLE IF EXISTS ${qualified(targetSchema, COLUMNS_TABLE)}`);
  return results;
}
