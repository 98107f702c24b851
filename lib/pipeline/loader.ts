/**
 * Reads and validates pipeline files (YAML or JSON). Every problem is reported at once, in the same shape as
 * lib/config: `file: path must be ..., got: value`.
 */
import * as path from 'path';
import { ConfigError } from '../config/errors';
import { InputFileError, parseJsonText, parseYamlText, readBoundedText } from '../config/input-file';
import { zodProblems } from '../config/zod-problems';
import type { PipelineContext, PipelineDefinition, StepDefinition } from './model';
import { pipelineSchema } from './schema';
import { pipelineProblems, toPipelineModel } from './validate';
import { renderText } from './variables';

/** Validates an already-parsed pipeline object; `source` names it in messages (a file path, or the builder). */
export function parsePipeline(raw: unknown, source: string, context: PipelineContext): PipelineDefinition {
  const result = pipelineSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(zodProblems(pipelineSchema, raw, result.error, { file: source }));
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
  let text: string;
  try {
    text = readBoundedText(file);
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new ConfigError([
      e.reason === 'does not exist'
        ? `${shown}: pipeline file not found (looked in ${path.resolve(file)})`
        : `${shown}: the pipeline file ${e.reason}; give the path of a .yaml, .yml or .json pipeline file`,
    ]);
  }
  const raw = file.endsWith('.json') ? parseJsonText(text, shown) : parseYamlText(text, shown);
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
