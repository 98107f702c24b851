/**
 * The lexical fast path of the test-query check: when the scan settles that a query returns one column, the parser
 * is not consulted (nor loaded). Generated queries hold the parser to that claim, and loading the bundled example's
 * pipelines must not load the parser.
 */
import * as path from 'path';
import { random } from '../../support/random';
import { oneColumnByLexing, queryShapeProblems, sqlProblems } from '../../../lib/pipeline/sql-check';

const HEADS = ['SELECT ', 'select ', 'SELECT DISTINCT ', 'SELECT ALL ', '/* head, * */ SELECT ', '-- c,*\nSELECT '];
const COLUMNS = [
  'COUNT(*)',
  'a',
  't.a',
  '*',
  't.*',
  "'x,y'",
  '"odd,name"',
  'SUM(a) / COUNT(*)',
  'a * 2',
  'ARRAY[1,2]',
  'CASE WHEN a > 0 THEN 1 ELSE 0 END',
  'COALESCE(a, 0)',
  '(a, b)',
  '$$a,b$$',
  '-1',
  'a AS "x,y"',
  '{{ value }}',
  'COUNT(DISTINCT a)',
  'NULL',
  'MAX(a)::DECIMAL(18,2)',
  "'it''s, fine'",
];
const TAILS = [
  '',
  ' FROM t',
  ' FROM {{schema}}.t',
  ' FROM t WHERE a IN (1, 2)',
  ' FROM t, u',
  ' FROM t UNION SELECT b FROM u',
  ' FROM t UNION SELECT b, c FROM u',
  ' FROM t /* , * */',
  ' FROM t ORDER BY a, b',
  ' FROM t LIMIT 1',
  " FROM t WHERE s = 'a;b'",
  ' FROM t GROUP BY a HAVING COUNT(*) > 1',
];

function generated(seed: number, count: number): string[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  return Array.from({ length: count }, () => {
    const width = next() < 0.08 ? 0 : next() < 0.6 ? 1 : 2 + Math.floor(next() * 2);
    const columns = Array.from({ length: width }, () => pick(COLUMNS)).join(next() < 0.5 ? ', ' : ' ,');
    return `${pick(HEADS)}${columns}${pick(TAILS)}`;
  });
}

describe('oneColumnByLexing', () => {
  it('should only settle queries the parser reads as one column or cannot read (2,000 generated queries)', () => {
    const queries = generated(15_2026, 2000);
    const settled = queries.filter(oneColumnByLexing);
    const disagreements = settled.filter((sql) => queryShapeProblems(sql, 'q').length > 0);
    expect(disagreements).toStrictEqual([]);
    // The generator covers both sides: many queries settle lexically, and the parser refuses many of the rest.
    expect(settled.length).toBeGreaterThan(300);
    const refused = queries.filter((sql) => !oneColumnByLexing(sql) && queryShapeProblems(sql, 'q').length > 0);
    expect(refused.length).toBeGreaterThan(300);
  });

  it('should leave several columns, SELECT *, an empty select list and other statements to the parser', () => {
    for (const sql of [
      'SELECT a, b FROM t',
      'SELECT * FROM t',
      'SELECT t.* FROM t',
      'SELECT FROM t',
      'SELECT DISTINCT FROM t',
      'WITH x AS (SELECT 1) SELECT a FROM x',
      'VALUES (1)',
      'DELETE FROM t',
      'SELECT a FROM t; SELECT b FROM t',
    ]) {
      expect([sql, oneColumnByLexing(sql)]).toStrictEqual([sql, false]);
    }
    expect(sqlProblems('SELECT FROM t', 'test', 'q')).toStrictEqual([
      'q must return one column (one value), got 0 columns: "SELECT FROM t"',
    ]);
  });

  it('should settle one column whatever strings, quoted names, comments and parentheses hold', () => {
    for (const sql of [
      'SELECT COUNT(*) FROM {{schema}}.orders',
      "SELECT COUNT(*) FROM t WHERE note = 'a, b, *'",
      'SELECT "a,b" FROM t /* , * */',
      'SELECT COALESCE(SUM(a), 0) FROM t WHERE id IN (1, 2, 3)',
      'SELECT DISTINCT ON (a, b) c FROM t',
      'SELECT CAST(SUM(CASE WHEN customer_id IS NULL THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / COUNT(*) FROM t',
    ]) {
      expect([sql, oneColumnByLexing(sql)]).toStrictEqual([sql, true]);
    }
  });
});

describe('the parser at load', () => {
  it('should not load for the bundled example, and should load for a query only it can judge', () => {
    let loaded = 0;
    jest.isolateModules(() => {
      jest.doMock('pgsql-ast-parser', () => {
        loaded++;
        return jest.requireActual('pgsql-ast-parser');
      });
      /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module registry for this test */
      const { loadConfig } = require('../../../lib/config') as typeof import('../../../lib/config');
      const { loadPipelines } = require('../../../lib/app') as typeof import('../../../lib/app');
      const check = require('../../../lib/pipeline/sql-check') as typeof import('../../../lib/pipeline/sql-check');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const config = loadConfig(path.join(__dirname, '../../../kitchens.config.yaml'));
      expect(loadPipelines(config).flatMap((p) => p.steps.flatMap((s) => s.tests)).length).toBeGreaterThan(5);
      expect(loaded).toBe(0);
      expect(check.sqlProblems('SELECT a, b FROM t', 'test', 'q')).toStrictEqual([
        'q must return one column (one value), got 2 columns: "SELECT a, b FROM t"',
      ]);
      expect(loaded).toBe(1);
    });
  });
});
