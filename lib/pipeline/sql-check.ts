/**
 * Checks step and test SQL when a pipeline is loaded, before anything is compiled: one statement per entry, and for
 * a test a query that returns one column and ends where the SQL that records its result can wrap it (no terminating
 * `;`, no trailing `--` comment). A lexical scan (strings, quoted identifiers, comments, dollar quotes) finds
 * statements and terminators in any SQL; the PostgreSQL grammar of pgsql-ast-parser then reads what it can to count
 * a test's columns. Redshift SQL the parser cannot read (COPY, UNLOAD, DISTKEY, QUALIFY, ...) is not rejected for
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
  let statements = 0;
  let content = false; // the current statement has something besides whitespace and comments
  let terminated = false;
  let trailingLineComment = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    trailingLineComment = false;
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      if (end < 0) {
        trailingLineComment = true;
        break;
      }
      i = end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      if (depth > 0) return { statements, terminated, trailingLineComment, unterminated: 'block comment' };
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === ';') {
      if (content) statements++;
      content = false;
      terminated = true;
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
          return {
            statements,
            terminated,
            trailingLineComment,
            unterminated: c === "'" ? 'string' : 'quoted identifier',
          };
        }
        if (c === "'" && text[j] === '\\') j += 2;
        else if (text[j] === c && text[j + 1] === c) j += 2;
        else if (text[j] === c) break;
        else j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        if (end < 0) return { statements, terminated, trailingLineComment, unterminated: 'dollar-quoted string' };
        i = end + tag[0].length;
        continue;
      }
    }
    i++;
  }
  if (content) statements++;
  return { statements, terminated, trailingLineComment };
}

type Parse = (sql: string) => Statement[];
let parser: Parse | undefined;

/** The parser, loaded on first use (it takes about 0.1 s to load; commands that load no pipeline never pay). */
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
  const statement = parseSql(sql.replace(/;\s*$/, ''));
  if (statement) {
    if (!QUERY_TYPES.has(statement.type)) {
      problems.push(
        `${prefix} must be a query (SELECT ...) that returns one value, got a ${statement.type.toUpperCase()} statement: ${shown(sql)}`,
      );
    } else {
      const columns = resultColumns(statement);
      if (columns === 'star') {
        problems.push(`${prefix} must return one column (one value), got SELECT *: ${shown(sql)}`);
      } else if (columns !== undefined && columns !== 1) {
        problems.push(`${prefix} must return one column (one value), got ${columns} columns: ${shown(sql)}`);
      }
    }
  }
  return problems;
}
