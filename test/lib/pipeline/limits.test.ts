import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { planSteps } from '../../../lib/pipeline/graph';
import {
  historyEventBound,
  limitProblems,
  pollPlan,
  POLL_SCHEDULE,
  sqlRunEvents,
  stepEvents,
  testEvents,
  testRunEvents,
  verdictEvents,
} from '../../../lib/pipeline/limits';
import type { PipelineDefinition } from '../../../lib/pipeline/model';

const context = { apps: ['ingest'] };
const problems = (definition: PipelineDefinition) =>
  limitProblems(definition, planSteps(definition.steps), 'analytics.kitchens_test_history');

describe('adaptive polling', () => {
  it('should poll first after 1 s, then wait 10 % of the time so far (at least 1 s), in whole seconds', () => {
    expect(POLL_SCHEDULE.slice(0, 40)).toStrictEqual([
      ...Array(20).fill(1),
      ...[2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10],
    ]);
    expect(POLL_SCHEDULE[POLL_SCHEDULE.length - 1]).toBeGreaterThanOrEqual(300);
    expect(POLL_SCHEDULE).toHaveLength(76);
  });

  // Every finish time of a statement (to the hundredth of a second) against the polls the machine makes.
  it.each([
    [1800, 60],
    [300, 30],
    [120, 5],
    [3600, 300],
    [600, 1],
  ])(
    'should notice a statement within max(1 s, 10 %% of its running time) (timeout %i s, longest wait %i s)',
    (timeout, longest) => {
      const plan = pollPlan(timeout, longest);
      // The waits the machine makes: the schedule's until the count reaches capPolls + 1, then the longest wait.
      const polls: number[] = [];
      let at = 0;
      for (let k = 0; k <= plan.maxPolls; k++) {
        at += k === 0 ? POLL_SCHEDULE[0] : k - 1 >= plan.capPolls ? longest : POLL_SCHEDULE[k];
        polls.push(at);
      }
      // The last poll is at or past the timeout; no poll is later than needed.
      expect(polls[polls.length - 1]).toBeGreaterThanOrEqual(timeout);
      expect(polls[polls.length - 2]).toBeLessThan(timeout);
      let worst = 0;
      for (let t = 1; t <= timeout * 100; t++) {
        const finished = t / 100;
        const noticed = polls.find((p) => p >= finished)!;
        const late = noticed - finished - Math.max(1, 0.1 * finished);
        worst = Math.max(worst, late);
      }
      expect(worst).toBeLessThanOrEqual(1e-9);
    },
  );

  it('should poll a default SQL step (30 min, at most every 60 s) fewer times than every 15 s did', () => {
    expect(pollPlan(1800, 60)).toStrictEqual({ pollSeconds: 60, maxPolls: 77, capPolls: 57 });
    expect(pollPlan(300, 30).maxPolls).toBe(50);
  });

  it('refuses a longest wait outside 1-300 s', () => {
    expect(() => pollPlan(60, 0)).toThrow('pollPlan: pollSeconds must be an integer from 1 to 300, got: 0');
  });
});

describe('history event bound', () => {
  it('should count a SQL step as one child Task state and its failure path, whatever its poll budget', () => {
    const [short, long] = new PipelineBuilder('p')
      .sql('s', { sql: 'SELECT 1', timeoutMinutes: 10, pollSeconds: 60 })
      .sql('l', { sql: 'SELECT 1', timeoutMinutes: 600, pollSeconds: 1 })
      .build(context).steps;
    // startExecution.sync (6) + name the failure, alert, fail (9).
    expect(stepEvents(short)).toBe(6 + 9);
    expect(stepEvents(long)).toBe(stepEvents(short));
  });

  it('should count every poll in the Run SQL child execution', () => {
    // Start and end (2), kind Choice (2), execute (5), 10 polls of Wait, Describe, Choice and counter (11 each),
    // the failure Pass (2) and Fail (2).
    expect(sqlRunEvents(10)).toBe(2 + 2 + 5 + 10 * 11 + 2 + 2);
  });

  it('should count a test as one child Task state, plus one verdict for a step with error tests', () => {
    const [step] = new PipelineBuilder('p')
      .container('c', {
        app: 'ingest',
        tests: [
          { name: 't', query: 'SELECT 1', rule: { min: 1 }, timeoutSeconds: 50 },
          { name: 'w', query: 'SELECT 1', rule: { min: 1 }, level: 'warning' },
        ],
      })
      .build(context).steps;
    // Task (6) each; the step's verdict Choice and the Pass naming a failed error test (2 each), once per step.
    expect(testEvents(step.tests[0])).toBe(6);
    expect(testEvents(step.tests[1])).toBe(6);
    expect(verdictEvents(step)).toBe(2 + 2);
    expect(verdictEvents({ ...step, tests: [step.tests[1]] })).toBe(0);
    // Start and end (2), evaluate (5), 30 polls (11 each: 20 one second apart, then 2, 2, 2, 2, 2, 3, 3, 3, 3, 4
    // seconds: 50 s), read and result record (5 + 2), the error path (7), the test's metrics: three PutMetricData
    // calls and the band Choice, then the verdict and alert Choices (15 + 2 + 4), the alert (5), two Pass states (4)
    // and the Fail (2).
    expect(testRunEvents(step.tests[0])).toBe(2 + 5 + 30 * 11 + 7 + 7 + 21 + 5 + 4 + 2);
  });

  it('fails when a Run SQL child execution could exceed 25,000 history events, naming the step', () => {
    const definition = new PipelineBuilder('big')
      .sql('slow', { sql: 'SELECT 1', timeoutMinutes: 24 * 60, pollSeconds: 1 })
      .build(context);
    expect(problems(definition)).toStrictEqual([
      'pipeline "big" (builder): steps[0] (slow) could record up to 950402 history events in its Run SQL execution ' +
        '(timeoutMinutes 1440, pollSeconds 1); Step Functions allows at most 25000. Raise pollSeconds or lower timeoutMinutes',
    ]);
  });

  it('should accept 200 sequential SQL steps with a test each with default budgets', () => {
    const builder = new PipelineBuilder('big');
    for (let i = 0; i < 200; i++) {
      builder.sql(`s${i}`, {
        sql: 'SELECT 1',
        after: i > 0 ? [`s${i - 1}`] : [],
        tests: [{ name: `t${i}`, query: 'SELECT 1', rule: { min: 1 } }],
      });
    }
    const definition = builder.build(context);
    // 200 x (SQL step 6 + failure path 9 + error test 10) + start and end (2 + 6) + the history setup and the run
    // record (6 each). The tests publish their metrics from their own child executions.
    expect(historyEventBound(definition, planSteps(definition.steps))).toBe(200 * 25 + 8 + 12);
    expect(problems(definition)).toStrictEqual([]);
  });

  it('fails when copy steps could exceed 25,000 history events in one machine, naming the largest steps', () => {
    const builder = new PipelineBuilder('copies');
    for (let i = 0; i < 5; i++) {
      builder.copy(`c${i}`, { from: { bucket: 'landing', prefix: `p${i}/` }, to: { bucket: 'raw' }, maxObjects: 1000 });
    }
    const definition = builder.build(context);
    // With the default stage weight the five copies run as three stages, each within the limit.
    expect(problems(definition)).toStrictEqual([]);
    // A stage weight that keeps them in one machine:
    expect(
      limitProblems(definition, planSteps(definition.steps), 'analytics.kitchens_test_history', 1000),
    ).toStrictEqual([
      'pipeline "copies" (builder): an execution could record up to 35146 history events; Step Functions allows at most 25000. ' +
        'Largest steps: steps[0] (c0): 7022, steps[1] (c1): 7022, steps[2] (c2): 7022. Lower maxObjects of copy steps, or split the pipeline',
    ]);
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
    // The query alone is 102,217 bytes; the INSERT that records its result adds 825.
    expect(problems(definition)).toStrictEqual([
      'pipeline "huge" (builder): steps[0].tests[0].query (with the SQL that records its result) must be at most 102400 bytes ' +
        '(the Redshift Data API statement limit), got: 103080 bytes',
    ]);
  });
});
