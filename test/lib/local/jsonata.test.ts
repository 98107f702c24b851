/** JSONata Task states as the local runner evaluates them (lib/local/jsonata.ts). */
import { evaluateTemplate, takeJsonataTask } from '../../../lib/local/jsonata';

describe('takeJsonataTask', () => {
  it('should strip a JSONata Task state to pass its input through, and return its Arguments and Output', () => {
    const state: Record<string, unknown> = {
      Type: 'Task',
      QueryLanguage: 'JSONata',
      Arguments: { Key: '{% $states.input.key %}' },
      Output: { etag: '{% $states.result.ETag %}' },
      Retry: [],
    };
    expect(takeJsonataTask('Copy', state)).toStrictEqual({
      arguments: { Key: '{% $states.input.key %}' },
      output: { etag: '{% $states.result.ETag %}' },
    });
    expect(state).toStrictEqual({ Type: 'Task', Retry: [] });
  });

  it('should leave a JSONPath state alone', () => {
    const state = { Type: 'Task', Parameters: { 'Key.$': '$.key' } };
    expect(takeJsonataTask('Copy', state)).toBeUndefined();
    expect(state).toStrictEqual({ Type: 'Task', Parameters: { 'Key.$': '$.key' } });
  });

  it('fails on the JSONata fields it does not evaluate, naming the state', () => {
    expect(() =>
      takeJsonataTask('Copy', {
        QueryLanguage: 'JSONata',
        Assign: { x: 1 },
        Catch: [{ ErrorEquals: ['States.ALL'], Output: {}, Next: 'X' }],
      }),
    ).toThrow('JSONata state "Copy" uses Assign, Catch[].Output, which the local runner does not evaluate');
  });
});

describe('evaluateTemplate', () => {
  it('should evaluate {% %} strings at any depth over $states and keep literals', async () => {
    const template = { a: '{% $states.input.n * 2 %}', b: ['{% $uppercase($states.input.s) %}', 'text', 3], c: null };
    expect(await evaluateTemplate(template, { input: { n: 21, s: 'x' } })).toStrictEqual({
      a: 42,
      b: ['X', 'text', 3],
      c: null,
    });
  });
});
