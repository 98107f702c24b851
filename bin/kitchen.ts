#!/usr/bin/env node
import { COMMANDS } from '../lib/cli/commands';
import { buildProgram, runProgram } from '../lib/cli/program';

const argv = process.argv.slice(2);
void runProgram(buildProgram(COMMANDS, argv), argv).then((code) => {
  process.exitCode = code;
});
