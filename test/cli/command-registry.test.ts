/** The lazy command registry: every entry loads a module that registers that command; argv picks what loads. */
import type { Command } from 'commander';
import { COMMANDS } from '../../lib/cli/commands';
import { buildProgram, requestedCommand } from '../../lib/cli/program';

describe('command registry', () => {
  it('should register every listed command, each with its summary, when no argv is given', () => {
    const program = buildProgram(COMMANDS);
    expect(program.commands.map((c) => c.name())).toStrictEqual(COMMANDS.map((c) => c.name));
    expect(program.commands.map((c) => c.summary())).toStrictEqual(COMMANDS.map((c) => c.summary));
  });

  it('should load only the command argv asks for', () => {
    const loads: string[] = [];
    const entries = COMMANDS.map((c) => ({
      ...c,
      load: () => {
        loads.push(c.name);
        return c.load();
      },
    }));
    buildProgram(entries, ['--config', 'other.yaml', 'status', 'profit-report']);
    expect(loads).toStrictEqual(['status']);
    loads.length = 0;
    buildProgram(entries, ['--help']);
    expect(loads).toStrictEqual([]);
  });

  it('fails when a module registers a command under another name', () => {
    const register = (program: Command): void => {
      program.command('other');
    };
    expect(() => buildProgram([{ name: 'history', summary: 'past runs', load: () => register }])).toThrow(
      'kitchen: the module of command history registered no command named history',
    );
  });

  it('should find the command after global options, in kitchen help NAME, and none in kitchen --help', () => {
    expect(requestedCommand(['-c', 'x.yaml', '--json', 'create', 'profit-report'])).toBe('create');
    expect(requestedCommand(['--config', 'list', 'status'])).toBe('status');
    expect(requestedCommand(['help', 'clone'])).toBe('clone');
    expect(requestedCommand(['help'])).toBe('help');
    expect(requestedCommand(['--help'])).toBeUndefined();
    expect(requestedCommand([])).toBeUndefined();
  });
});
