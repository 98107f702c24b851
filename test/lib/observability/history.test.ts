import { type HistoryRow, summarizeRuns } from '../../../lib/observability/history';

const row = (runId: string, test: string, level: string, status: string): HistoryRow => ({
  runId,
  step: 'load',
  test,
  level,
  status,
  value: status === 'errored' ? null : 1,
  expectation: null,
  recordedAt: '2026-11-28T10:00:00.000Z',
});

describe('summarizeRuns', () => {
  // The statuses a run records (lib/pipeline/sql.ts): passed, failed, errored (the test query itself failed).
  it('should follow the pipeline outcome rule: an errored test warns, an error-level test that did not pass fails', () => {
    const runs = summarizeRuns([
      row('r1', 'count', 'error', 'passed'),
      row('r1', 'volume', 'warning', 'passed'),
      row('r2', 'count', 'error', 'passed'),
      row('r2', 'freshness', 'log', 'errored'),
      row('r3', 'count', 'error', 'passed'),
      row('r3', 'volume', 'warning', 'failed'),
      row('r4', 'count', 'error', 'errored'),
      row('r5', 'count', 'error', 'failed'),
      row('r5', 'volume', 'warning', 'errored'),
    ]);
    expect(runs.map((r) => [r.runId, r.outcome, r.failed, r.warned])).toStrictEqual([
      ['r1', 'passed', [], []],
      ['r2', 'warned', [], ['load / freshness']],
      ['r3', 'warned', [], ['load / volume']],
      ['r4', 'failed', ['load / count'], []],
      ['r5', 'failed', ['load / count'], ['load / volume']],
    ]);
  });
});
