/** Runs the `kitchen` CLI in-process and captures stdout, stderr and the exit code. */
import { execFileSync } from 'child_process';
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

/** Runs git in `cwd` with a fixed test identity (commits need one on a clean machine); its trimmed stdout. */
export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  }).trim();
