/**
 * Kitchen synth benchmark: the bundled app with 1, 10 and 50 Kitchens (CDK_VALIDATION=false, cdk-nag off),
 * each count in a fresh process. Prints total synth time, the cost of each additional Kitchen and the size of
 * one Kitchen stack.   npx ts-node --swc bench/kitchens.ts
 * Targets (issue 4): each additional Kitchen adds under 150 ms; a Kitchen stack stays under 150 resources.
 */
import { runSample } from './synth';

function main(): void {
  const base = runSample(0);
  console.log(
    `environments only: build + synth ${base.synthMs.toFixed(0)} ms, ${base.resources} resources, peak ${base.maxRssMb.toFixed(0)} MB`,
  );
  const samples = new Map<number, ReturnType<typeof runSample>>();
  for (const count of [1, 10, 50]) {
    const sample = runSample(count);
    samples.set(count, sample);
    const kitchenResources = (sample.resources - base.resources) / count;
    console.log(
      `${String(count).padStart(2)} Kitchen(s): build + synth ${sample.synthMs.toFixed(0)} ms ` +
        `(${(sample.synthMs - base.synthMs).toFixed(0)} ms more than no Kitchen), ` +
        `${kitchenResources.toFixed(0)} resources per Kitchen stack (target < 150), peak ${sample.maxRssMb.toFixed(0)} MB`,
    );
  }
  // The first Kitchen also pays one-time costs (hashing the custom-resource asset, first use of its code paths);
  // "each additional Kitchen" is the slope after it.
  const one = samples.get(1)!;
  for (const count of [10, 50]) {
    const s = samples.get(count)!;
    console.log(
      `each additional Kitchen, 1 -> ${count}: ${((s.synthMs - one.synthMs) / (count - 1)).toFixed(0)} ms (target < 150)`,
    );
  }
}

main();
