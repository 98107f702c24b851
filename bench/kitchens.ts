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
  for (const count of [1, 10, 50]) {
    const sample = runSample(count);
    const kitchenResources = (sample.resources - base.resources) / count;
    const perKitchen = (sample.synthMs - base.synthMs) / count;
    console.log(
      `${String(count).padStart(2)} Kitchen(s): build + synth ${sample.synthMs.toFixed(0)} ms, ` +
        `+${perKitchen.toFixed(0)} ms per Kitchen (target < 150), ${kitchenResources.toFixed(0)} resources per Kitchen stack (target < 150), ` +
        `peak ${sample.maxRssMb.toFixed(0)} MB`,
    );
  }
}

main();
