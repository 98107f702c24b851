/**
 * Runs the table clone: parents before children, each table rebuilt in one transaction, skipped when the Kitchen
 * already holds exactly what the plan would build (same fingerprint), so a re-run changes nothing and an
 * interrupted run resumes where it stopped. The source is only ever read.
 */
import type { SqlExecutor } from './executor';
import { SqlExecutionError } from './executor';
import type { TablePlan } from './planner';
import {
  checkSalt,
  copyStatements,
  createSchemaStatements,
  ctasStatements,
  fingerprint,
  literal,
  maskedSelect,
  SampleContext,
  STATE_TABLE,
  TransferLocation,
  unloadStatement,
} from './sql';

export interface TableCloneOptions {
  /** The parent's warehouse: only read (or, across environments, asked to UNLOAD a masked sample). */
  readonly source: SqlExecutor;
  /** The Kitchen's warehouse. @default - the source warehouse (CREATE TABLE ... AS SELECT, nothing leaves it) */
  readonly target?: SqlExecutor;
  readonly sourceSchema: string;
  readonly targetSchema: string;
  /** Salt of the masking hash; the same salt gives the same masked values in every table and every run. */
  readonly salt: string;
  /** Export location for a clone across warehouses (Redshift UNLOAD/COPY). Required when target is given. */
  readonly transfer?: TransferLocation;
  /** Rebuild every table even when it is up to date (picks up new source rows). @default false */
  readonly refresh?: boolean;
  readonly onProgress?: (event: TableProgress) => void;
}

export interface TableProgress {
  readonly table: string;
  readonly phase: 'start' | 'done';
  readonly index: number;
  readonly total: number;
  readonly result?: TableCloneResult;
}

export interface TableCloneResult {
  readonly table: string;
  readonly action: 'created' | 'unchanged';
  readonly rows: number;
  readonly seconds: number;
}

export class TableCloneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableCloneError';
  }
}

function checkOptions(options: TableCloneOptions): void {
  checkSalt(options.salt);
  const sameWarehouse = options.target === undefined || options.target === options.source;
  if (sameWarehouse && options.sourceSchema === options.targetSchema) {
    throw new TableCloneError(
      `the Kitchen schema must differ from the source schema, got: ${JSON.stringify(options.targetSchema)} for both (the cloner never writes to its parent)`,
    );
  }
  if (!sameWarehouse) {
    if (options.transfer === undefined) {
      throw new TableCloneError(
        'a clone across warehouses needs a transfer location (export URI and UNLOAD/COPY roles)',
      );
    }
    if (options.source.dialect !== 'redshift' || options.target!.dialect !== 'redshift') {
      throw new TableCloneError(
        `a clone across warehouses runs UNLOAD/COPY and needs Redshift on both sides, got: ${options.source.dialect} -> ${options.target!.dialect}`,
      );
    }
  }
}

/**
 * Checks every table's query against the source without running it (EXPLAIN): a `where` filter naming an unknown
 * column fails here, before anything is written.
 */
export async function preflightTables(tables: readonly TablePlan[], options: TableCloneOptions): Promise<string[]> {
  checkOptions(options);
  const problems: string[] = [];
  const ctx: SampleContext = { sourceSchema: options.sourceSchema, tables, parentKeys: { from: 'source' } };
  for (const table of tables) {
    try {
      await options.source.query(`EXPLAIN ${maskedSelect(table, ctx, options.salt)}`);
    } catch (e) {
      const message = e instanceof SqlExecutionError ? e.message.replace(/ \(in: [\s\S]*\)$/, '') : String(e);
      problems.push(
        table.sample.where !== undefined
          ? `table ${table.name}: sample.where is not valid for the source table: ${message}, got: ${JSON.stringify(table.sample.where)}`
          : `table ${table.name}: the source rejected the clone query: ${message}`,
      );
    }
  }
  return problems;
}

async function readState(
  target: SqlExecutor,
  schema: string,
): Promise<Map<string, { fingerprint: string; rows: number }>> {
  const existing = await target.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = ${literal(schema)}`,
  );
  const names = new Set(existing.map((r) => r.table_name));
  const state = new Map<string, { fingerprint: string; rows: number }>();
  if (!names.has(STATE_TABLE)) return state;
  const rows = await target.query<{ table_name: string; fingerprint: string; row_count: string | number }>(
    `SELECT table_name, fingerprint, row_count FROM "${schema}"."${STATE_TABLE}"`,
  );
  for (const row of rows) {
    if (names.has(row.table_name)) {
      state.set(row.table_name, { fingerprint: row.fingerprint, rows: Number(row.row_count) });
    }
  }
  return state;
}

/** Clones the planned tables (already ordered parents first by planTables). */
export async function cloneTables(
  tables: readonly TablePlan[],
  options: TableCloneOptions,
): Promise<TableCloneResult[]> {
  checkOptions(options);
  const target = options.target ?? options.source;
  const across = target !== options.source;
  for (const sql of createSchemaStatements(options.targetSchema)) {
    await target.query(sql);
  }
  const state = await readState(target, options.targetSchema);
  const prints = new Map<string, string>();
  const results: TableCloneResult[] = [];
  const ctx: SampleContext = {
    sourceSchema: options.sourceSchema,
    tables,
    parentKeys: across ? { from: 'source' } : { from: 'target', schema: options.targetSchema },
  };
  for (const [index, table] of tables.entries()) {
    options.onProgress?.({ table: table.name, phase: 'start', index, total: tables.length });
    const started = Date.now();
    const parents = table.references.map((r) => prints.get(r.table) ?? '');
    let statements: string[];
    let unload: string | undefined;
    let print: string;
    if (across) {
      unload = unloadStatement(table, options.sourceSchema, tables, options.salt, options.transfer!);
      print = fingerprint([unload, options.targetSchema, ...parents]);
      statements = copyStatements(table, options.targetSchema, options.transfer!, print);
    } else {
      print = fingerprint([maskedSelect(table, ctx, options.salt), options.targetSchema, ...parents]);
      statements = ctasStatements(table, ctx, options.targetSchema, options.salt, print);
    }
    prints.set(table.name, print);
    const before = state.get(table.name);
    let result: TableCloneResult;
    if (before?.fingerprint === print && options.refresh !== true) {
      result = { table: table.name, action: 'unchanged', rows: before.rows, seconds: (Date.now() - started) / 1000 };
    } else {
      if (unload !== undefined) {
        await options.source.query(unload);
      }
      await target.transaction(statements);
      const [{ row_count }] = await target.query<{ row_count: string | number }>(
        `SELECT row_count FROM "${options.targetSchema}"."${STATE_TABLE}" WHERE table_name = ${literal(table.name)}`,
      );
      result = {
        table: table.name,
        action: 'created',
        rows: Number(row_count),
        seconds: (Date.now() - started) / 1000,
      };
    }
    results.push(result);
    options.onProgress?.({ table: table.name, phase: 'done', index, total: tables.length, result });
  }
  return results;
}
