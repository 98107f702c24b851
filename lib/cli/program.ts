/**
 * The `kitchen` CLI. Each command lives in lib/cli/commands/<name>.ts and exports `register(program)`.
 * Commands that do not synthesize must not import aws-cdk-lib (fast start): they load heavy modules lazily
 * inside their action.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_SERVICE, EXIT_USAGE } from './errors';
import { ConfigError } from '../config/errors';
import { NameError } from '../naming';

export type Register = (program: Command) => void;

export function buildProgram(registers: readonly Register[]): Command {
  const program = new Command('kitchen')
    .description('Personal DataOps Kitchens and aligned release environments on AWS')
    .option('-c, --config <file>', 'environment config file', 'kitchens.config.yaml')
    .option('--json', 'print results as JSON (progress goes to stderr)')
    .showHelpAfterError()
    .exitOverride();
  for (const register of registers) {
    register(program);
  }
  return program;
}

/** Runs the CLI and returns the exit code; errors become one message on stderr. */
export async function runProgram(program: Command, argv: readonly string[], stderr = process.stderr): Promise<number> {
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof CliError) {
      stderr.write(`error: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ConfigError || e instanceof NameError) {
      stderr.write(`error: ${e.message}\n`);
      return EXIT_USAGE;
    }
    stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_SERVICE;
  }
}
