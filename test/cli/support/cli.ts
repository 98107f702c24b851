/** Runs the `kitchen` CLI in-process and captures stdout, stderr and the exit code. */
import * as path from 'path';
import { COMMANDS } from '../../../lib/cli/commands';
import { buildProgram, runProgram } from '../../../lib/cli/program';

export const BUNDLED_CONFIG = path.join(__dirname, '..', '..', '..', 'kitchens.config.yaml');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function kitchen(args: readonly string[], config = BUNDLED_CONFIG): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (into: string[]) => (chunk: unknown) => {
    into.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  try {
    const code = await runProgram(buildProgram(COMMANDS), ['--config', config, ...args], process.stderr);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
