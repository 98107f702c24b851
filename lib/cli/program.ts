/**
 * The `kitchen` CLI. Each command lives in lib/cli/commands/<name>.ts and exports `register(program)`; the registry
 * (lib/cli/commands/index.ts) loads a command's module only when that command runs, so `kitchen --help` and
 * `kitchen name` start as fast as commander itself. Commands that do not synthesize must not import aws-cdk-lib:
 * they load heavy modules lazily inside their action.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_SERVICE, EXIT_USAGE } from './errors';
import { ConfigError } from '../config/errors';
import { NameError } from '../naming';
import { packageVersion } from '../package-root';

export type Register = (program: Command) => void;

/** A command listed by `kitchen --help` from its name and summary, its module loaded only when it runs. */
export interface LazyCommand {
  readonly name: string;
  /** The line `kitchen --help` shows. */
  readonly summary: string;
  /** Loads the command's module and returns its `register`. */
  readonly load: () => Register;
}

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-c', '--config', '-a', '--app']);

/** The command `argv` runs (`kitchen help NAME` asks for NAME's help), or undefined for none. */
export function requestedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
    } else if (arg === '--') {
      return argv[i + 1];
    } else if (!arg.startsWith('-')) {
      return arg === 'help' && i + 1 < argv.length ? argv[i + 1] : arg;
    }
  }
  return undefined;
}

/**
 * The program with every command. Given the `argv` it will parse, only the command asked for is loaded; the others
 * are listed (name and summary) without loading their modules. Without `argv` every command is loaded.
 */
export function buildProgram(commands: readonly (Register | LazyCommand)[], argv?: readonly string[]): Command {
  const program = new Command('kitchen')
    .description('Personal DataOps Kitchens and aligned release environments on AWS')
    .option('-c, --config <file>', 'environment config file', 'kitchens.config.yaml')
    .option(
      '-a, --app <app>',
      'the CDK app: a command that synthesizes it, or a cloud assembly directory (default: the "app" of cdk.json)',
    )
    .option('--json', 'print results as JSON (progress goes to stderr)')
    .version(packageVersion(), '-V, --version', 'print the installed cdk-kitchens version')
    .showHelpAfterError()
    .exitOverride();
  const wanted = argv === undefined ? undefined : { name: requestedCommand(argv) };
  for (const command of commands) {
    if (typeof command === 'function') {
      command(program);
    } else if (wanted === undefined || wanted.name === command.name) {
      command.load()(program);
      const registered = program.commands.find((c) => c.name() === command.name);
      if (registered === undefined) {
        throw new Error(`kitchen: the module of command ${command.name} registered no command named ${command.name}`);
      }
      registered.summary(command.summary);
    } else {
      program
        .command(command.name)
        .summary(command.summary)
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          throw new Error(`kitchen: command ${command.name} was listed but not loaded`);
        });
    }
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
