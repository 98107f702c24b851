/**
 * `{{name}}` variables in pipeline text, rendered per environment (and per Kitchen) at synth. An unknown variable
 * is an error that names the file, the path and the variables that exist.
 */
import { ConfigError } from '../config/errors';

/** Variables every environment and Kitchen defines (see `pipelineVariables`). */
export const STANDARD_VARIABLES = [
  'env',
  'kitchen',
  'project',
  'account',
  'region',
  'schema',
  'database',
  'prefix',
  'bucket',
  'landing_bucket',
  'raw_bucket',
  'curated_bucket',
  'history_table',
] as const;

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Names used as `{{name}}` in one piece of text. */
export function variablesIn(text: string): string[] {
  return [...text.matchAll(VARIABLE)].map((m) => m[1]);
}

/** Problems for unknown variables in `text` found at `where` (a formatted path). */
export function variableProblems(source: string, where: string, text: string, allowed: readonly string[]): string[] {
  const known = new Set(allowed);
  return variablesIn(text)
    .filter((name) => !known.has(name))
    .map(
      (name) =>
        `${source}: ${where} uses unknown variable {{${name}}}, got: ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}; ` +
        `allowed variables: ${[...known].sort().join(', ')}`,
    );
}

/** Replaces every `{{name}}` in `text`; throws a ConfigError naming `source` and `where` for an unknown one. */
export function renderText(
  text: string,
  variables: Readonly<Record<string, string>>,
  source: string,
  where: string,
): string {
  const problems = variableProblems(source, where, text, Object.keys(variables));
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return text.replace(VARIABLE, (_, name: string) => variables[name]);
}

/** Facts about one environment or Kitchen from which the standard variables derive. */
export interface VariableFacts {
  readonly project: string;
  readonly environment: string;
  /** The Kitchen name; undefined for the environment itself (then `{{kitchen}}` is the environment name). */
  readonly kitchen?: string;
  readonly account: string;
  readonly region: string;
  readonly schema: string;
  readonly database: string;
  /** Data prefix in every data lake bucket: `` for an environment, `kitchens/NAME/` for a Kitchen. */
  readonly prefix: string;
  readonly buckets: Readonly<Record<'landing' | 'raw' | 'curated', string>>;
  /** Schema-qualified history table; defaults to `<schema>.kitchens_test_history`. */
  readonly historyTable?: string;
}

/** The standard variables of an environment or Kitchen (`{{bucket}}` is the raw bucket). */
export function pipelineVariables(facts: VariableFacts): Record<string, string> {
  return {
    env: facts.environment,
    kitchen: facts.kitchen ?? facts.environment,
    project: facts.project,
    account: facts.account,
    region: facts.region,
    schema: facts.schema,
    database: facts.database,
    prefix: facts.prefix,
    bucket: facts.buckets.raw,
    landing_bucket: facts.buckets.landing,
    raw_bucket: facts.buckets.raw,
    curated_bucket: facts.buckets.curated,
    history_table: facts.historyTable ?? `${facts.schema}.kitchens_test_history`,
  };
}
