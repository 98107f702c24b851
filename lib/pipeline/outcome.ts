/** The outcome of a pipeline run from its execution status and its test results (local and on AWS alike). */

/** How a run ended, for people and CI gates. */
export type RunOutcome = 'succeeded' | 'succeeded with warnings' | 'failed' | 'running';

/**
 * `succeeded with warnings` when the execution succeeded but a warning test did not pass or any test errored (an
 * error-level test that does not pass fails the run itself).
 */
export function runOutcome(
  succeeded: boolean | undefined,
  tests: readonly { readonly level: string; readonly status: string }[],
): RunOutcome {
  if (succeeded === undefined) return 'running';
  if (!succeeded) return 'failed';
  const warned = tests.some((t) => t.status === 'errored' || (t.level === 'warning' && t.status !== 'passed'));
  return warned ? 'succeeded with warnings' : 'succeeded';
}
