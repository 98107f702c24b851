/**
 * CLI start-up benchmark: `kitchen --help` and `kitchen name --from-branch BRANCH` (the compiled CLI, as the `kitchen`
 * bin runs it) beside `node` running a compiled entry that loads nothing. Paired whole-process runs, median and
 * spread (min-max), ratio per pair.
 *   npx ts-node --swc bench/cli.ts [pairs]     (default 10 pairs; needs the build: npm ci or npm run build)
 * Targets (issue 15): within 1.3x of the empty entry, under 0.4 s.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compiled, paired, ratio, seconds } from './measure';

function main(): void {
  const pairs = Number(process.argv[2] ?? '10');
  const kitchen = compiled('bin/kitchen.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-bench-cli-'));
  const empty = path.join(dir, 'empty.js');
  fs.writeFileSync(empty, '');
  const bare = { command: process.execPath, args: [empty] };
  console.log(`CLI start-up: ${pairs} paired whole-process runs, median (min-max)`);
  for (const args of [['--help'], ['name', '--from-branch', 'feature/JIRA-12_Profit-Report']]) {
    const run = paired({ command: process.execPath, args: [kitchen, ...args] }, bare, pairs);
    console.log(`  kitchen ${args.join(' ')}`);
    console.log(`    wall: ${seconds(run.a)}  node (empty entry) ${seconds(run.b)}  ratio ${ratio(run.ratio)}`);
    console.log(
      `    CPU:  ${seconds(run.cpuA)}  node (empty entry) ${seconds(run.cpuB)}  ratio ${ratio(run.cpuRatio)}`,
    );
    console.log('    (target: ratio <= 1.3x, under 0.4 s)');
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

if (require.main === module) {
  main();
}
