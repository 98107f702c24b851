/**
 * What the cloner needs to know about the source schema: tables, their columns and types, declared foreign keys and
 * row-count estimates. Read through information_schema (PostgreSQL and Redshift both have it) plus one
 * dialect-specific statistics query.
 */
import type { SqlExecutor } from './executor';
import { literal } from './sql';

export interface CatalogColumn {
  readonly name: string;
  /** SQL type both engines accept in CAST and CREATE TABLE, such as `varchar(120)` or `integer`. */
  readonly type: string;
  readonly isText: boolean;
}

export interface CatalogForeignKey {
  readonly column: string;
  readonly table: string;
  readonly key: string;
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
  readonly tables: ReadonlyMap<string, CatalogTable>;
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  character_maximum_length: number | string | null;
  numeric_precision: number | string | null;
  numeric_scale: number | string | null;
}

const TEXT_TYPES = new Set(['character varying', 'character', 'text', 'varchar', 'char', 'bpchar']);

/** Renders an information_schema type as a type name both engines accept. */
export function sqlType(
  row: Pick<ColumnRow, 'data_type' | 'character_maximum_length' | 'numeric_precision' | 'numeric_scale'>,
): string {
  const length = row.character_maximum_length === null ? undefined : Number(row.character_maximum_length);
  switch (row.data_type) {
    case 'character varying':
      return length === undefined ? 'varchar(65535)' : `varchar(${length})`;
    case 'character':
      return `char(${length ?? 1})`;
    case 'text':
      return 'varchar(65535)';
    case 'numeric':
      return row.numeric_precision === null
        ? 'numeric(38,10)'
        : `numeric(${Number(row.numeric_precision)},${Number(row.numeric_scale ?? 0)})`;
    default:
      return row.data_type;
  }
}

/** Reads the catalog of one schema. */
export async function readCatalog(executor: SqlExecutor, schema: string): Promise<Catalog> {
  const columns = await executor.query<ColumnRow>(
    'SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale ' +
      `FROM information_schema.columns WHERE table_schema = ${literal(schema)} ORDER BY table_name, ordinal_position`,
  );
  const fks = await executor.query<{ table_name: string; column_name: string; ref_table: string; ref_column: string }>(
    'SELECT kcu.table_name, kcu.column_name, ccu.table_name AS ref_table, ccu.column_name AS ref_column ' +
      'FROM information_schema.table_constraints tc ' +
      'JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.constraint_schema = tc.constraint_schema ' +
      'JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema ' +
      `WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = ${literal(schema)} ` +
      'ORDER BY kcu.table_name, kcu.column_name',
  );
  const estimates = await executor.estimateRows(schema);
  const byTable = new Map<string, { columns: CatalogColumn[]; foreignKeys: CatalogForeignKey[] }>();
  for (const c of columns) {
    const entry = byTable.get(c.table_name) ?? { columns: [], foreignKeys: [] };
    entry.columns.push({ name: c.column_name, type: sqlType(c), isText: TEXT_TYPES.has(c.data_type) });
    byTable.set(c.table_name, entry);
  }
  for (const fk of fks) {
    byTable.get(fk.table_name)?.foreignKeys.push({ column: fk.column_name, table: fk.ref_table, key: fk.ref_column });
  }
  const tables = new Map<string, CatalogTable>();
  for (const [name, entry] of byTable) {
    tables.set(name, { name, ...entry, estimatedRows: estimates.get(name) ?? 0 });
  }
  return { schema, tables };
}
