import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { IN_CONTROL_SMALL_SAMPLE, testStatement } from '../../../lib/pipeline/sql';

describe('the in_control statement, against what Redshift accepts', () => {
  const [step] = new PipelineBuilder('spc')
    .sql('load', {
      sql: 'SELECT 1',
      tests: [{ name: 'volume', query: 'SELECT COUNT(*) FROM analytics.orders', rule: { in_control: true } }],
    })
    .build({ apps: [] }).steps;
  const statement = testStatement(step.tests[0], {
    historyTable: 'analytics.kitchens_test_history',
    pipeline: 'spc',
    step: 'load',
  });

  it('should hold its sort-based aggregates to one ORDER BY (Redshift allows one per statement)', () => {
    const orders = [...statement.matchAll(/WITHIN GROUP \(ORDER BY ([^)]+)\)/g)].map((m) => m[1]);
    expect(orders).toStrictEqual(['h.value', 'h.value', 'h.value']);
    expect(statement).toMatch(/PERCENTILE_CONT\(0\.5\) WITHIN GROUP/);
    // No MEDIAN (a second spelling of the same aggregate), LISTAGG, or the non-robust mean and standard deviation.
    expect(statement).not.toMatch(/\bMEDIAN\s*\(|\bLISTAGG\b|\bSTDDEV|\bAVG\s*\(/i);
    // The aggregates read the history table: Redshift runs PERCENTILE_CONT on compute nodes only.
    expect(statement).toMatch(/FROM \(SELECT h0\.value FROM analytics\.kitchens_test_history h0 /);
  });

  it('should widen the band for a small baseline, less as it grows', () => {
    expect(statement).toContain('(CASE b.n WHEN 1 THEN 10.6 WHEN 2 THEN 10.6');
    expect(statement).toContain('WHEN 20 THEN 1.51 ELSE 1 + 10.0 / b.n END)');
    expect(IN_CONTROL_SMALL_SAMPLE[20]).toBeLessThan(IN_CONTROL_SMALL_SAMPLE[10]);
    expect(Math.max(...Object.values(IN_CONTROL_SMALL_SAMPLE))).toBe(10.6);
  });
});
