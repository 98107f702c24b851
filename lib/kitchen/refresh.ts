/**
 * Copies a parent Kitchen's tables into a child Kitchen's schema, inside the development warehouse: the seed of
 * `kitchen create CHILD --from PARENT` and `kitchen refresh CHILD`.
 *
 * - Server-side: every row moves with `INSERT INTO child SELECT * FROM parent` in the warehouse; none passes through
 *   the client.
 * - Masked only: both schemas are Kitchen schemas of one development environment (names derived by lib/naming from
 *   Kitchen names), and a Kitchen holds only data seeded from the masked snapshot or copied from another Kitchen.
 *   No production schema or account is reachable through these arguments.
 * - Table by table, each atomic: one transaction builds the new copy beside the old one, drops the old one and
 *   renames the new one. A table of the child that another user owns (the child Kitchen's own user, whose pipelines
 *   built it) cannot be dropped by the cloner: its rows are replaced instead, in one transaction (the Kitchen user's
 *   default privileges give the cloner DELETE and INSERT on it, lambda/kitchen-resources). A failure leaves that
 *   table as it was and stops; the tables before it are refreshed. A re-run does the whole refresh again (the copy
 *   is idempotent).
 * - Tables only the child has are kept. The cloner's bookkeeping table is not copied; the child's record of a table
 *   seeded from the snapshot is removed when the table is replaced, so a later `kitchen clone CHILD` seeds it again.
 */
import type { SqlExecutor } from '../clone/executor';
import { ident, literal, qualified, STATE_TABLE } from '../clone/sql';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { kitchenNames } from './stacks';

/** Suffix of the copy built beside a table before it replaces it. */
export const REFRESH_SUFFIX = '__kitchen_refresh';

export interface RefreshOptions {
  /** The parent Kitchen's schema (`k_profit_report`). */
  readonly parentSchema: string;
  /** The child Kitchen's schema. */
  readonly childSchema: string;
  /** Called before each table is copied, and once at the end. */
  readonly progress?: (event: RefreshProgress) => void;
}

export interface RefreshProgress {
  readonly table?: string;
  readonly done: number;
  readonly total: number;
}

export interface RefreshedTable {
  readonly table: string;
  readonly rows: number;
  /** Whether the child had the table before (replaced) or not (created). */
  readonly action: 'replaced' | 'created';
}

export interface RefreshResult {
  readonly parentSchema: string;
  readonly childSchema: string;
  readonly tables: readonly RefreshedTable[];
  /** Tables only the child has, left as they were. */
  readonly kept: readonly string[];
}

/** A refresh that stopped at one table: the tables before it are refreshed, that one and the rest are as they were. */
export class RefreshError extends Error {
  constructor(
    message: string,
    public readonly table: string,
    public readonly refreshed: readonly RefreshedTable[],
  ) {
    super(message);
    this.name = 'RefreshError';
  }
}

/** Base tables of a schema (views and the cloner's bookkeeping left out), sorted. */
async function tablesOf(executor: SqlExecutor, schema: string): Promise<string[]> {
  // pg_tables (PostgreSQL and Redshift) lists every table; information_schema hides those the user cannot read.
  const rows = await executor.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = ${literal(schema)}`,
  );
  return rows
    .map((r) => r.tablename)
    .filter((t) => t !== STATE_TABLE && !t.endsWith(REFRESH_SUFFIX))
    .sort();
}

async function schemaExists(executor: SqlExecutor, schema: string): Promise<boolean> {
  const rows = await executor.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM pg_namespace WHERE nspname = ${literal(schema)}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** The statements that replace (or create) one table of the child with the parent's copy, as one transaction. */
export function refreshTableStatements(
  parentSchema: string,
  childSchema: string,
  table: string,
  options: {
    readonly exists: boolean;
    readonly childHasState: boolean;
    /** Whether the refreshing user owns the child's table (and may drop it). @default true */
    readonly owned?: boolean;
  },
): string[] {
  const target = qualified(childSchema, table);
  const staged = qualified(childSchema, `${table}${REFRESH_SUFFIX}`);
  const source = qualified(parentSchema, table);
  const forget = options.childHasState
    ? [`DELETE FROM ${qualified(childSchema, STATE_TABLE)} WHERE table_name = ${literal(table)}`]
    : [];
  if (options.exists && options.owned === false) {
    // another user's table: the rows are replaced in place (DELETE, not TRUNCATE, which commits on Redshift)
    return [`DELETE FROM ${target}`, `INSERT INTO ${target} SELECT * FROM ${source}`, ...forget];
  }
  return [
    `DROP TABLE IF EXISTS ${staged}`,
    `CREATE TABLE ${staged} (LIKE ${source})`,
    `INSERT INTO ${staged} SELECT * FROM ${source}`,
    ...(options.exists ? [`DROP TABLE ${target}`] : []),
    // Rename takes the bare new name (in the table's own schema) on both PostgreSQL and Redshift.
    `ALTER TABLE ${staged} RENAME TO ${ident(table)}`,
    ...forget,
  ];
}

/**
 * Replaces the child's copies of the parent's tables, table by table; see the module comment. Refuses, before
 * changing anything, when either schema is missing, when they are the same, or when a parent table cannot be read.
 */
export async function refreshFromParent(executor: SqlExecutor, options: RefreshOptions): Promise<RefreshResult> {
  const { parentSchema, childSchema } = options;
  if (parentSchema === childSchema) {
    throw new Error(`a Kitchen cannot be refreshed from itself (schema ${parentSchema})`);
  }
  for (const [role, schema] of [
    ['parent', parentSchema],
    ['child', childSchema],
  ] as const) {
    if (!(await schemaExists(executor, schema))) {
      throw new Error(
        `the ${role} Kitchen's schema ${schema} does not exist in the warehouse: create the Kitchen first`,
      );
    }
  }
  const parentTables = await tablesOf(executor, parentSchema);
  const childTables = new Set(await tablesOf(executor, childSchema));
  const unreadable: string[] = [];
  for (const table of parentTables) {
    const rows = await executor.query<{ ok: boolean | string }>(
      `SELECT has_table_privilege(${literal(qualified(parentSchema, table))}, 'SELECT') AS ok`,
    );
    const ok = rows[0]?.ok;
    if (!(ok === true || ok === 't' || ok === 'true')) unreadable.push(table);
  }
  if (unreadable.length > 0) {
    throw new Error(
      `the warehouse user of the refresh cannot read ${unreadable.map((t) => `${parentSchema}.${t}`).join(', ')}: ` +
        "grant it SELECT on them (tables a Kitchen's own user created are not readable by other users), then run again",
    );
  }
  const stateRows = await executor.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM pg_tables WHERE schemaname = ${literal(childSchema)} AND tablename = ${literal(STATE_TABLE)}`,
  );
  const childHasState = Number(stateRows[0]?.n ?? 0) > 0;
  const owners = new Map(
    (
      await executor.query<{ tablename: string; tableowner: string }>(
        `SELECT tablename, tableowner FROM pg_tables WHERE schemaname = ${literal(childSchema)}`,
      )
    ).map((r) => [r.tablename, r.tableowner]),
  );
  const me = String((await executor.query<{ u: string }>('SELECT current_user AS u'))[0]?.u ?? '');
  const refreshed: RefreshedTable[] = [];
  for (const [index, table] of parentTables.entries()) {
    options.progress?.({ table, done: index, total: parentTables.length });
    const exists = childTables.has(table);
    try {
      await executor.transaction(
        refreshTableStatements(parentSchema, childSchema, table, {
          exists,
          childHasState,
          owned: !exists || owners.get(table) === me,
        }),
      );
    } catch (e) {
      throw new RefreshError(
        `refreshing ${childSchema}.${table} from ${parentSchema}.${table} failed, so it is as it was ` +
          `(${refreshed.length} of ${parentTables.length} tables refreshed before it; run again after fixing): ` +
          (e instanceof Error ? e.message : String(e)),
        table,
        refreshed,
      );
    }
    const counted = await executor.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM ${qualified(childSchema, table)}`,
    );
    refreshed.push({ table, rows: Number(counted[0]?.n ?? 0), action: exists ? 'replaced' : 'created' });
  }
  options.progress?.({ done: parentTables.length, total: parentTables.length });
  const copied = new Set(parentTables);
  return {
    parentSchema,
    childSchema,
    tables: refreshed,
    kept: [...childTables].filter((t) => !copied.has(t)).sort(),
  };
}

/** The schemas a child Kitchen is seeded or refreshed between: its parent Kitchen's and its own. */
export function kitchenSchemas(
  config: KitchensConfig,
  environment: EnvironmentConfig,
  child: string,
  parent: string,
): { readonly parentSchema: string; readonly childSchema: string } {
  return {
    parentSchema: kitchenNames(config, environment, parent).schema(environment.warehouse.schema),
    childSchema: kitchenNames(config, environment, child).schema(environment.warehouse.schema),
  };
}
