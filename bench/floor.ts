/**
 * The floor app: plain aws-cdk-lib stacks with the same stacks, resource logical ids, types and properties as a
 * synthesized cdk-kitchens cloud assembly, as one compiled JavaScript file and its data. It requires the aws-cdk-lib
 * module of every resource type it declares (aws-s3 for AWS::S3::Bucket...) and declares each resource as a
 * CfnResource. No project code, no cdk-nag, CDK's built-in validation off: what aws-cdk-lib alone costs to
 * synthesize the same templates. aws-cdk-lib's service modules export their classes lazily, so requiring one loads
 * its index only; with `readModules` the floor also reads every export of those modules, which loads their L1 and L2
 * code: the least any app that declares these resources through aws-cdk-lib's constructs pays.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './measure';

interface FloorStack {
  readonly id: string;
  readonly account?: string;
  readonly region?: string;
  readonly resources: readonly { readonly id: string; readonly type: string; readonly properties?: unknown }[];
}

export interface Floor {
  /** The floor app's entry: run it with `node` (alone, or as the CLI's `--app`). */
  readonly app: string;
  /** aws-cdk-lib service modules it loads. */
  readonly modules: number;
  readonly stacks: number;
  readonly resources: number;
}

/** The aws-cdk-lib module of a resource type: `AWS::S3::Bucket` -> `aws-s3` (custom resources have none). */
function serviceModule(type: string): string | undefined {
  const [vendor, service] = type.split('::');
  return vendor === 'AWS' && service ? `aws-${service.toLowerCase()}` : undefined;
}

interface Manifest {
  readonly artifacts: Record<
    string,
    { readonly type: string; readonly environment?: string; readonly properties?: { templateFile?: string } }
  >;
}

/**
 * Writes the floor app for the assembly in `assemblyDir` into `floorDir`; with `readModules`, the app reads every
 * export of the service modules it requires (see above).
 */
export function writeFloorApp(assemblyDir: string, floorDir: string, readModules = false): Floor {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as Manifest;
  const stacks: FloorStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const template = JSON.parse(
      fs.readFileSync(path.join(assemblyDir, artifact.properties?.templateFile ?? `${id}.template.json`), 'utf8'),
    ) as { Resources?: Record<string, { Type: string; Properties?: unknown }> };
    const [account, region] = (artifact.environment ?? '').replace('aws://', '').split('/');
    stacks.push({
      id,
      account: /^\d{12}$/.test(account ?? '') ? account : undefined,
      region: region && !region.startsWith('unknown') ? region : undefined,
      resources: Object.entries(template.Resources ?? {}).map(([rid, r]) => ({
        id: rid,
        type: r.Type,
        properties: r.Properties,
      })),
    });
  }
  fs.mkdirSync(floorDir, { recursive: true });
  fs.writeFileSync(path.join(floorDir, 'stacks.json'), JSON.stringify(stacks));
  const cdk = require.resolve('aws-cdk-lib', { paths: [ROOT] });
  const modules = [...new Set(stacks.flatMap((s) => s.resources.map((r) => serviceModule(r.type))))]
    .filter((m): m is string => m !== undefined)
    .map((m) => path.join(path.dirname(cdk), m))
    .filter((m) => fs.existsSync(path.join(m, 'index.js')))
    .sort();
  const app = path.join(floorDir, 'app.js');
  fs.writeFileSync(
    app,
    [
      `const { App, CfnResource, Stack } = require(${JSON.stringify(cdk)});`,
      `const stacks = require('./stacks.json');`,
      ...modules.map((m) =>
        readModules
          ? `{ const m = require(${JSON.stringify(m)}); for (const k of Object.keys(m)) void m[k]; }`
          : `require(${JSON.stringify(m)});`,
      ),
      'const app = new App({ builtinCloudFormationValidation: false });',
      'for (const s of stacks) {',
      '  const stack = new Stack(app, s.id, { env: { account: s.account, region: s.region } });',
      '  for (const r of s.resources) new CfnResource(stack, r.id, { type: r.type, properties: r.properties });',
      '}',
      'app.synth();',
      '',
    ].join('\n'),
  );
  return {
    app,
    modules: modules.length,
    stacks: stacks.length,
    resources: stacks.reduce((n, s) => n + s.resources.length, 0),
  };
}
