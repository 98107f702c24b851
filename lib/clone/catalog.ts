/**
 * What the cloner needs to know about the source schema: tables, their columns and types, declared foreign keys and
 * row-count estimates. Read through information_schema (PostgreSQL and Redshift both have it) plus one
 * dialect-specific statistics query.
 */
import type { Dialect, SqlExecutor } from './executor';
import { literal } from './sql';
import { columnType, isTextType, type TypeRow } from './types';

export interface CatalogColumn {
  readonly name: string;
  /** The exact SQL type, such as `varchar(120)`, `numeric`, `text`, `bit(8)` or `integer[]` (types.ts). */
  readonly type: string;
  readonly isText: boolean;
}

/** A foreign key: `columns` of the child refer to `keys` of `table`, paired by position (one or more columns). */
export interface CatalogForeignKey {
  readonly columns: readonly string[];
  readonly table: string;
  readonly keys: readonly string[];
}

export interface CatalogTable {
  readonly name: string;
  readonly columns: readonly CatalogColumn[];
  readonly foreignKeys: readonly CatalogForeignKey[];
  /** Estimated rows from the engine's statistics. */
  readonly estimatedRows: number;
}

export interface Catalog {
  readonly schema: string;
  /** The engine it was read from: types are checked for it. @default 'redshift' (the stricter) */
  readonly dialect?: Dialect;
  readonly tables: ReadonlyMap<string, CatalogTable>;
}

interface ColumnRow extends TypeRow {
  table_name: string;
  column_name: string;
}

/** Renders an information_schema type exactly (see types.ts). */
export const sqlType = columnType;

interface ForeignKeyRow {
  constraint_name: string;
  table_name: string;
  column_name: string;
  ref_table: string;
  ref_column: string;
}

/** PostgreSQL allows at most 32 columns in a key. */
const MAX_KEY_COLUMNS = 32;

/**
 * Every foreign key between tables of a schema, one row per column pair: the i-th column of the constraint with
 * the i-th column of the key it refers to (the pairing information_schema gives as `position_in_unique_constraint`).
 * Read from pg_catalog, which every user may read in both engines: PostgreSQL's information_schema shows
 * constraints (table_constraints, referential_constraints, constraint_column_usage) only to a table's owner or to a
 * role with a privilege other than SELECT, and the cloner only reads. Positions come from a list of numbers joined
 * to the key arrays (no unnest or generate_series, which Redshift's leader node does not run on catalog tables).
 */
export function foreignKeysQuery(schema: string): string {
  const positions = Array.from({ length: MAX_KEY_COLUMNS }, (_, i) => `SELECT ${i + 1} AS i`).join(' UNION ALL ');
  return (
    'SELECT CAST(c.conname AS VARCHAR(128)) AS constraint_name, CAST(child.relname AS VARCHAR(128)) AS table_name, ' +
    'CAST(ca.attname AS VARCHAR(128)) AS column_name, CAST(parent.relname AS VARCHAR(128)) AS ref_table, ' +
    'CAST(pa.attname AS VARCHAR(128)) AS ref_column, p.i AS position ' +
    'FROM pg_catalog.pg_constraint c ' +
    'JOIN pg_catalog.pg_class child ON child.oid = c.conrelid ' +
    'JOIN pg_catalog.pg_namespace cn ON cn.oid = child.relnamespace ' +
    'JOIN pg_catalog.pg_class parent ON parent.oid = c.confrelid ' +
    'JOIN pg_catalog.pg_namespace pn ON pn.oid = parent.relnamespace ' +
    `CROSS JOIN (${positions}) p ` +
    'JOIN pg_catalog.pg_attribute ca ON ca.attrelid = c.conrelid AND ca.attnum = c.conkey[p.i] ' +
    'JOIN pg_catalog.pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[p.i] ' +
    `WHERE c.contype = 'f' AND cn.nspname = ${literal(schema)} AND pn.nspname = ${literal(schema)} ` +
    'ORDER BY 2, 1, 6'
  );
}

/** Reads the catalog of one schema. */
export async function readCatalog(executor: SqlExecutor, schema: string): Promise<Catalog> {
  const columns = await executor.query<ColumnRow>(
    'SELECT table_name, column_name, data_type, udt_name, character_maximum_length, numeric_precision, numeric_scale ' +
      `FROM information_schema.columns WHERE table_schema = ${literal(schema)} ORDER BY table_name, ordinal_position`,
  );
  const fks = await executor.query<ForeignKeyRow>(foreignKeysQuery(schema));
  const estimates = await executor.estimateRows(schema);
  const byTable = new Map<string, { columns: CatalogColumn[]; foreignKeys: CatalogForeignKey[] }>();
  for (const c of columns) {
    const entry = byTable.get(c.table_name) ?? { columns: [], foreignKeys: [] };
    const type = columnType(c);
    entry.columns.push({ name: c.column_name, type, isText: isTextType(type) });
    byTable.set(c.table_name, entry);
  }
  // One row per column pair, ordered by constraint and position: group them into one key per constraint.
  let current: { name: string; table: string; fk: { columns: string[]; table: string; keys: string[] } } | undefined;
  for (const row of fks) {
    if (current === undefined || current.name !== row.constraint_name || current.table !== row.table_name) {
      current = {
        name: row.constraint_name,
        table: row.table_name,
        fk: { columns: [], table: row.ref_table, keys: [] },
      };
      byTable.get(row.table_name)?.foreignKeys.push(current.fk);
    }
    current.fk.columns.push(row.column_name);
    current.fk.keys.push(row.ref_column);
  }
  const tables = new Map<string, CatalogTable>();
  for (const [name, entry] of byTable) {
    tables.set(name, { name, ...entry, estimatedRows: estimates.get(name) ?? 0 });
  }
  return { schema, dialect: executor.dialect, tables };
}
