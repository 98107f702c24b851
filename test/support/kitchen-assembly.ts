/**
 * Kitchens as the toolkit sees them: synthesized into a cloud assembly, read back with the cloud assembly API,
 * and their stack tags turned into CloudFormation `Tags` exactly as `cdk deploy` passes them.
 */
import * as cxapi from 'aws-cdk-lib/cx-api';
import { buildApp } from '../../lib/app';
import type { KitchensConfig } from '../../lib/config/model';
import { tempOutdir } from './synth';

export interface SynthesizedKitchen {
  readonly stackName: string;
  /** The stack tags of the assembly artifact, as CloudFormation gets them (`[{ Key, Value }]`). */
  readonly tags: { Key: string; Value: string }[];
  /** The template's outputs as DescribeStacks returns them (`[{ OutputKey, OutputValue, Description }]`). */
  readonly outputs: { OutputKey: string; OutputValue: string; Description?: string }[];
}

/** Synthesizes the given Kitchens of the development environment (created at `now`) into a fresh directory. */
export function synthesizeKitchens(
  config: KitchensConfig,
  kitchens: readonly string[],
  context: Record<string, unknown> = {},
  now?: Date,
): SynthesizedKitchen[] {
  const outdir = tempOutdir('kitchen-assembly');
  const built = buildApp(config, {
    nag: false,
    outdir,
    now,
    // only the Kitchen stacks: no environment, host or clone stacks
    environments: [],
    context: { kitchens: kitchens.join(','), kitchenOwner: 'jane', ...context },
  });
  built.app.synth();
  const assembly = new cxapi.CloudAssembly(outdir);
  return kitchens.map((name) => {
    const stackName = built.kitchens[name].stackName;
    const artifact = assembly.getStackByName(stackName);
    // what the toolkit's deployStack does with artifact.tags
    const outputs = Object.entries(
      (artifact.template as { Outputs?: Record<string, { Value: unknown; Description?: string }> }).Outputs ?? {},
    ).map(([OutputKey, o]) => {
      if (typeof o.Value !== 'string') throw new Error(`output ${OutputKey} of ${stackName} is not a literal string`);
      return { OutputKey, OutputValue: o.Value, Description: o.Description };
    });
    return { stackName, tags: Object.entries(artifact.tags).map(([Key, Value]) => ({ Key, Value })), outputs };
  });
}
