/**
 * Pipelines compared at the level a reviewer thinks in: steps and tests of the pipeline definitions (the YAML or
 * builder model, rendered for an environment or a Kitchen), not the states the compiler happens to emit. Used by
 * the promotion report (base against head) and by `kitchen align --kitchen` (a Kitchen's copies against its
 * environment's pipelines).
 */
import type { PipelineDefinition, StepDefinition, TestDefinition, TestRule } from '../pipeline/model';
import { equivalent, StringComparator } from './diff';

export type Change = 'added' | 'removed' | 'changed';

export interface FieldChange {
  readonly field: string;
  /** Readable values; `(absent)` when the field is not set on that side. */
  readonly before: string;
  readonly after: string;
}

export interface TestChange {
  readonly name: string;
  readonly change: Change;
  /** What changed in a changed test: query, rule, level, timeout. */
  readonly fields: readonly FieldChange[];
  /** Level of the test after the change (before, for a removed test). */
  readonly level: string;
}

export interface StepChange {
  readonly id: string;
  readonly name: string;
  readonly change: Change;
  readonly fields: readonly FieldChange[];
  readonly tests: readonly TestChange[];
}

export interface PipelineModelChange {
  readonly id: string;
  readonly change: Change;
  readonly fields: readonly FieldChange[];
  readonly steps: readonly StepChange[];
  /** Mermaid flowchart of the steps of both versions, changed steps styled. */
  readonly mermaid: string;
}

/** A test rule in words: `min 1`, `between 1 and 366`, `in control (k 3, last 20, min history 5)`. */
export function describeRule(rule: TestRule): string {
  switch (rule.kind) {
    case 'between':
      return `between ${rule.min} and ${rule.max}`;
    case 'in_control':
      return `in control (k ${rule.k}, last ${rule.last}, min history ${rule.minHistory})`;
    case 'not_equals':
      return `not equals ${rule.value}`;
    default:
      return `${rule.kind} ${rule.value}`;
  }
}

function shown(value: unknown): string {
  if (value === undefined) return '(absent)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const same: StringComparator = (a, b) => (a === b ? { equal: true, identity: false } : { equal: false });

function fieldChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  fields: readonly string[],
  strings: StringComparator,
  show: (field: string, value: unknown) => string = (_f, v) => shown(v),
): FieldChange[] {
  return fields
    .filter((f) => !equivalent(before[f], after[f], strings))
    .map((field) => ({ field, before: show(field, before[field]), after: show(field, after[field]) }));
}

const STEP_FIELDS = [
  'type',
  'name',
  'after',
  'app',
  'command',
  'environment',
  'statements',
  'from',
  'to',
  'maxObjects',
  'timeoutMinutes',
  'pollSeconds',
] as const;
const TEST_FIELDS = ['query', 'rule', 'level', 'timeoutSeconds'] as const;

function testChanges(before: readonly TestDefinition[], after: readonly TestDefinition[], strings: StringComparator) {
  const out: TestChange[] = [];
  const byName = (tests: readonly TestDefinition[]) => new Map(tests.map((t) => [t.name, t]));
  const a = byName(before);
  const b = byName(after);
  for (const [name, test] of b) {
    const old = a.get(name);
    if (!old) {
      out.push({ name, change: 'added', fields: [], level: test.level });
      continue;
    }
    const fields = fieldChanges(
      old as unknown as Record<string, unknown>,
      test as unknown as Record<string, unknown>,
      TEST_FIELDS,
      strings,
      (field, value) => (field === 'rule' && value ? describeRule(value as TestRule) : shown(value)),
    );
    if (fields.length > 0) out.push({ name, change: 'changed', fields, level: test.level });
  }
  for (const [name, test] of a) if (!b.has(name)) out.push({ name, change: 'removed', fields: [], level: test.level });
  return out;
}

/**
 * Step- and test-level differences of two versions of one pipeline. `strings` decides when two texts are the same
 * (a Kitchen's schema and prefix against its environment's); by default they must be equal.
 */
export function diffPipeline(
  before: PipelineDefinition | undefined,
  after: PipelineDefinition | undefined,
  strings: StringComparator = same,
): PipelineModelChange | undefined {
  const id = (after ?? before)!.id;
  const stepsBefore = new Map((before?.steps ?? []).map((s) => [s.id, s]));
  const stepsAfter = new Map((after?.steps ?? []).map((s) => [s.id, s]));
  const steps: StepChange[] = [];
  for (const [stepId, step] of stepsAfter) {
    const old = stepsBefore.get(stepId);
    if (!old) {
      steps.push({
        id: stepId,
        name: step.name,
        change: 'added',
        fields: [],
        tests: testChanges([], step.tests, strings),
      });
      continue;
    }
    const fields = fieldChanges(
      old as unknown as Record<string, unknown>,
      step as unknown as Record<string, unknown>,
      STEP_FIELDS,
      strings,
    );
    const tests = testChanges(old.tests, step.tests, strings);
    if (fields.length > 0 || tests.length > 0)
      steps.push({ id: stepId, name: step.name, change: 'changed', fields, tests });
  }
  for (const [stepId, step] of stepsBefore) {
    if (!stepsAfter.has(stepId))
      steps.push({
        id: stepId,
        name: step.name,
        change: 'removed',
        fields: [],
        tests: testChanges(step.tests, [], strings),
      });
  }
  const fields =
    before && after
      ? fieldChanges(
          before as unknown as Record<string, unknown>,
          after as unknown as Record<string, unknown>,
          ['schedule', 'description'],
          strings,
        )
      : [];
  if (before && after && steps.length === 0 && fields.length === 0) return undefined;
  const change: Change = !before ? 'added' : !after ? 'removed' : 'changed';
  return { id, change, fields, steps, mermaid: stepMermaid(before, after, steps) };
}

/** Every pipeline of two versions compared by id; unchanged pipelines are left out. */
export function diffPipelines(
  before: readonly PipelineDefinition[],
  after: readonly PipelineDefinition[],
  strings: StringComparator = same,
): PipelineModelChange[] {
  const a = new Map(before.map((p) => [p.id, p]));
  const b = new Map(after.map((p) => [p.id, p]));
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort();
  return ids.map((id) => diffPipeline(a.get(id), b.get(id), strings)).filter((c) => c !== undefined);
}

/** Escapes text for a Mermaid quoted label: quotes and markup characters become entity codes. */
export function mermaidText(text: string): string {
  return text.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}

/**
 * A Mermaid flowchart of a pipeline's steps: the union of both versions, dependencies as arrows (removed ones
 * dashed and crossed, added ones thick), steps styled added / removed / changed, each with its test count.
 */
export function stepMermaid(
  before: PipelineDefinition | undefined,
  after: PipelineDefinition | undefined,
  changes: readonly StepChange[],
): string {
  const ids = new Map<string, string>();
  const steps = new Map<string, StepDefinition>([
    ...(before?.steps ?? []).map((s) => [s.id, s] as const),
    ...(after?.steps ?? []).map((s) => [s.id, s] as const),
  ]);
  const lines = ['flowchart TD', '  start(("Start"))', '  finish(("End"))'];
  for (const [stepId, step] of steps) {
    const node = `s${ids.size}`;
    ids.set(stepId, node);
    const tests = step.tests.length;
    lines.push(`  ${node}["${mermaidText(step.name)}<br/>${step.type}, ${tests} test${tests === 1 ? '' : 's'}"]`);
  }
  const edges = (p: PipelineDefinition | undefined) => {
    const out = new Set<string>();
    if (!p) return out;
    const dependedOn = new Set(p.steps.flatMap((s) => s.after));
    for (const s of p.steps) {
      if (s.after.length === 0) out.add(`start\u0000${s.id}`);
      for (const a of s.after) out.add(`${a}\u0000${s.id}`);
      if (!dependedOn.has(s.id)) out.add(`${s.id}\u0000finish`);
    }
    return out;
  };
  const eb = edges(before);
  const ea = edges(after);
  const node = (key: string) => (key === 'start' || key === 'finish' ? key : ids.get(key)!);
  const linkStyles: string[] = [];
  let index = 0;
  for (const key of [...new Set([...ea, ...eb])]) {
    const [from, to] = key.split('\u0000');
    if (ea.has(key) && eb.has(key)) lines.push(`  ${node(from)} --> ${node(to)}`);
    else if (ea.has(key)) {
      lines.push(`  ${node(from)} ==> ${node(to)}`);
      if (before) linkStyles.push(`  linkStyle ${index} stroke:#1a7f37,stroke-width:3px`);
    } else {
      lines.push(`  ${node(from)} -.-x ${node(to)}`);
      linkStyles.push(`  linkStyle ${index} stroke:#cf222e,stroke-dasharray:5 5`);
    }
    index++;
  }
  lines.push(...linkStyles);
  lines.push(
    '  classDef added fill:#d4f7d4,stroke:#1a7f37,stroke-width:2px',
    '  classDef removed fill:#ffd7d5,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5',
    '  classDef changed fill:#fff3c4,stroke:#9a6700,stroke-width:2px',
  );
  for (const kind of ['added', 'removed', 'changed'] as const) {
    const members = changes.filter((c) => c.change === kind).map((c) => ids.get(c.id)!);
    if (members.length > 0) lines.push(`  class ${members.join(',')} ${kind}`);
  }
  return lines.join('\n');
}
