/**
 * SQL of the clone, for both engines: PostgreSQL (local stand-in and tests) and Redshift (production and
 * development warehouses). Three parts:
 *  - setup, run by an administrator when production deploys: the cloner's database user with SELECT on the plan's
 *    tables only, the production-only hash key, the deny-by-default guard and (Redshift) the role-chain grants;
 *  - publish, run by that user inside production: sample, mask, UNLOAD (PostgreSQL: COPY TO a server file);
 *  - seed, run in development: COPY the published snapshot into a Kitchen schema (server-side).
 * Identifiers are quoted; every value is a literal; filters are structured (no SQL text from the plan).
 * The masking key is read from a table inside the warehouse and never appears in a statement.
 */
import { createHash } from 'crypto';
import type { Dialect } from './executor';
import type { CloneFilter, FilterValue, MaskStrategy } from './plan';
import type { ResolvedReference, TablePlan } from './planner';
import { countsSelect, patternNames, scanFrom, scannedText, type TextPattern } from './scan';
import { columnTypeSql, REDSHIFT_MAX_HASH_INPUT } from './types';

/** Table in the Kitchen schema recording what each cloned table was built from (makes re-runs no-ops). */
export const STATE_TABLE = 'kitchens_clone_state';
/** Staging table in the Kitchen schema holding the snapshot's column list while seeding. */
export const COLUMNS_TABLE = 'kitchens_clone_columns';
/** Production-only schema of the cloner: the hash key and the guard procedure. */
export const CLONE_SCHEMA = 'kitchens_clone';
export const KEY_TABLE = 'hash_key';
export const CHECK_PROCEDURE = 'check_plan';
/** The production database user the clone job connects as. */
export const CLONER_USER = 'kitchens_cloner';
/** Column the sampling subquery adds; never copied. */
const SAMPLE_HASH = 'kitchens_sample_hash';
/** Fraction resolution: the first 16 bits of the md5 of the key. */
export const SAMPLE_BUCKETS = 65536;
/** Type of a hashed column: 64 hex digits of SHA-256. */
export const HASH_TYPE = 'varchar(64)';
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

function valueLiteral(value: FilterValue): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`filter value must be a finite number, got: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return literal(value);
}

/** A structured filter as SQL over the row alias: quoted identifiers, literals, nothing else. */
export function renderFilter(filter: CloneFilter, alias: string): string {
  if ('and' in filter) return `(${filter.and.map((f) => renderFilter(f, alias)).join(' AND ')})`;
  if ('or' in filter) return `(${filter.or.map((f) => renderFilter(f, alias)).join(' OR ')})`;
  const column = `${alias}.${ident(filter.column)}`;
  switch (filter.op) {
    case 'is null':
      return `(${column} IS NULL)`;
    case 'is not null':
      return `(${column} IS NOT NULL)`;
    case 'in':
    case 'not in':
      return `(${column} ${filter.op === 'in' ? 'IN' : 'NOT IN'} (${filter.values!.map(valueLiteral).join(', ')}))`;
    case '=':
    case '<>':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return `(${column} ${filter.op} ${valueLiteral(filter.value!)})`;
  }
}

/**
 * A value as text, whole: PostgreSQL's `text` has no length limit; Redshift's longest VARCHAR is 65,535 bytes, the
 * most any Redshift column holds (longer hash inputs are refused by the planner and the guard, never truncated).
 */
function asText(expr: string, dialect: Dialect): string {
  return dialect === 'redshift' ? `CAST(${expr} AS VARCHAR(65535))` : `CAST(${expr} AS text)`;
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of a text expression, in each engine (NULL stays NULL). */
export function sha256Hex(expr: string, dialect: Dialect): string {
  return dialect === 'redshift' ? `sha2(${expr}, 256)` : `encode(sha256(convert_to(${expr}, 'UTF8')), 'hex')`;
}

/** Alias of the one-row key relation joined into a masked query. */
const KEY_ALIAS = 'kitchens_key';

/**
 * The keyed hash of a value: H(outer || H(inner || value)), H = SHA-256 as hex text, with two independent 256-bit
 * keys written as 64 hex characters (one SHA-256 block each) and read from the production-only key table. This is
 * the nested construction HMAC's security argument rests on (NMAC), in a form Redshift can run with SHA2 alone: the
 * inner block keys the hash, so a value cannot be tested without the key and length extension does not apply.
 */
export function keyedHash(expr: string, dialect: Dialect): string {
  const inner = sha256Hex(`${KEY_ALIAS}.inner_key || ${asText(expr, dialect)}`, dialect);
  return sha256Hex(`${KEY_ALIAS}.outer_key || ${inner}`, dialect);
}

/** The masked value of one column of row alias `r`; NULL stays NULL in every strategy, and `null` keeps the type. */
export function maskExpression(strategy: MaskStrategy, column: string, dialect: Dialect, alias = 'r'): string {
  const ref = `${alias}.${ident(column)}`;
  switch (strategy) {
    case 'keep':
      return ref;
    case 'hash':
      return keyedHash(ref, dialect);
    case 'redact':
      return `CASE WHEN ${ref} IS NULL THEN NULL ELSE CAST(${literal(REDACTED)} AS VARCHAR(${REDACTED.length})) END`;
    case 'null':
      // A CASE that never matches: NULL of the column's own type, without knowing the type.
      return `CASE WHEN 1 = 0 THEN ${ref} END`;
  }
}

/** An integer in [0, 65536) from the first four hex digits of an md5 (no engine-specific hex parsing). */
export function bucketOf(hashExpr: string): string {
  const digit = (i: number) => `(strpos('0123456789abcdef', substr(${hashExpr}, ${i}, 1)) - 1)`;
  return `(${digit(1)} * 4096 + ${digit(2)} * 256 + ${digit(3)} * 16 + ${digit(4)})`;
}

export interface SampleContext {
  readonly sourceSchema: string;
  readonly tables: readonly TablePlan[];
  /** The run id: it names the session's staging tables. */
  readonly run: string;
  readonly dialect: Dialect;
}

/** Production-only procedure of the cloner: runs the closure statements until none adds a row. */
export const CLOSE_PROCEDURE = 'close_references';
/** A closure that still adds rows after this many rounds fails the run (chains longer than this are refused). */
export const MAX_CLOSURE_ROUNDS = 10000;
/** Redshift VARCHAR maximum: the closure statements are passed to the procedure as one such value. */
const MAX_VARCHAR = 65535;

/**
 * The session's staging table of a table's sampled rows (unmasked, declared columns only): a temporary table of the
 * cloner's own session inside production, which children, the closure and the UNLOAD read. It never leaves the
 * warehouse and ends with the session.
 */
export function sampleTable(table: TablePlan, ctx: SampleContext): string {
  const index = ctx.tables.findIndex((t) => t.name === table.name);
  return ident(`kitchens_sample_${index}_${ctx.run}`);
}

/** Tables whose sampled rows are staged: every table another (or itself) refers to. */
export function stagedTables(tables: readonly TablePlan[]): Set<string> {
  return new Set(tables.flatMap((t) => t.references.map((r) => r.table)));
}

/**
 * Tables the closure can add rows to: the parent of a self-reference (a sampled row brings its ancestors), then,
 * until nothing changes, every parent of a table that can gain rows (the ancestors bring their own parents).
 */
export function growingTables(tables: readonly TablePlan[]): Set<string> {
  const growing = new Set(tables.filter((t) => t.references.some((r) => r.table === t.name)).map((t) => t.name));
  for (let changed = true; changed;) {
    changed = false;
    for (const t of tables) {
      if (!growing.has(t.name)) continue;
      for (const r of t.references) {
        if (!growing.has(r.table)) {
          growing.add(r.table);
          changed = true;
        }
      }
    }
  }
  return growing;
}

function parentOf(r: ResolvedReference, ctx: SampleContext): TablePlan {
  return ctx.tables.find((t) => t.name === r.table)!;
}

/** Pairs of a reference: child column of alias `child` = key column of alias `parent`. */
function joinPairs(r: ResolvedReference, child: string, parent: string): string {
  return r.columns.map((c, k) => `${parent}.${ident(r.keys[k])} = ${child}.${ident(c)}`).join(' AND ');
}

/**
 * SELECT of the rows a table's sample chooses (its declared columns only, unmasked): its own filter, fraction and
 * limit, and every foreign key to another table resolving in that parent's staged rows (a key with a NULL column
 * refers to nothing, as in SQL's MATCH SIMPLE). Self-references are resolved afterwards, by the closure.
 */
export function sampledRows(table: TablePlan, ctx: SampleContext): string {
  const s = 's';
  const names = table.masking.map((m) => m.column);
  const columns = names.map((c) => `${s}.${ident(c)}`).join(', ');
  const conditions: string[] = [];
  if (table.sample.where !== undefined) {
    conditions.push(renderFilter(table.sample.where, s));
  }
  const key = table.sample.key;
  if (key !== undefined && table.sample.fraction !== undefined && table.sample.fraction < 1) {
    const threshold = Math.round(table.sample.fraction * SAMPLE_BUCKETS);
    conditions.push(`${bucketOf(`${s}.${SAMPLE_HASH}`)} < ${threshold}`);
  }
  for (const r of table.references) {
    if (r.table === table.name) continue;
    const missing = r.columns.map((c) => `${s}.${ident(c)} IS NULL`).join(' OR ');
    const staged = sampleTable(parentOf(r, ctx), ctx);
    conditions.push(`(${missing} OR EXISTS (SELECT 1 FROM ${staged} AS p WHERE ${joinPairs(r, s, 'p')}))`);
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const source = qualified(ctx.sourceSchema, table.name);
  if (key === undefined) {
    return `SELECT ${columns} FROM ${source} AS ${s}${where}`;
  }
  const t = 't';
  const picked = [...new Set([key, ...names])].map((c) => `${t}.${ident(c)}`).join(', ');
  const hashed = `SELECT ${picked}, md5(${asText(`${t}.${ident(key)}`, ctx.dialect)}) AS ${SAMPLE_HASH} FROM ${source} AS ${t}`;
  const order =
    table.sample.limit !== undefined
      ? ` ORDER BY ${s}.${SAMPLE_HASH}, ${[key, ...names.filter((c) => c !== key)]
          .map((c) => `${s}.${ident(c)}`)
          .join(', ')} LIMIT ${table.sample.limit}`
      : '';
  return `SELECT ${columns} FROM (${hashed}) AS ${s}${where}${order}`;
}

/**
 * One statement of the closure for a reference whose child can gain rows: adds to the parent's staged rows the
 * source rows some staged child row refers to and the parent does not hold yet. Run until no statement adds a row,
 * every foreign key of the snapshot resolves, cycles in the data included (a row already staged is never added
 * again, so each round adds at least one new source row or ends the loop).
 */
export function closureStatement(child: TablePlan, r: ResolvedReference, ctx: SampleContext): string {
  const parent = parentOf(r, ctx);
  const names = parent.masking.map((m) => ident(m.column));
  const staged = sampleTable(parent, ctx);
  const keyOf = (alias: string) => r.keys.map((k) => `${alias}.${ident(k)} = s.${ident(k)}`).join(' AND ');
  return (
    `INSERT INTO ${staged} (${names.join(', ')}) SELECT ${names.map((n) => `s.${n}`).join(', ')} ` +
    `FROM ${qualified(ctx.sourceSchema, parent.name)} AS s ` +
    `WHERE EXISTS (SELECT 1 FROM ${sampleTable(child, ctx)} AS c WHERE ${joinPairs(r, 'c', 's')}) ` +
    `AND NOT EXISTS (SELECT 1 FROM ${staged} AS q WHERE ${keyOf('q')})`
  );
}

/** The closure of a plan: one statement per reference whose child can gain rows (none without self-references). */
export function closureStatements(ctx: SampleContext): string[] {
  const growing = growingTables(ctx.tables);
  return ctx.tables.flatMap((t) => (growing.has(t.name) ? t.references.map((r) => closureStatement(t, r, ctx)) : []));
}

/** SELECT of the sampled and masked rows, columns in source order; the key relation joins only when needed. */
export function maskedSelect(table: TablePlan, ctx: SampleContext, dialect: Dialect): string {
  const select = table.masking
    .map((m) => `${maskExpression(m.strategy, m.column, dialect)} AS ${ident(m.column)}`)
    .join(', ');
  const keyed = table.masking.some((m) => m.strategy === 'hash')
    ? ` CROSS JOIN (SELECT inner_key, outer_key FROM ${qualified(CLONE_SCHEMA, KEY_TABLE)}) AS ${KEY_ALIAS}`
    : '';
  const rows = stagedTables(ctx.tables).has(table.name) ? sampleTable(table, ctx) : `(${sampledRows(table, ctx)})`;
  return `SELECT ${select} FROM ${rows} AS r${keyed}`;
}

/** Type of a source column, computed from information_schema.columns exactly as the planner renders it. */
const SOURCE_TYPE = columnTypeSql();

function columnKey(table: string, column: string): string {
  return literal(`${table}.${column}`);
}

/**
 * The snapshot's column list (table, column, position, type after masking): development creates the Kitchen's
 * tables from it, so it never needs the production catalog.
 */
export function columnsQuery(tables: readonly TablePlan[], sourceSchema: string): string {
  const of = (s: MaskStrategy) =>
    tables.flatMap((t) => t.masking.filter((m) => m.strategy === s).map((m) => columnKey(t.name, m.column)));
  const hashed = of('hash');
  const redacted = of('redact');
  const declared = tables.map(
    (t) =>
      `(table_name = ${literal(t.name)} AND column_name IN (${t.masking.map((m) => literal(m.column)).join(', ')}))`,
  );
  const key = "CAST(table_name AS VARCHAR(128)) || '.' || CAST(column_name AS VARCHAR(128))";
  const cases = [
    ...(hashed.length > 0 ? [`WHEN ${key} IN (${hashed.join(', ')}) THEN '${HASH_TYPE}'`] : []),
    ...(redacted.length > 0 ? [`WHEN ${key} IN (${redacted.join(', ')}) THEN 'varchar(${REDACTED.length})'`] : []),
  ];
  // A plan that only keeps and nulls has no masked type: the source type as it is (a CASE needs a WHEN).
  const type = cases.length > 0 ? `CASE ${cases.join(' ')} ELSE ${SOURCE_TYPE} END` : SOURCE_TYPE;
  return (
    'SELECT CAST(table_name AS VARCHAR(128)) AS table_name, CAST(column_name AS VARCHAR(128)) AS column_name, ' +
    `CAST(ordinal_position AS INTEGER) AS ordinal_position, ${type} AS masked_type ` +
    `FROM information_schema.columns WHERE table_schema = ${literal(sourceSchema)} AND (${declared.join(' OR ')}) ` +
    'ORDER BY 1, 3'
  );
}

/** Where a publication is written and read: a prefix in the development account's export bucket, or a server directory. */
export type SnapshotLocation =
  | {
      readonly kind: 's3';
      /** `s3://bucket/snapshots/ENV/` */
      readonly uri: string;
      /** Redshift IAM_ROLE value: the warehouse's attached role, then the export (or import) role. */
      readonly roleChain: string;
    }
  | {
      readonly kind: 'directory';
      /** An absolute directory on the PostgreSQL server's host (the local stand-in for the export bucket). */
      readonly path: string;
    };

function runBase(location: SnapshotLocation, run: string): string {
  if (location.kind === 's3') {
    return `${location.uri.endsWith('/') ? location.uri : `${location.uri}/`}${run}/`;
  }
  return `${location.path.replace(/\/+$/, '')}/${run}/`;
}

/** Where one table of a run lies. */
export function tableLocation(location: SnapshotLocation, run: string, table: string): string {
  return location.kind === 's3' ? `${runBase(location, run)}tables/${table}/` : `${runBase(location, run)}${table}.csv`;
}

export function columnsLocation(location: SnapshotLocation, run: string): string {
  return location.kind === 's3' ? `${runBase(location, run)}columns/` : `${runBase(location, run)}columns.csv`;
}

/** Run ids: letters, digits, "-" and "_" (Step Functions execution names, or a timestamp locally). */
export function checkRun(run: string): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(run)) {
    throw new Error(`snapshot run id must be 1 to 80 letters, digits, "-" or "_", got: ${JSON.stringify(run)}`);
  }
  return run;
}

function exportStatement(
  query: string,
  target: string,
  location: SnapshotLocation,
  format: 'table' | 'columns',
): string {
  if (location.kind === 'directory') {
    return `COPY (${query}) TO ${literal(target)} WITH (FORMAT csv)`;
  }
  const how = format === 'table' ? 'FORMAT AS PARQUET' : 'FORMAT AS CSV PARALLEL OFF';
  return `UNLOAD (${literal(query)}) TO ${literal(target)} IAM_ROLE ${literal(location.roleChain)} ${how} CLEANPATH`;
}

/**
 * The statements of one publication, run as one transaction by the cloner user inside production: the
 * deny-by-default guard first, then every table (parents first, all from the same snapshot of the source), then the
 * column list. The masking key is read by the queries from the key table; no statement contains it.
 */
export function publishStatements(
  tables: readonly TablePlan[],
  sourceSchema: string,
  location: SnapshotLocation,
  dialect: Dialect,
  run: string,
): string[] {
  checkRun(run);
  const ctx: SampleContext = { sourceSchema, tables, run, dialect };
  const staged = stagedTables(tables);
  const closure = closureStatements(ctx);
  const closureText = closure.join(';');
  if (closureText.length > MAX_VARCHAR) {
    throw new Error(
      `the clone plan's closure (${closure.length} statements for self-references and their ancestors) is ` +
        `${closureText.length} characters, more than the ${MAX_VARCHAR} one procedure argument holds: clone fewer tables that refer to each other`,
    );
  }
  return [
    `CALL ${qualified(CLONE_SCHEMA, CHECK_PROCEDURE)}()`,
    ...tables
      .filter((t) => staged.has(t.name))
      .map((t) => `CREATE TEMPORARY TABLE ${sampleTable(t, ctx)} AS ${sampledRows(t, ctx)}`),
    ...(closure.length > 0 ? [`CALL ${qualified(CLONE_SCHEMA, CLOSE_PROCEDURE)}(${literal(closureText)})`] : []),
    ...tables.map((t) =>
      exportStatement(maskedSelect(t, ctx, dialect), tableLocation(location, run, t.name), location, 'table'),
    ),
    exportStatement(columnsQuery(tables, sourceSchema), columnsLocation(location, run), location, 'columns'),
  ];
}

/** The Redshift Data API's limits: 100 KB per statement, 40 statements per BatchExecuteStatement. */
export const DATA_API_MAX_STATEMENT_BYTES = 100 * 1024;
export const DATA_API_MAX_BATCH_STATEMENTS = 40;

/**
 * Refuses a publication the Data API would refuse, before anything is deployed: every statement under 100 KB and
 * at most 40 in the batch (one transaction). `planAt` names where the plan is declared.
 */
export function checkDataApiLimits(statements: readonly string[], tables: readonly TablePlan[], planAt: string): void {
  const problems: string[] = [];
  if (statements.length > DATA_API_MAX_BATCH_STATEMENTS) {
    const staged = stagedTables(tables).size;
    problems.push(
      `${planAt}.tables make a publication of ${statements.length} statements; one Redshift transaction ` +
        `(BatchExecuteStatement) takes at most ${DATA_API_MAX_BATCH_STATEMENTS}: one UNLOAD per table (${tables.length}), ` +
        `one staging per table others refer to (${staged}), the guard, the closure and the column list`,
    );
  }
  statements.forEach((sql, i) => {
    const bytes = Buffer.byteLength(sql, 'utf8');
    if (bytes > DATA_API_MAX_STATEMENT_BYTES) {
      const table = tables.find((t) => sql.includes(`tables/${t.name}/`) || sql.includes(`AS ${ident(t.name)}`));
      problems.push(
        `${planAt}: statement ${i + 1} of the publication${table ? ` (table ${table.name})` : ''} is ${bytes} bytes; ` +
          `the Redshift Data API takes at most ${DATA_API_MAX_STATEMENT_BYTES} bytes per statement: shorten its filter's value lists`,
      );
    }
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/** What the setup needs to know beyond the plan. */
export interface SetupOptions {
  readonly dialect: Dialect;
  readonly sourceSchema: string;
  /** Where the plan is declared, named in the guard's message. */
  readonly planAt: string;
  /** Redshift: the role chain UNLOAD uses (`warehouse,clone-unload`); granted to the cloner user only. */
  readonly unloadRoleChain?: string;
  /** Personal-data patterns the plan adds to the scan of kept text. @default - none */
  readonly textPatterns?: readonly TextPattern[];
}

/**
 * The guard's scan of kept text (scan.ts): every kept, unreviewed column of a text type (found in the warehouse's
 * catalog at publish, so the job needs no catalog at synth) is counted against each pattern over all its rows.
 * Failing names table.column and counts, never a value.
 */
function scanBlock(tables: readonly TablePlan[], options: SetupOptions): { declare: string[]; body: string[] } {
  const kept = tables
    .map((t) => ({
      t,
      names: t.masking
        .filter((m) => m.strategy === 'keep' && (t.reviewed ?? {})[m.column] === undefined)
        .map((m) => literal(m.column)),
    }))
    .filter(({ names }) => names.length > 0)
    .map(({ t, names }) => `(table_name = ${literal(t.name)} AND column_name IN (${names.join(', ')}))`);
  if (kept.length === 0) return { declare: [], body: [] };
  const extra = options.textPatterns ?? [];
  const names = patternNames(extra);
  const schema = literal(options.sourceSchema);
  const marker = 'KITCHENSCOLUMN';
  const [fromOpen, fromClose] = scanFrom(
    `SELECT ${scannedText(marker, options.dialect)} AS v FROM KITCHENSTABLE`,
  ).split(`${marker}`);
  const [middle, fromEnd] = fromClose.split('KITCHENSTABLE');
  const quoted = (text: string) => text.replace(/'/g, "''");
  return {
    declare: [
      '  counts RECORD;',
      "  hits VARCHAR(65535) := '';",
      '  found_in VARCHAR(65535);',
      `  scan VARCHAR(65535) := ${literal(countsSelect(extra))};`,
    ],
    body: [
      `  FOR rec IN SELECT CAST(table_name AS VARCHAR(128)) AS t, CAST(column_name AS VARCHAR(128)) AS c FROM information_schema.columns WHERE table_schema = ${schema} AND (${kept.join(' OR ')}) AND (data_type IN ('character varying', 'character', 'text', 'json', 'jsonb') OR udt_name = 'citext') ORDER BY 1, ordinal_position LOOP`,
      `    EXECUTE 'SELECT ' || scan || ' FROM ${quoted(fromOpen)}' || quote_ident(rec.c) || '${quoted(middle)}' || quote_ident(${schema}) || '.' || quote_ident(rec.t) || '${quoted(fromEnd)}' INTO counts;`,
      "    found_in := '';",
      ...names.map(
        (n, i) =>
          `    IF counts.c${i} > 0 THEN found_in := found_in || ', ${n} ' || CAST(counts.c${i} AS VARCHAR(20)); END IF;`,
      ),
      "    IF found_in <> '' THEN",
      "      IF hits <> '' THEN hits := hits || '; '; END IF;",
      "      hits := hits || rec.t || '.' || rec.c || ':' || substr(found_in, 2);",
      '    END IF;',
      '  END LOOP;',
      "  IF hits <> '' THEN",
      `    RAISE EXCEPTION 'clone plan refused: kept text holds personal data in ${options.planAt.replace(/'/g, "''")}: % (values that match; mask these columns, or mark them reviewed with a reason)', hits;`,
      '  END IF;',
    ],
  };
}

function guardProcedure(tables: readonly TablePlan[], options: SetupOptions): string {
  const declared = tables.map(
    (t) =>
      `(table_name = ${literal(t.name)} AND column_name IN (${t.masking.map((m) => literal(m.column)).join(', ')}))`,
  );
  const planned = tables.map((t) => literal(t.name)).join(', ');
  const columnsWith = (strategies: readonly MaskStrategy[]) => {
    const parts = tables
      .map((t) => ({
        t,
        names: t.masking.filter((m) => strategies.includes(m.strategy)).map((m) => literal(m.column)),
      }))
      .filter(({ names }) => names.length > 0)
      .map(({ t, names }) => `(table_name = ${literal(t.name)} AND column_name IN (${names.join(', ')}))`);
    return parts.length > 0 ? `(${parts.join(' OR ')})` : 'FALSE';
  };
  // What types.ts refuses at plan time, found again in the warehouse (the job is synthesized without the catalog).
  const redshiftTypes = [
    'smallint',
    'integer',
    'bigint',
    'real',
    'double precision',
    'boolean',
    'date',
    'timestamp without time zone',
    'timestamp with time zone',
    'numeric',
    'character varying',
    'character',
  ]
    .map(literal)
    .join(', ');
  const refusedType =
    options.dialect === 'redshift'
      ? `(data_type NOT IN (${redshiftTypes}) OR (${columnsWith(['hash'])} AND data_type = 'character varying' AND character_maximum_length > ${REDSHIFT_MAX_HASH_INPUT}))`
      : `(${columnsWith(['keep', 'null'])} AND data_type IN ('ARRAY', 'USER-DEFINED')) OR (${columnsWith(['hash'])} AND (data_type = 'ARRAY' OR (data_type = 'USER-DEFINED' AND udt_name <> 'citext')))`;
  const checkedColumns = columnsWith(['keep', 'null', 'hash']);
  const scan = scanBlock(tables, options);
  return [
    `CREATE OR REPLACE PROCEDURE ${qualified(CLONE_SCHEMA, CHECK_PROCEDURE)}() AS $$`,
    'DECLARE',
    '  rec RECORD;',
    "  undeclared VARCHAR(65535) := '';",
    "  refused VARCHAR(65535) := '';",
    '  keys INTEGER;',
    ...scan.declare,
    'BEGIN',
    `  FOR rec IN SELECT CAST(table_name AS VARCHAR(128)) AS t, CAST(column_name AS VARCHAR(128)) AS c FROM information_schema.columns WHERE table_schema = ${literal(options.sourceSchema)} AND table_name IN (${planned}) AND NOT (${declared.join(' OR ')}) ORDER BY 1, ordinal_position LOOP`,
    "    IF undeclared <> '' THEN undeclared := undeclared || ', '; END IF;",
    "    undeclared := undeclared || rec.t || '.' || rec.c;",
    '  END LOOP;',
    "  IF undeclared <> '' THEN",
    `    RAISE EXCEPTION 'clone plan refused: columns without a declared strategy in ${options.planAt.replace(/'/g, "''")}: %', undeclared;`,
    '  END IF;',
    `  FOR rec IN SELECT CAST(table_name AS VARCHAR(128)) AS t, CAST(column_name AS VARCHAR(128)) AS c, CAST(data_type AS VARCHAR(128)) AS d FROM information_schema.columns WHERE table_schema = ${literal(options.sourceSchema)} AND ${checkedColumns} AND (${refusedType}) ORDER BY 1, ordinal_position LOOP`,
    "    IF refused <> '' THEN refused := refused || ', '; END IF;",
    "    refused := refused || rec.t || '.' || rec.c || ' (' || rec.d || ')';",
    '  END LOOP;',
    "  IF refused <> '' THEN",
    `    RAISE EXCEPTION 'clone plan refused: types the Kitchen cannot hold unchanged (keep, null) or hash whole (hash) in ${options.planAt.replace(/'/g, "''")}: %', refused;`,
    '  END IF;',
    ...scan.body,
    `  SELECT INTO keys count(*) FROM ${qualified(CLONE_SCHEMA, KEY_TABLE)};`,
    '  IF keys <> 1 THEN',
    `    RAISE EXCEPTION 'clone plan refused: ${CLONE_SCHEMA}.${KEY_TABLE} must hold exactly one key, holds %', keys;`,
    '  END IF;',
    'END;',
    '$$ LANGUAGE plpgsql',
  ].join('\n');
}

/**
 * The closure procedure: runs the `;`-separated statements it is given, in order, again and again until a round
 * adds no row (Redshift's recursive CTE allows UNION ALL only, so it cannot stop on cyclic data by itself: a loop
 * that stops when nothing is added can). A closure still adding rows after {@link MAX_CLOSURE_ROUNDS} rounds fails
 * the run rather than publish rows whose ancestors are missing. It runs with its caller's rights (the cloner's):
 * it adds no privilege, and the setup grants it to the cloner user only.
 */
function closeProcedure(): string {
  return [
    `CREATE OR REPLACE PROCEDURE ${qualified(CLONE_SCHEMA, CLOSE_PROCEDURE)}(statements VARCHAR(${MAX_VARCHAR})) AS $$`,
    'DECLARE',
    '  added INTEGER;',
    '  total INTEGER;',
    '  rounds INTEGER := 0;',
    '  i INTEGER;',
    'BEGIN',
    '  LOOP',
    '    total := 0;',
    '    i := 1;',
    "    WHILE split_part(statements, ';', i) <> '' LOOP",
    "      EXECUTE split_part(statements, ';', i);",
    '      GET DIAGNOSTICS added := ROW_COUNT;',
    '      total := total + added;',
    '      i := i + 1;',
    '    END LOOP;',
    '    EXIT WHEN total = 0;',
    '    rounds := rounds + 1;',
    `    IF rounds >= ${MAX_CLOSURE_ROUNDS} THEN`,
    `      RAISE EXCEPTION 'clone refused: the foreign key closure still adds rows after ${MAX_CLOSURE_ROUNDS} rounds (a chain of references longer than that)';`,
    '    END IF;',
    '  END LOOP;',
    'END;',
    '$$ LANGUAGE plpgsql',
  ].join('\n');
}

/** Stands for the key file's S3 URI in the Redshift key statements; the setup state machine fills it in. */
export const KEY_FILE_PLACEHOLDER = 'KITCHENSKEYFILEPLACEHOLDER';
/** The setup session's temporary table the key file is loaded into. */
export const KEY_LOAD_TABLE = 'kitchens_key_load';

/**
 * The statement that creates the hash key once on PostgreSQL (the local stand-in), inside the warehouse, from
 * gen_random_uuid() (a cryptographic generator), so it never appears in a statement text.
 */
export function keyStatement(dialect: Dialect): string {
  if (dialect !== 'postgres') {
    throw new Error('the Redshift hash key is loaded from a key file: use keyStatements');
  }
  const table = qualified(CLONE_SCHEMA, KEY_TABLE);
  const draw = () =>
    sha256Hex(
      'CAST(gen_random_uuid() AS VARCHAR(36)) || CAST(gen_random_uuid() AS VARCHAR(36)) || CAST(gen_random_uuid() AS VARCHAR(36))',
      'postgres',
    );
  return `INSERT INTO ${table} (inner_key, outer_key) SELECT ${draw()}, ${draw()} WHERE NOT EXISTS (SELECT 1 FROM ${table})`;
}

/**
 * The statements that create the hash key once. On Redshift, which has no cryptographic random source in SQL, a
 * function of the setup draws the key with Secrets Manager's random generator and writes it to the production
 * key-drop bucket under its own KMS key (lambda/clone-key); these statements COPY that file (its URI is
 * {@link KEY_FILE_PLACEHOLDER}, filled in by the setup state machine) through the warehouse's own role into a
 * temporary table of the session and insert it when no key exists yet. No statement text or parameter holds the key.
 */
export function keyStatements(dialect: Dialect, keyFileRole?: string): string[] {
  if (dialect === 'postgres') return [keyStatement('postgres')];
  if (keyFileRole === undefined) {
    throw new Error('the Redshift clone setup needs the warehouse role that reads the key file');
  }
  const table = qualified(CLONE_SCHEMA, KEY_TABLE);
  return [
    `CREATE TEMPORARY TABLE ${KEY_LOAD_TABLE} (inner_key char(64) NOT NULL, outer_key char(64) NOT NULL)`,
    `COPY ${KEY_LOAD_TABLE} FROM ${literal(KEY_FILE_PLACEHOLDER)} IAM_ROLE ${literal(keyFileRole)} FORMAT AS CSV`,
    `INSERT INTO ${table} (inner_key, outer_key) SELECT inner_key, outer_key FROM ${KEY_LOAD_TABLE} WHERE NOT EXISTS (SELECT 1 FROM ${table})`,
  ];
}

/**
 * Administrator statements run on every production deploy (idempotent): the cloner user, its SELECT-only grants
 * on exactly the plan's tables, the key table, the guard procedure and, on Redshift, ASSUMEROLE revoked from PUBLIC
 * and the UNLOAD role chain granted to the cloner user only.
 */
export function setupStatements(tables: readonly TablePlan[], options: SetupOptions): string[] {
  if (options.dialect === 'redshift' && options.unloadRoleChain === undefined) {
    throw new Error('the Redshift clone setup needs the UNLOAD role chain to grant it to the cloner user');
  }
  const user = ident(CLONER_USER);
  const schema = ident(CLONE_SCHEMA);
  const keyTable = qualified(CLONE_SCHEMA, KEY_TABLE);
  const guard = `${qualified(CLONE_SCHEMA, CHECK_PROCEDURE)}()`;
  const ensureUser = `${qualified(CLONE_SCHEMA, 'ensure_user')}()`;
  const close = `${qualified(CLONE_SCHEMA, CLOSE_PROCEDURE)}(VARCHAR)`;
  const create = options.dialect === 'redshift' ? `CREATE USER ${user} PASSWORD DISABLE` : `CREATE USER ${user}`;
  const statements = [
    `CREATE SCHEMA IF NOT EXISTS ${schema}`,
    `REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`,
    `CREATE TABLE IF NOT EXISTS ${keyTable} (inner_key char(64) NOT NULL, outer_key char(64) NOT NULL)`,
    `REVOKE ALL ON ${keyTable} FROM PUBLIC`,
    ...keyStatements(options.dialect, options.unloadRoleChain?.split(',')[0]),
    [
      `CREATE OR REPLACE PROCEDURE ${ensureUser} AS $$`,
      'DECLARE',
      '  found INTEGER;',
      'BEGIN',
      `  SELECT INTO found count(*) FROM pg_user WHERE usename = ${literal(CLONER_USER)};`,
      `  IF found = 0 THEN EXECUTE ${literal(create)}; END IF;`,
      'END;',
      '$$ LANGUAGE plpgsql',
    ].join('\n'),
    `REVOKE ALL ON PROCEDURE ${ensureUser} FROM PUBLIC`,
    `CALL ${ensureUser}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${ident(options.sourceSchema)} FROM ${user}`,
    `GRANT USAGE ON SCHEMA ${ident(options.sourceSchema)} TO ${user}`,
    `GRANT SELECT ON ${tables.map((t) => qualified(options.sourceSchema, t.name)).join(', ')} TO ${user}`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${user}`,
    `GRANT SELECT ON ${keyTable} TO ${user}`,
    guardProcedure(tables, options),
    `REVOKE ALL ON PROCEDURE ${guard} FROM PUBLIC`,
    `GRANT EXECUTE ON PROCEDURE ${guard} TO ${user}`,
    closeProcedure(),
    `REVOKE ALL ON PROCEDURE ${close} FROM PUBLIC`,
    `GRANT EXECUTE ON PROCEDURE ${close} TO ${user}`,
  ];
  if (options.dialect === 'redshift') {
    if (options.unloadRoleChain === undefined) {
      throw new Error('the Redshift clone setup needs the UNLOAD role chain to grant it to the cloner user');
    }
    statements.push(
      'REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL',
      `GRANT ASSUMEROLE ON ${literal(options.unloadRoleChain)} TO ${user} FOR UNLOAD`,
    );
  } else {
    // The local stand-in for the UNLOAD grant: writing server files (COPY ... TO a file).
    statements.push(`GRANT pg_write_server_files TO ${user}`);
  }
  return statements;
}

/** A short digest of what a table is built from; a new snapshot run or column list rebuilds the table. */
export function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** The seed's state table in the Kitchen schema (the schema itself is created with the Kitchen). */
export function createStateStatements(targetSchema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(targetSchema, STATE_TABLE)} (table_name varchar(127) NOT NULL, fingerprint varchar(64) NOT NULL, row_count bigint NOT NULL)`,
  ];
}

function importStatement(
  target: string,
  from: string,
  location: SnapshotLocation,
  format: 'table' | 'columns',
): string {
  if (location.kind === 'directory') {
    return `COPY ${target} FROM ${literal(from)} WITH (FORMAT csv)`;
  }
  const how = format === 'table' ? 'FORMAT AS PARQUET' : 'FORMAT AS CSV';
  return `COPY ${target} FROM ${literal(from)} IAM_ROLE ${literal(location.roleChain)} ${how}`;
}

/** Loads the snapshot's column list into a staging table of the Kitchen schema (one transaction). */
export function stageColumnsStatements(targetSchema: string, location: SnapshotLocation, run: string): string[] {
  const staging = qualified(targetSchema, COLUMNS_TABLE);
  return [
    `DROP TABLE IF EXISTS ${staging}`,
    `CREATE TABLE ${staging} (table_name varchar(128) NOT NULL, column_name varchar(128) NOT NULL, ordinal_position integer NOT NULL, masked_type varchar(128) NOT NULL)`,
    importStatement(staging, columnsLocation(location, checkRun(run)), location, 'columns'),
  ];
}

export interface SnapshotColumn {
  readonly name: string;
  readonly type: string;
}

const TYPE_PATTERN = /^[a-z][a-z ]{0,60}(\([0-9]{1,5}(,[0-9]{1,5})?\))?$/;

/** One transaction in the Kitchen's warehouse that rebuilds a table from the snapshot (server-side COPY). */
export function seedStatements(
  table: string,
  columns: readonly SnapshotColumn[],
  targetSchema: string,
  location: SnapshotLocation,
  run: string,
  print: string,
): string[] {
  for (const c of columns) {
    if (!TYPE_PATTERN.test(c.type)) {
      throw new Error(
        `snapshot column ${table}.${c.name} has a type this cloner does not create, got: ${JSON.stringify(c.type)}`,
      );
    }
  }
  const target = qualified(targetSchema, table);
  return [
    `DROP TABLE IF EXISTS ${target}`,
    `CREATE TABLE ${target} (${columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`,
    importStatement(target, tableLocation(location, checkRun(run), table), location, 'table'),
    `DELETE FROM ${qualified(targetSchema, STATE_TABLE)} WHERE table_name = ${literal(table)}`,
    `INSERT INTO ${qualified(targetSchema, STATE_TABLE)} (table_name, fingerprint, row_count) ` +
      `SELECT ${literal(table)}, ${literal(print)}, count(*) FROM ${target}`,
  ];
}
