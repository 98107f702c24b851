/* eslint-disable @typescript-eslint/no-explicit-any -- walks zod internals (_zod.def), which are untyped */
/**
 * Reads and validates pipeline files (YAML or JSON). Every problem is reported at once, in the same shape as
 * lib/config: `file: path must be ..., got: value`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, describeValue, formatPath } from '../config/errors';
import type { PipelineContext, PipelineDefinition, StepDefinition } from './model';
import { pipelineSchema } from './schema';
import { pipelineProblems, toPipelineModel } from './validate';
import { renderText } from './variables';

function allowedKeys(schema: z.ZodType, at: readonly PropertyKey[]): string[] {
  let current: any = schema;
  const unwrap = () => {
    while (current?._zod?.def && ['optional', 'default', 'nullable', 'pipe'].includes(current._zod.def.type)) {
      current = current._zod.def.innerType ?? current._zod.def.in;
    }
  };
  unwrap();
  for (const key of at) {
    const def = current?._zod?.def;
    if (!def) return [];
    if (def.type === 'object') current = def.shape[key as string];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'union') current = def.options.find((o: any) => o._zod.def.type === 'object');
    else return [];
    unwrap();
  }
  if (current?._zod?.def?.type === 'union') {
    current = current._zod.def.options.find((o: any) => o._zod.def.type === 'object');
  }
  const def = current?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

function valueAt(root: unknown, at: readonly PropertyKey[]): unknown {
  let value: any = root;
  for (const key of at) {
    if (value === null || typeof value !== 'object') return undefined;
    value = value[key as any];
  }
  return value;
}

function schemaProblems(source: string, raw: unknown, error: z.ZodError): string[] {
  const problems: string[] = [];
  for (const issue of error.issues) {
    const where = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(pipelineSchema, issue.path);
      for (const key of issue.keys) {
        problems.push(
          `${source}: ${where ? `${where}.${key}` : key} is not a known setting; allowed here: ${allowed.join(', ')}`,
        );
      }
      continue;
    }
    const value = valueAt(raw, issue.path);
    problems.push(
      value === undefined
        ? `${source}: ${where === '' ? '(top level)' : where} is required and ${issue.message}`
        : `${source}: ${where === '' ? '(top level)' : where} ${issue.message}, got: ${describeValue(value)}`,
    );
  }
  return [...new Set(problems)];
}

/** Validates an already-parsed pipeline object; `source` names it in messages (a file path, or the builder). */
export function parsePipeline(raw: unknown, source: string, context: PipelineContext): PipelineDefinition {
  const result = pipelineSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(schemaProblems(source, raw, result.error));
  }
  const problems = pipelineProblems(source, result.data, context);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return toPipelineModel(source, result.data);
}

/** Reads, parses and validates one pipeline file (`.yaml`, `.yml` or `.json`). */
export function loadPipelineFile(file: string, context: PipelineContext): PipelineDefinition {
  const relative = path.relative(process.cwd(), file);
  const shown = relative.startsWith('..') ? file : relative;
  if (!fs.existsSync(file)) {
    throw new ConfigError([`${shown}: pipeline file not found (looked in ${path.resolve(file)})`]);
  }
  const text = fs.readFileSync(file, 'utf8');
  let raw: unknown;
  if (file.endsWith('.json')) {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new ConfigError([`${shown}: invalid JSON: ${(e as Error).message}`]);
    }
  } else {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(doc.errors.map((e) => `${shown}: invalid YAML: ${e.message.split('\n')[0]}`));
    }
    raw = doc.toJS();
  }
  return parsePipeline(raw, shown, context);
}

/** Renders every `{{variable}}` of a pipeline for one environment or Kitchen; unknown variables are errors. */
export function renderPipeline(
  definition: PipelineDefinition,
  variables: Readonly<Record<string, string>>,
): PipelineDefinition {
  const problems: string[] = [];
  const render = (text: string, where: string): string => {
    try {
      return renderText(text, variables, definition.source, where);
    } catch (e) {
      if (e instanceof ConfigError) {
        problems.push(...e.problems);
        return text;
      }
      throw e;
    }
  };
  const steps = definition.steps.map((step, i): StepDefinition => {
    const at = `steps[${i}]`;
    const tests = step.tests.map((t, j) => ({ ...t, query: render(t.query, `${at}.tests[${j}].query`) }));
    switch (step.type) {
      case 'container':
        return {
          ...step,
          tests,
          command: step.command?.map((c, j) => render(c, `${at}.command[${j}]`)),
          environment: Object.fromEntries(
            Object.entries(step.environment).map(([k, v]) => [k, render(v, `${at}.environment.${k}`)]),
          ),
        };
      case 'sql':
        return {
          ...step,
          tests,
          statements: step.statements.map((s, j) =>
            render(s, step.statements.length === 1 ? `${at}.sql` : `${at}.sql[${j}]`),
          ),
        };
      case 'copy':
        return {
          ...step,
          tests,
          from: { ...step.from, prefix: render(step.from.prefix, `${at}.from.prefix`) },
        };
    }
  });
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { ...definition, steps };
}
