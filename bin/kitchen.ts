#!/usr/bin/env node
import { COMMANDS } from '../lib/cli/commands';
import { buildProgram, runProgram } from '../lib/cli/program';

void runProgram(buildProgram(COMMANDS), process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
