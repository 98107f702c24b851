/**
 * Checks step and test SQL when a pipeline is loaded, before anything is compiled: one statement per entry, and for
 * a test a query that returns one column and ends where the SQL that records its result can wrap it (no terminating
 * `;`, no trailing `--` comment). A lexical scan (strings, quoted identifiers, comments, dollar quotes) finds
 * statements and terminators in any SQL, and settles the column count of a plain `SELECT <one column> ...`; the
 * PostgreSQL grammar of pgsql-ast-parser reads what it can of the other test queries to count their columns. Redshift SQL the parser cannot read (COPY, UNLOAD, DISTKEY, QUALIFY, ...) is not rejected for
 * that: it gets the lexical checks only (see docs/pipelines.md, "SQL checks").
 */
import type { Statement } from 'pgsql-ast-parser';

/** What the lexical scan found in one SQL text. */
export interface SqlScan {
  /** Non-empty statements, separated by `;` outside strings, quoted identifiers and comments. */
  readonly statements: number;
  /** The text ends with `;` (after the last statement; whitespace and comments may follow). */
  readonly terminated: boolean;
  /** The text ends inside a `--` comment. */
  readonly trailingLineComment: boolean;
  /** What is left open at the end: a string, a quoted identifier, a block comment or a dollar-quoted string. */
  readonly unterminated?: 'string' | 'quoted identifier' | 'block comment' | 'dollar-quoted string';
}

/** Scans SQL text lexically (the Redshift and PostgreSQL rules for strings, identifiers and comments). */
export function scanSql(text: string): SqlScan {
  return lexSql(text).scan;
}

/**
 * The lexical scan, and the text as code: strings, quoted identifiers and comments blanked to spaces (same
 * length), so keywords, commas and parentheses in it are the statement's own.
 */
function lexSql(text: string): { readonly scan: SqlScan; readonly code: string } {
  let statements = 0;
  let content = false; // the current statement has something besides whitespace and comments
  let terminated = false;
  let trailingLineComment = false;
  let code = '';
  let i = 0;
  const n = text.length;
  const blank = (to: number) => {
    code += ' '.repeat(Math.min(to, n) - i);
    i = Math.min(to, n);
  };
  const open = (unterminated: SqlScan['unterminated']) => ({
    scan: { statements, terminated, trailingLineComment, unterminated },
    code,
  });
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    trailingLineComment = false;
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      if (end < 0) {
        trailingLineComment = true;
        blank(n);
        break;
      }
      blank(end + 1);
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (text[j] === '/' && text[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (text[j] === '*' && text[j + 1] === '/') {
          depth--;
          j += 2;
        } else {
          j++;
        }
      }
      blank(j);
      if (depth > 0) return open('block comment');
      continue;
    }
    if (/\s/.test(c)) {
      code += c;
      i++;
      continue;
    }
    if (c === ';') {
      if (content) statements++;
      content = false;
      terminated = true;
      code += c;
      i++;
      continue;
    }
    content = true;
    terminated = false;
    if (c === "'" || c === '"') {
      // '' and "" escape the quote; a backslash escapes in Redshift strings.
      let j = i + 1;
      for (;;) {
        if (j >= n) {
          blank(n);
          return open(c === "'" ? 'string' : 'quoted identifier');
        }
        if (c === "'" && text[j] === '\\') j += 2;
        else if (text[j] === c && text[j + 1] === c) j += 2;
        else if (text[j] === c) break;
        else j++;
      }
      // A quoted identifier stays a name in the code (its quotes kept, its text blanked).
      code += c;
      i++;
      blank(j);
      code += c;
      i++;
      continue;
    }
    if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        if (end < 0) {
          blank(n);
          return open('dollar-quoted string');
        }
        code += "'";
        i++;
        blank(end + tag[0].length - 1);
        code += "'";
        i++;
        continue;
      }
    }
    code += c;
    i++;
  }
  if (content) statements++;
  return { scan: { statements, terminated, trailingLineComment }, code };
}

type Parse = (sql: string) => Statement[];
let parser: Parse | undefined;

/** The parser, loaded on first use (about 0.1 s): pipelines whose test queries the lexical scan settles never load it. */
function parse(sql: string): Statement[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  parser ??= (require('pgsql-ast-parser') as typeof import('pgsql-ast-parser')).parse;
  return parser(sql);
}

/** `{{ name }}` -> an identifier, so templates parse as the SQL they render to. */
const withoutVariables = (sql: string) => sql.replace(/\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}/g, 'kitchens_variable');

/** The statement the parser reads, or undefined when it cannot read the text (valid Redshift SQL included). */
export function parseSql(sql: string): Statement | undefined {
  try {
    const statements = parse(withoutVariables(sql));
    return statements.length === 1 ? statements[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Columns a query returns; undefined when unknown (`*`) or not a query. */
function resultColumns(statement: Statement): number | 'star' | undefined {
  switch (statement.type) {
    case 'select': {
      const columns = statement.columns ?? [];
      return columns.some((c) => c.expr.type === 'ref' && c.expr.name === '*') ? 'star' : columns.length;
    }
    case 'union':
    case 'union all':
      return resultColumns(statement.left);
    case 'with':
    case 'with recursive':
      return resultColumns(statement.in);
    case 'values':
      return statement.values[0]?.length;
    default:
      return undefined;
  }
}

/** Keywords that end or stand in for a select list: a query starting `SELECT <one of these>` is not settled lexically. */
const NOT_A_COLUMN = new Set([
  'from',
  'where',
  'group',
  'having',
  'order',
  'limit',
  'offset',
  'union',
  'intersect',
  'except',
  'into',
  'window',
  'fetch',
  'for',
]);

/**
 * Whether the lexical scan alone settles that a test query returns one column, so the parser need not load: the
 * code starts with SELECT (after DISTINCT or ALL) and a column, and has no comma, `*` or `[` outside parentheses.
 * Without a top-level comma the select list is one item, and without a top-level `*` it is not `*` or `t.*`; the
 * parser then reads one column or cannot read the text, and the check passes either way. Anything else (WITH,
 * VALUES, several columns, `*`, arrays) goes to the parser. test/lib/pipeline/sql-check.test.ts holds the parser
 * to this on generated queries.
 */
export function oneColumnByLexing(sql: string): boolean {
  const { scan, code } = lexSql(withoutVariables(sql));
  if (scan.unterminated || scan.statements !== 1) return false;
  const head = /^\s*select\s+/i.exec(code);
  if (!head) return false;
  const list = code.slice(head[0].length).replace(/^(?:distinct|all)\b\s*/i, '');
  const first = /^[a-z_]+/i.exec(list)?.[0];
  if (!/^[^\s;]/.test(list) || (first !== undefined && NOT_A_COLUMN.has(first.toLowerCase()))) return false;
  let depth = 0;
  for (const c of code.replace(/;\s*$/, '')) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth <= 0 && (c === ',' || c === '*' || c === '[' || c === ';')) return false;
  }
  return true;
}

const QUERY_TYPES = new Set(['select', 'union', 'union all', 'with', 'with recursive', 'values']);

const shown = (sql: string) => JSON.stringify(sql.length > 120 ? `${sql.slice(0, 117)}...` : sql);

/**
 * Problems of one SQL text. `where` names it (`steps[2].tests[0].query (test "row count" of step "load")`).
 * Step SQL: one statement (a terminating `;` is allowed). Test queries: one statement, no terminating `;` or
 * trailing `--` comment, and when the parser reads it, a query (SELECT, WITH, UNION, VALUES) with one column.
 */
export function sqlProblems(sql: string, kind: 'step' | 'test', prefix: string): string[] {
  const scan = scanSql(sql);
  if (scan.unterminated) {
    return [`${prefix} has an unterminated ${scan.unterminated}, got: ${shown(sql)}`];
  }
  if (scan.statements === 0) {
    return [`${prefix} must be a SQL statement, got only whitespace and comments: ${shown(sql)}`];
  }
  if (scan.statements > 1) {
    return [
      `${prefix} must be one SQL statement, got ${scan.statements} statements separated by ';'` +
        `${kind === 'step' ? ' (list several statements as sql: [..., ...]; they run in one transaction)' : ''}: ${shown(sql)}`,
    ];
  }
  if (kind === 'step') return [];
  const problems: string[] = [];
  if (scan.terminated) {
    problems.push(
      `${prefix} must not end with ';' (the query is wrapped in the SQL that records its result), got: ${shown(sql)}`,
    );
  }
  if (scan.trailingLineComment) {
    problems.push(
      `${prefix} must not end with a -- comment (it would comment out the SQL that wraps the query); use /* ... */ or ` +
        `end the comment with a line break, got: ${shown(sql)}`,
    );
  }
  if (!oneColumnByLexing(sql)) problems.push(...queryShapeProblems(sql, prefix));
  return problems;
}

/**
 * What the parser finds wrong with a test query's shape: not a query, or not one column. Nothing when the parser
 * cannot read the text (valid Redshift SQL included).
 */
export function queryShapeProblems(sql: string, prefix: string): string[] {
  const statement = parseSql(sql.replace(/;\s*$/, ''));
  if (!statement) return [];
  if (!QUERY_TYPES.has(statement.type)) {
    return [
      `${prefix} must be a query (SELECT ...) that returns one value, got a ${statement.type.toUpperCase()} statement: ${shown(sql)}`,
    ];
  }
  const columns = resultColumns(statement);
  if (columns === 'star') return [`${prefix} must return one column (one value), got SELECT *: ${shown(sql)}`];
  if (columns !== undefined && columns !== 1) {
    return [`${prefix} must return one column (one value), got ${columns} columns: ${shown(sql)}`];
  }
  return [];
}
