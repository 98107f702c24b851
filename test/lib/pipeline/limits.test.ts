import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { planSteps } from '../../../lib/pipeline/graph';
import { historyEventBound, limitProblems, stepEvents, testEvents } from '../../../lib/pipeline/limits';
import type { PipelineDefinition } from '../../../lib/pipeline/model';

const context = { apps: ['ingest'] };
const problems = (definition: PipelineDefinition) =>
  limitProblems(definition, planSteps(definition.steps), 'analytics.kitchens_test_history');

describe('history event bound', () => {
  it('should count every poll a statement may need until its timeout', () => {
    const [step] = new PipelineBuilder('p')
      .sql('s', { sql: 'SELECT 1', timeoutMinutes: 10, pollSeconds: 60 })
      .build(context).steps;
    // Execute (5) + 10 polls of Wait, Describe, Choice and counter (11 each) + Choice (2) + failure path (11).
    expect(stepEvents(step)).toBe(5 + 10 * 11 + 2 + 11);
  });

  it('should count a test as its statement, polls, result, verdict and failure path', () => {
    const [step] = new PipelineBuilder('p')
      .container('c', {
        app: 'ingest',
        tests: [{ name: 't', query: 'SELECT 1', rule: { min: 1 }, timeoutSeconds: 50 }],
      })
      .build(context).steps;
    expect(testEvents(step.tests[0])).toBe(5 + 10 * 11 + 2 + 5 + 2 + 11);
  });

  it('fails when an execution could exceed 25,000 history events, naming the largest steps', () => {
    const builder = new PipelineBuilder('big');
    for (let i = 0; i < 20; i++) {
      builder.sql(`s${i}`, {
        sql: 'SELECT 1',
        after: i > 0 ? [`s${i - 1}`] : [],
        tests: [{ name: `t${i}`, query: 'SELECT 1', rule: { min: 1 } }],
      });
    }
    const definition = builder.build(context);
    expect(historyEventBound(definition, planSteps(definition.steps))).toBe(40739);
    expect(problems(definition)).toStrictEqual([
      'pipeline "big" (builder): an execution could record up to 40739 history events; Step Functions allows at most 25000. ' +
        "Largest steps: steps[0] (s0): 2023, steps[1] (s1): 2023, steps[2] (s2): 2023. Lower timeoutMinutes or a test's timeoutSeconds, " +
        'raise pollSeconds, lower maxObjects, or split the pipeline',
    ]);
  });

  it('should accept the same pipeline with shorter poll budgets', () => {
    const builder = new PipelineBuilder('big');
    for (let i = 0; i < 20; i++) {
      builder.sql(`s${i}`, {
        sql: 'SELECT 1',
        timeoutMinutes: 10,
        pollSeconds: 30,
        after: i > 0 ? [`s${i - 1}`] : [],
        tests: [{ name: `t${i}`, query: 'SELECT 1', rule: { min: 1 }, timeoutSeconds: 60 }],
      });
    }
    expect(problems(builder.build(context))).toStrictEqual([]);
  });
});

describe('Data API statement limit', () => {
  it('fails on a statement over 100 KB', () => {
    const definition = new PipelineBuilder('huge').sql('s', { sql: `SELECT '${'x'.repeat(102400)}'` }).build(context);
    expect(problems(definition)).toStrictEqual([
      'pipeline "huge" (builder): steps[0].sql must be at most 102400 bytes (the Redshift Data API statement limit), got: 102409 bytes',
    ]);
  });

  it('fails on a test query that is over 100 KB with the SQL that records it', () => {
    const definition = new PipelineBuilder('huge')
      .sql('s', {
        sql: 'SELECT 1',
        tests: [{ name: 'big', query: `SELECT LENGTH('${'x'.repeat(102200)}')`, rule: { min: 1 } }],
      })
      .build(context);
    // The query alone is 102,217 bytes; the INSERT that records its result adds 331.
    expect(problems(definition)).toStrictEqual([
      'pipeline "huge" (builder): steps[0].tests[0].query (with the SQL that records its result) must be at most 102400 bytes ' +
        '(the Redshift Data API statement limit), got: 102548 bytes',
    ]);
  });
});
