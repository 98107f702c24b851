/**
 * Column types of the clone, per dialect. A column's value must reach the Kitchen's table unchanged (precision,
 * scale, length): the type is checked at plan time against the source catalog (planner.ts) and again inside the
 * warehouse by the guard at publish (sql.ts), and the snapshot's column list creates the Kitchen's table with the
 * same type. A type the Kitchen cannot hold unchanged is refused by name before anything runs.
 */
import type { Dialect } from './executor';
import type { MaskStrategy } from './plan';

/** One column as information_schema.columns describes it. */
export interface TypeRow {
  readonly data_type: string;
  readonly udt_name?: string | null;
  readonly character_maximum_length: number | string | null;
  readonly numeric_precision: number | string | null;
  readonly numeric_scale: number | string | null;
}

/** Redshift VARCHAR holds at most 65,535 bytes. */
export const REDSHIFT_MAX_VARCHAR = 65535;
/** Redshift CHAR holds at most 4,096 bytes. */
export const REDSHIFT_MAX_CHAR = 4096;
/** Redshift DECIMAL has at most 38 digits. */
export const REDSHIFT_MAX_PRECISION = 38;
/**
 * The keyed hash reads a 64-character key followed by the value as one VARCHAR: on Redshift, a text value longer
 * than this cannot be hashed whole, so such a column is refused rather than hashed truncated.
 */
export const REDSHIFT_MAX_HASH_INPUT = REDSHIFT_MAX_VARCHAR - 64;

/** PostgreSQL's internal names of array element types, as SQL names. */
const UDT_NAMES: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  bpchar: 'char',
  timestamptz: 'timestamptz',
};

const num = (v: number | string | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);

/**
 * The exact type of a column as SQL: `varchar(200)`, `varchar` (no limit), `text`, `numeric(12,2)`, `numeric`
 * (unconstrained), `bit(8)`, `integer[]`, `citext`. Nothing is widened or narrowed here; whether a dialect can
 * carry it is {@link typeProblem}'s question.
 */
export function columnType(row: TypeRow): string {
  const length = num(row.character_maximum_length);
  const precision = num(row.numeric_precision);
  switch (row.data_type) {
    case 'character varying':
      return length === undefined ? 'varchar' : `varchar(${length})`;
    case 'character':
      return `char(${length ?? 1})`;
    case 'numeric':
      return precision === undefined ? 'numeric' : `numeric(${precision},${num(row.numeric_scale) ?? 0})`;
    case 'bit':
      return `bit(${length ?? 1})`;
    case 'bit varying':
      return length === undefined ? 'varbit' : `varbit(${length})`;
    case 'timestamp without time zone':
      return 'timestamp';
    case 'timestamp with time zone':
      return 'timestamptz';
    case 'time without time zone':
      return 'time';
    case 'time with time zone':
      return 'timetz';
    case 'ARRAY': {
      const element = (row.udt_name ?? '_unknown').replace(/^_/, '');
      return `${UDT_NAMES[element] ?? element}[]`;
    }
    case 'USER-DEFINED':
      return row.udt_name ?? 'user-defined';
    default:
      return row.data_type;
  }
}

/** Text types (redact writes text; hash and the starter plan treat them as free text when unbounded). */
export function isTextType(type: string): boolean {
  return /^(varchar|char|text|citext)(\(|$)/.test(type);
}

/** Types a Kitchen's table holds unchanged, per dialect, as shown in messages. */
const COMMON = [
  'smallint',
  'integer',
  'bigint',
  'real',
  'double precision',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
];
export const CARRIED_TYPES: Record<Dialect, string> = {
  redshift: `${COMMON.join(', ')}, numeric(p,s) with p <= ${REDSHIFT_MAX_PRECISION}, varchar(n) with n <= ${REDSHIFT_MAX_VARCHAR}, char(n) with n <= ${REDSHIFT_MAX_CHAR}`,
  postgres: `${COMMON.join(', ')}, numeric, numeric(p,s), varchar, varchar(n), char(n), text, bit(n), varbit, varbit(n), time, timetz, interval, uuid, json, jsonb, bytea`,
};

const POSTGRES_ONLY = new Set([
  'text',
  'varchar',
  'numeric',
  'varbit',
  'time',
  'timetz',
  'interval',
  'uuid',
  'json',
  'jsonb',
  'bytea',
]);

/** Whether a dialect's Kitchen holds a column of this exact type unchanged. */
export function carried(type: string, dialect: Dialect): boolean {
  if (COMMON.includes(type)) return true;
  const m = /^(numeric|varchar|char|bit|varbit)\(([0-9]+)(?:,([0-9]+))?\)$/.exec(type);
  if (dialect === 'postgres') {
    return POSTGRES_ONLY.has(type) || (m !== null && !(m[1] !== 'numeric' && m[3] !== undefined));
  }
  if (m === null) return false;
  const n = Number(m[2]);
  switch (m[1]) {
    case 'numeric':
      return n <= REDSHIFT_MAX_PRECISION;
    case 'varchar':
      return n <= REDSHIFT_MAX_VARCHAR;
    case 'char':
      return n <= REDSHIFT_MAX_CHAR;
    default:
      return false;
  }
}

/**
 * Why a column cannot be cloned with a strategy in a dialect, or undefined when it can:
 *  - keep and null create the Kitchen's column with the source type, so the type must be carried unchanged;
 *  - hash reads the value as text and writes varchar(64): on Redshift a text longer than the hash input is refused
 *    (never truncated); arrays and user-defined types other than citext are refused (their text form is not stable
 *    across engines);
 *  - redact writes text and needs a text column (checked by the planner).
 */
export function typeProblem(type: string, strategy: MaskStrategy, dialect: Dialect): string | undefined {
  const engine = dialect === 'redshift' ? 'Redshift' : 'PostgreSQL';
  if (strategy === 'keep' || strategy === 'null') {
    return carried(type, dialect)
      ? undefined
      : `must be a type the Kitchen's table holds unchanged on ${engine} (${strategy} copies the column's type), got: ${type}; allowed: ${CARRIED_TYPES[dialect]}`;
  }
  if (strategy === 'hash') {
    const array = type.endsWith('[]');
    const userDefined = !array && type !== 'citext' && !carried(type, 'postgres') && !carried(type, 'redshift');
    if (array || userDefined || (dialect === 'redshift' && !carried(type, 'redshift'))) {
      return `must be a type whose text the keyed hash reads whole on ${engine}, got: ${type}; allowed: ${CARRIED_TYPES[dialect]}${dialect === 'postgres' ? ', citext' : ''}`;
    }
    const m = /^varchar\(([0-9]+)\)$/.exec(type);
    if (dialect === 'redshift' && m !== null && Number(m[1]) > REDSHIFT_MAX_HASH_INPUT) {
      return `must be at most varchar(${REDSHIFT_MAX_HASH_INPUT}) to be hashed on Redshift (the 64-character key and the value are hashed as one VARCHAR of at most ${REDSHIFT_MAX_VARCHAR} bytes; a longer value would be truncated), got: ${type}; use redact or null`;
    }
  }
  return undefined;
}

/**
 * The same rendering as {@link columnType}, as SQL over information_schema.columns, for the snapshot's column list
 * (the production job has no catalog at synth time; the guard has already refused what is not carried).
 */
export function columnTypeSql(): string {
  const len = 'CAST(character_maximum_length AS VARCHAR(12))';
  return (
    "CASE data_type WHEN 'character varying' THEN 'varchar' || COALESCE('(' || " +
    len +
    " || ')', '') " +
    "WHEN 'character' THEN 'char(' || COALESCE(" +
    len +
    ", '1') || ')' " +
    "WHEN 'numeric' THEN 'numeric' || COALESCE('(' || CAST(numeric_precision AS VARCHAR(12)) || ',' || COALESCE(CAST(numeric_scale AS VARCHAR(12)), '0') || ')', '') " +
    "WHEN 'bit' THEN 'bit(' || COALESCE(" +
    len +
    ", '1') || ')' " +
    "WHEN 'bit varying' THEN 'varbit' || COALESCE('(' || " +
    len +
    " || ')', '') " +
    "WHEN 'timestamp without time zone' THEN 'timestamp' " +
    "WHEN 'timestamp with time zone' THEN 'timestamptz' " +
    "WHEN 'time without time zone' THEN 'time' " +
    "WHEN 'time with time zone' THEN 'timetz' " +
    'ELSE CAST(data_type AS VARCHAR(128)) END'
  );
}
