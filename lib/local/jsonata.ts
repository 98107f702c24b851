/* eslint-disable @typescript-eslint/no-explicit-any -- state machine definitions (ASL) are untyped JSON */
/**
 * JSONata Task states, run locally. aws-local-stepfunctions 3 reads JSONPath states only, so the local runner turns
 * a Task state with `"QueryLanguage": "JSONata"` into a JSONPath one that passes its input through, and evaluates
 * the state's `Arguments` (and `Output`) itself with the jsonata library: `{% ... %}` strings are expressions over
 * `$states.input` (and `$states.result`), everything else is a literal, as Step Functions defines it. Other JSONata
 * fields (`Assign`, a catcher's `Output`, a JSONata machine) are refused with an error naming the state.
 */
import jsonata from 'jsonata';

/** What a JSONata Task state computes around its call. */
export interface JsonataTask {
  readonly arguments?: unknown;
  readonly output?: unknown;
}

/**
 * If `state` is a JSONata Task state, strips its JSONata fields (the state then passes its input to the local
 * handler) and returns them; otherwise undefined.
 */
export function takeJsonataTask(name: string, state: Record<string, any>): JsonataTask | undefined {
  if (state.QueryLanguage !== 'JSONata') return undefined;
  const unsupported = ['Assign', 'Items', 'ItemSelector'].filter((f) => f in state);
  if ((state.Catch ?? []).some((c: Record<string, unknown>) => 'Output' in c || 'Assign' in c)) {
    unsupported.push('Catch[].Output');
  }
  if (unsupported.length > 0) {
    throw new Error(`JSONata state "${name}" uses ${unsupported.join(', ')}, which the local runner does not evaluate`);
  }
  const task: JsonataTask = { arguments: state.Arguments, output: state.Output };
  delete state.QueryLanguage;
  delete state.Arguments;
  delete state.Output;
  return task;
}

const EXPRESSION = /^\{%([\s\S]*)%\}$/;

/** Evaluates a JSONata template: `{% expr %}` strings, in objects and arrays at any depth, with `$states` bound. */
export async function evaluateTemplate(template: unknown, states: Record<string, unknown>): Promise<unknown> {
  if (typeof template === 'string') {
    const match = EXPRESSION.exec(template.trim());
    return match ? jsonata(match[1]).evaluate({}, { states }) : template;
  }
  if (Array.isArray(template)) return Promise.all(template.map((t) => evaluateTemplate(t, states)));
  if (template !== null && typeof template === 'object') {
    const entries = await Promise.all(
      Object.entries(template).map(async ([k, v]) => [k, await evaluateTemplate(v, states)] as const),
    );
    return Object.fromEntries(entries);
  }
  return template;
}
