/**
 * SQL checks at load: a corpus of real Redshift constructs (none may be rejected), what the PostgreSQL grammar of
 * pgsql-ast-parser can read of it (pinned: docs/pipelines.md reports this list), and the texts that must be refused.
 */
import { parsePipeline } from '../../../lib/pipeline/loader';
import { parseSql, scanSql, sqlProblems } from '../../../lib/pipeline/sql-check';

/** Redshift SQL as people write it in pipelines; `query: true` marks the ones that return one value. */
const REDSHIFT: Record<string, { readonly sql: string; readonly query?: boolean }> = {
  'CTE with a window function': {
    sql: 'WITH recent AS (SELECT customer_id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at DESC) AS rn FROM {{schema}}.orders) SELECT COUNT(*) FROM recent WHERE rn = 1',
    query: true,
  },
  ':: cast': { sql: 'SELECT SUM(amount)::DECIMAL(18,2) FROM {{schema}}.orders', query: true },
  'GETDATE and DATEADD': {
    sql: 'SELECT COUNT(*) FROM {{schema}}.orders WHERE created_at > DATEADD(day, -1, GETDATE())',
    query: true,
  },
  NVL: { sql: 'SELECT NVL(SUM(amount), 0) FROM {{schema}}.orders', query: true },
  ILIKE: { sql: "SELECT COUNT(*) FROM {{schema}}.customers WHERE country ILIKE 'n%'", query: true },
  'APPROXIMATE COUNT(DISTINCT)': {
    sql: 'SELECT APPROXIMATE COUNT(DISTINCT customer_id) FROM {{schema}}.orders',
    query: true,
  },
  'LISTAGG WITHIN GROUP': {
    sql: "SELECT LISTAGG(country, ',') WITHIN GROUP (ORDER BY country) FROM {{schema}}.customers",
    query: true,
  },
  'PERCENTILE_CONT WITHIN GROUP': {
    sql: 'SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY amount) FROM {{schema}}.orders',
    query: true,
  },
  MEDIAN: { sql: 'SELECT MEDIAN(amount) FROM {{schema}}.orders', query: true },
  QUALIFY: {
    sql: 'SELECT COUNT(*) FROM {{schema}}.orders QUALIFY ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at) = 1',
    query: true,
  },
  'DATE_TRUNC and EXTRACT': {
    sql: "SELECT COUNT(DISTINCT DATE_TRUNC('day', created_at)) FROM {{schema}}.orders WHERE EXTRACT(year FROM created_at) = 2026",
    query: true,
  },
  CONVERT_TIMEZONE: {
    sql: "SELECT COUNT(*) FROM {{schema}}.orders WHERE CONVERT_TIMEZONE('UTC', 'Europe/Amsterdam', created_at) > GETDATE()",
    query: true,
  },
  DATEDIFF: { sql: 'SELECT MAX(DATEDIFF(hour, created_at, GETDATE())) FROM {{schema}}.orders', query: true },
  JSON_EXTRACT_PATH_TEXT: {
    sql: "SELECT COUNT(*) FROM {{schema}}.events WHERE JSON_EXTRACT_PATH_TEXT(payload, 'type') = 'click'",
    query: true,
  },
  'SELECT TOP': { sql: 'SELECT TOP 1 amount FROM {{schema}}.orders ORDER BY amount DESC', query: true },
  'INSERT ... SELECT': { sql: 'INSERT INTO {{schema}}.curated SELECT * FROM {{schema}}.raw WHERE amount > 0' },
  'UPDATE ... FROM': {
    sql: 'UPDATE {{schema}}.curated SET amount = r.amount FROM {{schema}}.raw r WHERE curated.id = r.id',
  },
  'DELETE ... USING': { sql: 'DELETE FROM {{schema}}.curated USING {{schema}}.raw r WHERE curated.id = r.id' },
  MERGE: {
    sql: 'MERGE INTO {{schema}}.curated USING {{schema}}.raw r ON curated.id = r.id WHEN MATCHED THEN UPDATE SET amount = r.amount WHEN NOT MATCHED THEN INSERT VALUES (r.id, r.amount)',
  },
  'CREATE TABLE ... DISTKEY SORTKEY': {
    sql: 'CREATE TABLE IF NOT EXISTS {{schema}}.orders (id BIGINT, customer_id VARCHAR(32), amount DECIMAL(18,2)) DISTKEY(customer_id) SORTKEY(id)',
  },
  'CREATE TABLE ... DISTSTYLE ALL': {
    sql: 'CREATE TABLE IF NOT EXISTS {{schema}}.countries (code CHAR(2)) DISTSTYLE ALL',
  },
  'CREATE TEMP TABLE AS': { sql: 'CREATE TEMP TABLE stage_orders AS SELECT * FROM {{schema}}.raw' },
  'COPY ... IAM_ROLE': {
    sql: "COPY {{schema}}.raw FROM 's3://{{raw_bucket}}/{{prefix}}orders/' IAM_ROLE 'arn:aws:iam::123456789012:role/load' FORMAT AS CSV IGNOREHEADER 1",
  },
  UNLOAD: {
    sql: "UNLOAD ('SELECT * FROM {{schema}}.curated WHERE note = ''a;b''') TO 's3://{{curated_bucket}}/out/' IAM_ROLE 'arn:aws:iam::123456789012:role/unload' PARQUET",
  },
  TRUNCATE: { sql: 'TRUNCATE {{schema}}.stage' },
  ANALYZE: { sql: 'ANALYZE {{schema}}.curated' },
  VACUUM: { sql: 'VACUUM {{schema}}.curated' },
};

describe('Redshift SQL at load', () => {
  it('should accept every construct of the corpus as step SQL, and every query as a test query', () => {
    for (const [name, { sql, query }] of Object.entries(REDSHIFT)) {
      expect([name, sqlProblems(sql, 'step', 'step')]).toStrictEqual([name, []]);
      if (query) expect([name, sqlProblems(sql, 'test', 'test')]).toStrictEqual([name, []]);
    }
  });

  it('pins the constructs the parser cannot read (they get the lexical checks only)', () => {
    const unread = Object.entries(REDSHIFT)
      .filter(([, { sql }]) => parseSql(sql) === undefined)
      .map(([name]) => name);
    expect(unread).toStrictEqual([
      'APPROXIMATE COUNT(DISTINCT)',
      'QUALIFY',
      'SELECT TOP',
      'DELETE ... USING',
      'MERGE',
      'CREATE TABLE ... DISTKEY SORTKEY',
      'CREATE TABLE ... DISTSTYLE ALL',
      'CREATE TEMP TABLE AS',
      'COPY ... IAM_ROLE',
      'UNLOAD',
      'ANALYZE',
      'VACUUM',
    ]);
  });
});

describe('scanSql', () => {
  it('should not count ; and -- inside strings, quoted identifiers, block comments and dollar quotes', () => {
    expect(scanSql(`SELECT 'a;b -- c', "x;y" /* ; -- */ FROM t WHERE s = 'it''s;' AND d = $$;$$`)).toStrictEqual({
      statements: 1,
      terminated: false,
      trailingLineComment: false,
    });
  });

  it('should see statements, a terminator and a trailing line comment', () => {
    expect(scanSql('SELECT 1; SELECT 2;  -- done')).toStrictEqual({
      statements: 2,
      terminated: true,
      trailingLineComment: true,
    });
    expect(scanSql('SELECT 1 -- one\n')).toStrictEqual({
      statements: 1,
      terminated: false,
      trailingLineComment: false,
    });
  });

  it('should report what is left open', () => {
    expect(scanSql("SELECT 'open").unterminated).toBe('string');
    expect(scanSql('SELECT 1 /* open').unterminated).toBe('block comment');
    expect(scanSql('SELECT "open').unterminated).toBe('quoted identifier');
  });
});

describe('SQL problems a pipeline file is refused for', () => {
  const load = (steps: unknown[]) => () =>
    parsePipeline({ id: 'sqlcheck', steps }, 'pipelines/sqlcheck.yaml', { apps: [] });
  const sqlStep = (sql: unknown, query = 'SELECT COUNT(*) FROM t') => ({
    id: 'load',
    type: 'sql',
    sql,
    tests: [{ name: 'row count', query, rule: { min: 1 } }],
  });

  it('fails on two statements in one step entry, naming the file, step and the way to list them', () => {
    expect(load([sqlStep('DELETE FROM t; INSERT INTO t SELECT 1')])).toThrow(
      'pipelines/sqlcheck.yaml: steps[0].sql (step "load") must be one SQL statement, got 2 statements separated by \';\' ' +
        '(list several statements as sql: [..., ...]; they run in one transaction): "DELETE FROM t; INSERT INTO t SELECT 1"',
    );
  });

  it('should allow a terminating ; in step SQL', () => {
    expect(load([sqlStep(['DELETE FROM t;', 'INSERT INTO t SELECT 1;'])])).not.toThrow();
  });

  it('fails on a test query that ends with ;', () => {
    expect(load([sqlStep('SELECT 1', 'SELECT COUNT(*) FROM t;')])).toThrow(
      'pipelines/sqlcheck.yaml: steps[0].tests[0].query (test "row count" of step "load") must not end with \';\' ' +
        '(the query is wrapped in the SQL that records its result), got: "SELECT COUNT(*) FROM t;"',
    );
  });

  it('fails on a test query that ends with a -- comment', () => {
    expect(load([sqlStep('SELECT 1', 'SELECT COUNT(*) FROM t -- rows')])).toThrow(
      'pipelines/sqlcheck.yaml: steps[0].tests[0].query (test "row count" of step "load") must not end with a -- comment ' +
        '(it would comment out the SQL that wraps the query); use /* ... */ or end the comment with a line break, got: ' +
        '"SELECT COUNT(*) FROM t -- rows"',
    );
  });

  it('fails on a test query with two columns, SELECT * or a statement that is not a query', () => {
    expect(load([sqlStep('SELECT 1', 'SELECT COUNT(*), MAX(id) FROM {{schema}}.t')])).toThrow(
      'pipelines/sqlcheck.yaml: steps[0].tests[0].query (test "row count" of step "load") must return one column (one value), got 2 columns: "SELECT COUNT(*), MAX(id) FROM {{schema}}.t"',
    );
    expect(load([sqlStep('SELECT 1', 'SELECT * FROM t')])).toThrow(
      'pipelines/sqlcheck.yaml: steps[0].tests[0].query (test "row count" of step "load") must return one column (one value), got SELECT *: "SELECT * FROM t"',
    );
    expect(load([sqlStep('SELECT 1', 'DELETE FROM t')])).toThrow(
      'pipelines/sqlcheck.yaml: steps[0].tests[0].query (test "row count" of step "load") must be a query (SELECT ...) that returns one value, got a DELETE statement: "DELETE FROM t"',
    );
  });

  it('fails on an unterminated string', () => {
    expect(load([sqlStep("SELECT 'x")])).toThrow(
      'pipelines/sqlcheck.yaml: steps[0].sql (step "load") has an unterminated string, got: "SELECT \'x"',
    );
  });
});
