/**
 * Kitchen synth benchmark: the cost of each additional Kitchen, as the app process cdk synth starts (compiled app,
 * cdk-nag on, CDK validation off). Paired whole-process runs with 1 and with K full Kitchens (a staff role and an
 * SFTP user each, like a developer's real one); each pair gives (time with K - time with 1) / (K - 1). The first
 * Kitchen also pays one-time costs (its code paths, the custom-resource asset), so the slope starts after it.
 *   npx ts-node --swc bench/kitchens.ts [pairs] [K]     (default 5 pairs, K = 11; needs npm run build)
 * Targets (issue 4): each additional Kitchen adds under 150 ms; a Kitchen stack stays under 150 resources.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compiled, measureProcess, paired, Sample, Spread, spread } from './measure';
import { appProcess } from './synth';

function kitchensContext(count: number): Record<string, string> {
  return {
    kitchens: Array.from({ length: count }, (_, i) => `bench-kitchen-${i + 1}`).join(','),
    kitchenStaff: 'arn:aws:iam::222222222222:role/bench-analyst',
    kitchenSshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm0QfXr3bJ0rXw9yLQy1l5h3bKc0mQvG2x0E8bA9Zc1 bench',
  };
}

/** Resources in the Kitchen stacks an assembly holds, per Kitchen. */
function resourcesPerKitchen(out: string, count: number): number {
  let resources = 0;
  for (const file of fs.readdirSync(out).filter((f) => /-kitchen-bench-kitchen-\d+\.template\.json$/.test(f))) {
    const template = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')) as { Resources?: object };
    resources += Object.keys(template.Resources ?? {}).length;
  }
  return resources / count;
}

function main(): void {
  const pairs = Number(process.argv[2] ?? '5');
  const many = Number(process.argv[3] ?? '11');
  const entry = compiled('bin/app.js');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-bench-kitchens-'));
  // One untimed run with K Kitchens gives the resources per Kitchen stack.
  measureProcess(appProcess(entry, out, kitchensContext(many)));
  const perKitchen = resourcesPerKitchen(out, many);
  const run = paired(appProcess(entry, out, kitchensContext(many)), appProcess(entry, out, kitchensContext(1)), pairs);
  const { a: ks, b: ones } = run.samples;
  fs.rmSync(out, { recursive: true, force: true });
  const ms = (s: Spread): string => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}-${s.max.toFixed(0)})`;
  const each = (f: (x: Sample) => number): Spread => spread(ks.map((x, i) => (f(x) - f(ones[i])) / (many - 1)));
  console.log(`Kitchen benchmark: ${pairs} paired app-process runs, median (min-max)`);
  console.log(`  1 Kitchen     wall ${ms(run.b)}  CPU ${ms(run.cpuB)}`);
  console.log(`  ${many} Kitchens   wall ${ms(run.a)}  CPU ${ms(run.cpuA)}`);
  console.log(
    `  each additional Kitchen: wall ${ms(each((x) => x.wallMs))}  CPU ${ms(each((x) => x.cpuMs))}  (target < 150 ms)`,
  );
  console.log(`  resources per Kitchen stack: ${perKitchen.toFixed(0)} (target < 150)`);
}

if (require.main === module) {
  main();
}
