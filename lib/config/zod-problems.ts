/**
 * Turns zod issues into the messages every input file of cdk-kitchens uses (the config, pipelines, clone plans):
 * `file: path must be ..., got: value`, `file: path is required and must be ...`,
 * `file: path.key is not a known setting; allowed here: a, b`. One implementation, so every file reads alike.
 */
import type { z } from 'zod';
import { describeValue, formatPath } from './errors';

export interface ProblemLocation {
  /** The file (or other source) named at the start of every message. */
  readonly file: string;
  /** Where the validated value sits inside the file, e.g. `environments.dev.clone`. @default - the top level */
  readonly at?: string;
}

/** The part of zod's internal schema definition walked to list the allowed keys at a path. */
interface SchemaNode {
  readonly _zod?: {
    readonly def: {
      readonly type: string;
      readonly innerType?: SchemaNode;
      readonly in?: SchemaNode;
      readonly shape?: Record<string, SchemaNode>;
      readonly element?: SchemaNode;
      readonly valueType?: SchemaNode;
      readonly options?: readonly SchemaNode[];
    };
  };
}
type Def = NonNullable<SchemaNode['_zod']>['def'];

const WRAPPERS = ['optional', 'default', 'nullable', 'pipe', 'prefault'];

function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  while (current?._zod?.def && WRAPPERS.includes(current._zod.def.type)) {
    current = current._zod.def.innerType ?? current._zod.def.in;
  }
  if (current?._zod?.def.type === 'union') {
    current = current._zod.def.options?.find((o) => o._zod?.def.type === 'object');
  }
  return current;
}

/** The keys an object schema allows at `at` (through optional/default wrappers, arrays, records and unions). */
export function allowedKeys(schema: z.ZodType, at: readonly PropertyKey[]): string[] {
  let current = unwrap(schema as unknown as SchemaNode);
  for (const key of at) {
    const def: Def | undefined = current?._zod?.def;
    if (!def) return [];
    if (def.type === 'object') current = def.shape?.[key as string];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return [];
    current = unwrap(current);
  }
  const def: Def | undefined = current?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

export function valueAt(root: unknown, at: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of at) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function join(prefix: string | undefined, sub: string): string {
  if (!prefix) return sub === '' ? '(top level)' : sub;
  if (sub === '') return prefix;
  return sub.startsWith('[') ? `${prefix}${sub}` : `${prefix}.${sub}`;
}

/** What a value is, without showing it: `text of 1532 characters`, `a list of 3 items`. */
function shapeOf(value: unknown): string {
  if (value === undefined || value === null) return 'nothing (the file is empty)';
  if (typeof value === 'string') return `text of ${value.length} characters`;
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  return `a ${typeof value}`;
}

/** Every problem of a failed zod parse, once each, in file order of the issues. */
export function zodProblems(schema: z.ZodType, raw: unknown, error: z.ZodError, location: ProblemLocation): string[] {
  const { file } = location;
  const problems: string[] = [];
  for (const issue of error.issues) {
    const where = join(location.at, formatPath(issue.path));
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, issue.path);
      for (const key of issue.keys) {
        const full = where === '(top level)' ? key : `${where}.${key}`;
        problems.push(`${file}: ${full} is not a known setting; allowed here: ${allowed.join(', ')}`);
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      // A map key (an environment name) failed its own rule: report the key, not the whole entry.
      const key = issue.path[issue.path.length - 1];
      problems.push(`${file}: ${where} ${issue.issues[0]?.message ?? issue.message}, got: ${describeValue(key)}`);
      continue;
    }
    const value = valueAt(raw, issue.path);
    if (issue.path.length === 0 && location.at === undefined) {
      // The whole file is not a mapping: perhaps not the file meant at all. Name what it holds, never its text.
      problems.push(`${file}: the file must hold a mapping of settings (key: value lines), got: ${shapeOf(value)}`);
      continue;
    }
    problems.push(
      value === undefined
        ? `${file}: ${where} is required and ${issue.message}`
        : `${file}: ${where} ${issue.message}, got: ${describeValue(value)}`,
    );
  }
  return [...new Set(problems)];
}
