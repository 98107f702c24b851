/**
 * Turns a schema-valid raw pipeline into the model and checks what spans fields: step types, duplicate ids and
 * names, `after` references, cycles (the cycle is printed), container apps, the pipeline id, and variables.
 */
import { ID_PATTERN, PIPELINE_ID_MAX } from '../naming';
import { describeValue } from '../config/errors';
import type {
  DataLakeLocation,
  PipelineContext,
  PipelineDefinition,
  StepDefinition,
  TestDefinition,
  TestRule,
} from './model';
import { RawPipeline, RawStep, RawTest, REQUIRED_TYPE_FIELDS, RULE_KINDS, TYPE_FIELDS } from './schema';
import { sqlProblems } from './sql-check';
import { STANDARD_VARIABLES, variableProblems } from './variables';

export const DEFAULTS = {
  testLevel: 'error',
  testTimeoutSeconds: 300,
  sqlTimeoutMinutes: 30,
  sqlPollSeconds: 60,
  containerTimeoutMinutes: 120,
  copyTimeoutMinutes: 30,
  copyMaxObjects: 100,
  inControlK: 3,
  inControlLast: 20,
  inControlMinHistory: 5,
  inControlTolerance: 0,
  inControlRelativeTolerance: 0.01,
} as const;

const REQUIRED_FIELD_DESCRIPTIONS: Record<string, string> = {
  app: 'the name of a container app',
  sql: 'a SQL statement or a list of SQL statements',
  from: 'a location such as { bucket: landing, prefix: orders/ }',
  to: 'a location such as { bucket: raw }',
};

/** State names the compiler gives its own states; steps cannot take them. */
export const RESERVED_STATE_NAMES = ['report results', 'prepare test history'];

/**
 * The key of a test's result in the run output (`$.tests.<key>`): `orders row count` -> `orders_row_count`. Two tests
 * whose names give the same key are refused (see `pipelineProblems`), so no result overwrites another.
 */
export function testResultKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Returns a readable name for a step id: `load-raw` -> `Load raw`. */
export function readableName(id: string): string {
  const words = id.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function toRule(raw: RawTest['rule']): TestRule {
  if (raw.equals !== undefined) return { kind: 'equals', value: raw.equals };
  if (raw.not_equals !== undefined) return { kind: 'not_equals', value: raw.not_equals };
  if (raw.min !== undefined) return { kind: 'min', value: raw.min };
  if (raw.max !== undefined) return { kind: 'max', value: raw.max };
  if (raw.between !== undefined) return { kind: 'between', min: raw.between[0], max: raw.between[1] };
  const options = raw.in_control === true || raw.in_control === undefined ? {} : raw.in_control;
  return {
    kind: 'in_control',
    k: options.k ?? DEFAULTS.inControlK,
    last: options.last ?? DEFAULTS.inControlLast,
    minHistory: options.min_history ?? DEFAULTS.inControlMinHistory,
    tolerance: options.tolerance ?? DEFAULTS.inControlTolerance,
    relativeTolerance: options.relative_tolerance ?? DEFAULTS.inControlRelativeTolerance,
  };
}

function toTest(raw: RawTest): TestDefinition {
  return {
    name: raw.name,
    query: raw.query.trim(),
    rule: toRule(raw.rule),
    level: (raw.level ?? DEFAULTS.testLevel) as TestDefinition['level'],
    timeoutSeconds: raw.timeoutSeconds ?? DEFAULTS.testTimeoutSeconds,
  };
}

function toStep(raw: RawStep): StepDefinition {
  const base = {
    id: raw.id,
    name: raw.name ?? readableName(raw.id),
    after: raw.after ?? [],
    tests: (raw.tests ?? []).map(toTest),
  };
  switch (raw.type) {
    case 'container':
      return {
        ...base,
        type: 'container',
        app: raw.app!,
        command: raw.command,
        environment: raw.environment ?? {},
        timeoutMinutes: raw.timeoutMinutes ?? DEFAULTS.containerTimeoutMinutes,
      };
    case 'sql':
      return {
        ...base,
        type: 'sql',
        statements: (typeof raw.sql === 'string' ? [raw.sql] : raw.sql!).map((s) => s.trim()),
        pollSeconds: raw.pollSeconds ?? DEFAULTS.sqlPollSeconds,
        timeoutMinutes: raw.timeoutMinutes ?? DEFAULTS.sqlTimeoutMinutes,
      };
    case 'copy':
      return {
        ...base,
        type: 'copy',
        from: raw.from as DataLakeLocation,
        to: raw.to as { bucket: DataLakeLocation['bucket'] },
        maxObjects: raw.maxObjects ?? DEFAULTS.copyMaxObjects,
        timeoutMinutes: raw.timeoutMinutes ?? DEFAULTS.copyTimeoutMinutes,
      };
  }
}

/** Finds one cycle in `after` edges and returns it as a path of step ids that ends where it starts. */
export function findCycle(
  steps: readonly { readonly id: string; readonly after: readonly string[] }[],
): string[] | undefined {
  const after = new Map(steps.map((s) => [s.id, s.after]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of after.get(id) ?? []) {
      if (!after.has(dep)) continue;
      if (state.get(dep) === 'visiting') {
        // The path runs from `dep` to `id` through `after`; print it in execution order (dependency first).
        const cycle = stack.slice(stack.indexOf(dep));
        return [...cycle, dep].reverse();
      }
      if (!state.has(dep)) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const step of steps) {
    if (!state.has(step.id)) {
      const found = visit(step.id);
      if (found) return found;
    }
  }
  return undefined;
}

/** Every piece of user text in a raw step with its path, for variable checks. */
function textsOf(step: RawStep, at: string): [string, string][] {
  const texts: [string, string][] = [];
  if (typeof step.sql === 'string') texts.push([`${at}.sql`, step.sql]);
  if (Array.isArray(step.sql)) step.sql.forEach((s, i) => texts.push([`${at}.sql[${i}]`, s]));
  step.command?.forEach((c, i) => texts.push([`${at}.command[${i}]`, c]));
  Object.entries(step.environment ?? {}).forEach(([k, v]) => texts.push([`${at}.environment.${k}`, v]));
  if (step.from) texts.push([`${at}.from.prefix`, step.from.prefix]);
  step.tests?.forEach((t, i) => texts.push([`${at}.tests[${i}].query`, t.query]));
  return texts;
}

/** Cross-field problems of a schema-valid pipeline, each naming source, path, value and what is allowed. */
export function pipelineProblems(source: string, raw: RawPipeline, context: PipelineContext): string[] {
  const problems: string[] = [];
  if (!ID_PATTERN.test(raw.id) || raw.id.length > PIPELINE_ID_MAX) {
    problems.push(
      `${source}: id must be lowercase letters, digits and single hyphens, starting with a letter, at most ` +
        `${PIPELINE_ID_MAX} characters, got: ${describeValue(raw.id)}`,
    );
  }
  const allowedVariables = context.variables ?? STANDARD_VARIABLES;
  const ids = new Map<string, number>();
  const names = new Map<string, string>();
  const testNames = new Map<string, string>();
  const resultKeys = new Map<string, { where: string; name: string }>();
  raw.steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    if (ids.has(step.id)) {
      problems.push(
        `${source}: ${at}.id must be unique, got a second ${JSON.stringify(step.id)} (first at steps[${ids.get(step.id)}])`,
      );
    } else {
      ids.set(step.id, i);
    }
    const name = step.name ?? readableName(step.id);
    if (names.has(name.toLowerCase())) {
      problems.push(
        `${source}: ${at}.name must be unique (it names states), got a second ${JSON.stringify(name)} (first at ${names.get(name.toLowerCase())})`,
      );
    } else {
      names.set(name.toLowerCase(), at);
    }
    for (const field of REQUIRED_TYPE_FIELDS[step.type]) {
      if ((step as Record<string, unknown>)[field] === undefined) {
        problems.push(
          `${source}: ${at}.${field} is required for a ${step.type} step and must be ${REQUIRED_FIELD_DESCRIPTIONS[field]}`,
        );
      }
    }
    if (RESERVED_STATE_NAMES.includes(name.toLowerCase()) || name.toLowerCase() === `start ${raw.id}`) {
      problems.push(
        `${source}: ${at}.name must not be a name the compiler uses for its own states (${RESERVED_STATE_NAMES.join(', ')}, start <pipeline id>), got: ${JSON.stringify(name)}`,
      );
    }
    const foreign = Object.entries(TYPE_FIELDS)
      .filter(([type]) => type !== step.type)
      .flatMap(([, fields]) => fields)
      .filter((field) => (step as Record<string, unknown>)[field] !== undefined);
    for (const field of foreign) {
      problems.push(
        `${source}: ${at}.${field} is not allowed on a ${step.type} step; allowed for ${step.type}: ${TYPE_FIELDS[step.type].join(', ')}`,
      );
    }
    if (step.type === 'container' && step.app !== undefined && !context.apps.includes(step.app)) {
      problems.push(
        `${source}: ${at}.app must be one of the container apps in the config (${context.apps.length > 0 ? context.apps.join(', ') : 'none declared'}), got: ${JSON.stringify(step.app)}`,
      );
    }
    (step.after ?? []).forEach((dep, j) => {
      if (dep === step.id) {
        problems.push(
          `${source}: ${at}.after[${j}] must name another step, got the step itself: ${JSON.stringify(dep)}`,
        );
      } else if (!raw.steps.some((s) => s.id === dep)) {
        problems.push(
          `${source}: ${at}.after[${j}] must name a step of this pipeline (${raw.steps.map((s) => s.id).join(', ')}), got: ${JSON.stringify(dep)}`,
        );
      }
    });
    (step.tests ?? []).forEach((test, j) => {
      const where = `${at}.tests[${j}]`;
      const kinds = RULE_KINDS.filter((k) => test.rule[k] !== undefined);
      if (kinds.length !== 1) {
        problems.push(
          `${source}: ${where}.rule must have exactly one of ${RULE_KINDS.join(', ')}, got: ${kinds.length === 0 ? 'none' : kinds.join(', ')}`,
        );
      }
      if (test.rule.between && test.rule.between[0] > test.rule.between[1]) {
        problems.push(
          `${source}: ${where}.rule.between must be [min, max] with min <= max, got: ${describeValue(test.rule.between)}`,
        );
      }
      const key = test.name.toLowerCase();
      const clash = raw.steps.findIndex((st) => (st.name ?? readableName(st.id)).toLowerCase() === key);
      if (clash >= 0) {
        problems.push(
          `${source}: ${where}.name must differ from every step name (both name states), got: ${JSON.stringify(test.name)}, the name of steps[${clash}]`,
        );
      }
      if (testNames.has(key)) {
        problems.push(
          `${source}: ${where}.name must be unique in the pipeline (it names the state "Test: ${test.name}"), got a second ${JSON.stringify(test.name)} (first at ${testNames.get(key)})`,
        );
      } else {
        testNames.set(key, where);
        const resultKey = testResultKey(test.name);
        const first = resultKeys.get(resultKey);
        if (first) {
          problems.push(
            `${source}: ${where}.name must give a result key unique in the pipeline, got ${JSON.stringify(test.name)}, ` +
              `which like ${JSON.stringify(first.name)} (${first.where}) becomes the result key ${JSON.stringify(resultKey)} ` +
              '(names are lowercased and every run of other characters than letters and digits becomes "_")',
          );
        } else {
          resultKeys.set(resultKey, { where, name: test.name });
        }
      }
    });
    if (step.from && /\{\{\s*prefix\s*\}\}/.test(step.from.prefix)) {
      problems.push(
        `${source}: ${at}.from.prefix must not use {{prefix}}: the environment's or Kitchen's data prefix is added in front of it, got: ${JSON.stringify(step.from.prefix)}`,
      );
    }
    for (const [where, text] of textsOf(step, at)) {
      problems.push(...variableProblems(source, where, text, allowedVariables));
    }
    if (typeof step.sql === 'string') {
      problems.push(...sqlProblems(step.sql, 'step', `${source}: ${at}.sql (step "${step.id}")`));
    } else {
      step.sql?.forEach((sql, j) =>
        problems.push(...sqlProblems(sql, 'step', `${source}: ${at}.sql[${j}] (step "${step.id}")`)),
      );
    }
    step.tests?.forEach((test, j) =>
      problems.push(
        ...sqlProblems(
          test.query,
          'test',
          `${source}: ${at}.tests[${j}].query (test "${test.name}" of step "${step.id}")`,
        ),
      ),
    );
  });
  if (problems.length === 0) {
    const cycle = findCycle(raw.steps.map((s) => ({ id: s.id, after: s.after ?? [] })));
    if (cycle) {
      problems.push(`${source}: steps must not form a cycle through "after", got: ${cycle.join(' -> ')}`);
    }
  }
  return problems;
}

/** Builds the model from a raw pipeline that passed the schema and `pipelineProblems`. */
export function toPipelineModel(source: string, raw: RawPipeline): PipelineDefinition {
  return {
    id: raw.id,
    description: raw.description,
    schedule: raw.schedule,
    steps: raw.steps.map(toStep),
    source,
  };
}
