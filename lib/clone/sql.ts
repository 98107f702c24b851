/**
 * SQL generation for the table clone. Sampling and masking happen inside one query, so rows never pass through
 * the client. Everything here stays in the subset PostgreSQL and Redshift both run (md5, strpos, substr, CAST,
 * CREATE TABLE AS, DROP TABLE IF EXISTS), except the cross-environment UNLOAD/COPY pair, which is Redshift only.
 */
import { createHash } from 'crypto';
import type { TablePlan } from './planner';

/** Table in the Kitchen schema recording what each cloned table was built from (makes re-runs no-ops). */
export const STATE_TABLE = 'kitchens_clone_state';
/** Column the sampling subquery adds; never copied. */
const SAMPLE_HASH = 'kitchens_sample_hash';
/** Fraction resolution: the first 16 bits of the md5 of the key. */
export const SAMPLE_BUCKETS = 65536;
/** Type of a hashed column: a 32-character hex md5. */
export const HASH_TYPE = 'varchar(32)';
export const REDACTED = 'REDACTED';

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/** A string literal. Backslashes are refused because Redshift treats them as escapes and PostgreSQL does not. */
export function literal(value: string): string {
  if (value.includes('\\')) {
    throw new Error(`SQL literal must not contain a backslash, got: ${JSON.stringify(value)}`);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** Salt rules: long enough not to be guessed, and safe inside a literal in both engines. */
export function checkSalt(salt: string): string {
  if (!/^[A-Za-z0-9+/=_.:-]{16,256}$/.test(salt)) {
    throw new Error('masking salt must be 16 to 256 characters of letters, digits and + / = _ . : -');
  }
  return salt;
}

function asText(expr: string): string {
  return `CAST(${expr} AS VARCHAR(65535))`;
}

/** An integer in [0, 65536) from the first four hex digits of an md5 (no engine-specific hex parsing). */
export function bucketOf(hashExpr: string): string {
  const digit = (i: number) => `(strpos('0123456789abcdef', substr(${hashExpr}, ${i}, 1)) - 1)`;
  return `(${digit(1)} * 4096 + ${digit(2)} * 256 + ${digit(3)} * 16 + ${digit(4)})`;
}

/** The masked value of one column of the row alias `r`; NULL stays NULL in every strategy. */
export function maskExpression(table: TablePlan, column: string, salt: string, alias = 'r'): string {
  const m = table.masking.find((x) => x.column === column)!;
  const type = table.columns.find((c) => c.name === column)!.type;
  const ref = `${alias}.${ident(column)}`;
  switch (m.strategy) {
    case 'keep':
      return ref;
    case 'hash':
      // `||` with NULL is NULL in both engines, and md5(NULL) is NULL.
      return `md5(${literal(salt)} || ${asText(ref)})`;
    case 'redact':
      return `CASE WHEN ${ref} IS NULL THEN NULL ELSE CAST(${literal(REDACTED)} AS VARCHAR(${REDACTED.length})) END`;
    case 'null':
      return `CAST(NULL AS ${type})`;
  }
}

/** Type of a column in the Kitchen after masking. */
export function maskedType(table: TablePlan, column: string): string {
  const m = table.masking.find((x) => x.column === column)!;
  const type = table.columns.find((c) => c.name === column)!.type;
  return m.strategy === 'hash' ? HASH_TYPE : m.strategy === 'redact' ? `varchar(${REDACTED.length})` : type;
}

/**
 * Where a child finds its parent's sampled keys: in the Kitchen's already-built parent table (one warehouse), or by
 * re-running the parent's sample on the source (across environments, where the Kitchen is in another warehouse).
 */
export type ParentKeys = { readonly from: 'target'; readonly schema: string } | { readonly from: 'source' };

export interface SampleContext {
  readonly sourceSchema: string;
  readonly tables: readonly TablePlan[];
  readonly parentKeys: ParentKeys;
}

/** SELECT of the sampled, unmasked source rows of a table (all source columns, nothing else). */
export function sampledRows(table: TablePlan, ctx: SampleContext, depth = 0): string {
  const s = `s${depth}`;
  const columns = table.columns.map((c) => `${s}.${ident(c.name)}`).join(', ');
  const conditions: string[] = [];
  if (table.sample.where !== undefined) {
    conditions.push(`(${table.sample.where})`);
  }
  const key = table.sample.key;
  if (key !== undefined && table.sample.fraction !== undefined && table.sample.fraction < 1) {
    const threshold = Math.round(table.sample.fraction * SAMPLE_BUCKETS);
    conditions.push(`${bucketOf(`${s}.${SAMPLE_HASH}`)} < ${threshold}`);
  }
  table.references.forEach((r, i) => {
    const parent = ctx.tables.find((t) => t.name === r.table)!;
    const p = `p${depth}_${i}`;
    const keys =
      ctx.parentKeys.from === 'target'
        ? `SELECT ${p}.${ident(r.key)} FROM ${qualified(ctx.parentKeys.schema, parent.name)} AS ${p}`
        : `SELECT ${p}.${ident(r.key)} FROM (${sampledRows(parent, ctx, depth + 1)}) AS ${p}`;
    conditions.push(`(${s}.${ident(r.column)} IS NULL OR ${s}.${ident(r.column)} IN (${keys}))`);
  });
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const source = qualified(ctx.sourceSchema, table.name);
  if (key === undefined) {
    return `SELECT ${columns} FROM ${source} AS ${s}${where}`;
  }
  const t = `t${depth}`;
  const hashed = `SELECT ${t}.*, md5(${asText(`${t}.${ident(key)}`)}) AS ${SAMPLE_HASH} FROM ${source} AS ${t}`;
  const order =
    table.sample.limit !== undefined
      ? ` ORDER BY ${s}.${SAMPLE_HASH}, ${[key, ...table.columns.map((c) => c.name).filter((c) => c !== key)]
          .map((c) => `${s}.${ident(c)}`)
          .join(', ')} LIMIT ${table.sample.limit}`
      : '';
  return `SELECT ${columns} FROM (${hashed}) AS ${s}${where}${order}`;
}

/** SELECT of the sampled and masked rows, column names and order as in the source. */
export function maskedSelect(table: TablePlan, ctx: SampleContext, salt: string): string {
  const select = table.columns.map((c) => `${maskExpression(table, c.name, salt)} AS ${ident(c.name)}`).join(', ');
  return `SELECT ${select} FROM (${sampledRows(table, ctx)}) AS r`;
}

/** A short digest of what a table is built from; a change of plan, salt or parent rebuilds the table. */
export function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

export function createSchemaStatements(targetSchema: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${ident(targetSchema)}`,
    `CREATE TABLE IF NOT EXISTS ${qualified(targetSchema, STATE_TABLE)} (table_name varchar(127) NOT NULL, fingerprint varchar(64) NOT NULL, row_count bigint NOT NULL)`,
  ];
}

function recordState(targetSchema: string, table: string, print: string): string[] {
  return [
    `DELETE FROM ${qualified(targetSchema, STATE_TABLE)} WHERE table_name = ${literal(table)}`,
    `INSERT INTO ${qualified(targetSchema, STATE_TABLE)} (table_name, fingerprint, row_count) ` +
      `SELECT ${literal(table)}, ${literal(print)}, count(*) FROM ${qualified(targetSchema, table)}`,
  ];
}

/** One transaction that (re)builds a table inside one warehouse with CREATE TABLE ... AS SELECT. */
export function ctasStatements(
  table: TablePlan,
  ctx: SampleContext,
  targetSchema: string,
  salt: string,
  print: string,
): string[] {
  return [
    `DROP TABLE IF EXISTS ${qualified(targetSchema, table.name)}`,
    `CREATE TABLE ${qualified(targetSchema, table.name)} AS ${maskedSelect(table, ctx, salt)}`,
    ...recordState(targetSchema, table.name, print),
  ];
}

export interface TransferLocation {
  /** `s3://bucket/prefix/` the masked sample is unloaded to (in the development account). */
  readonly exportUri: string;
  /** Role the production cluster assumes to write the export. */
  readonly unloadRoleArn: string;
  /** Role the development cluster assumes to read the export. */
  readonly copyRoleArn: string;
}

export function exportUriOf(transfer: TransferLocation, table: string): string {
  const base = transfer.exportUri.endsWith('/') ? transfer.exportUri : `${transfer.exportUri}/`;
  return `${base}${table}/`;
}

/**
 * Redshift only: the masked sample leaves production as Parquet through UNLOAD (masking runs inside production, so
 * unmasked rows never leave it); CLEANPATH removes an earlier export so a re-run never mixes files.
 */
export function unloadStatement(
  table: TablePlan,
  sourceSchema: string,
  tables: readonly TablePlan[],
  salt: string,
  transfer: TransferLocation,
): string {
  const query = maskedSelect(table, { sourceSchema, tables, parentKeys: { from: 'source' } }, salt);
  return (
    `UNLOAD (${literal(query)}) TO ${literal(exportUriOf(transfer, table.name))} ` +
    `IAM_ROLE ${literal(transfer.unloadRoleArn)} FORMAT AS PARQUET CLEANPATH`
  );
}

/** Redshift only: one transaction in the development warehouse that rebuilds the table from the export. */
export function copyStatements(
  table: TablePlan,
  targetSchema: string,
  transfer: TransferLocation,
  print: string,
): string[] {
  const columns = table.columns.map((c) => `${ident(c.name)} ${maskedType(table, c.name)}`).join(', ');
  return [
    `DROP TABLE IF EXISTS ${qualified(targetSchema, table.name)}`,
    `CREATE TABLE ${qualified(targetSchema, table.name)} (${columns})`,
    `COPY ${qualified(targetSchema, table.name)} FROM ${literal(exportUriOf(transfer, table.name))} ` +
      `IAM_ROLE ${literal(transfer.copyRoleArn)} FORMAT AS PARQUET`,
    ...recordState(targetSchema, table.name, print),
  ];
}
