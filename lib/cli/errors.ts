/**
 * Exit codes of the `kitchen` CLI (documented in the README):
 *   0 success; 1 the operation ran and found a problem (drift, a failing test, a failed run);
 *   2 bad input (arguments, config, pipeline, Kitchen name); 3 an AWS or service call failed.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_SERVICE = 3;

/** An error the CLI reports as one clear message with a chosen exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
