import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { App, Stack } from 'aws-cdk-lib';
import { NODE_RUNTIME_CONTEXT, newestNodeRuntime, nodeRuntime } from '../../../constructs/core/runtime';
import { buildApp } from '../../../lib/app';
import { exampleConfig } from '../../support/app';
import { synthToDir, tempOutdir } from '../../support/synth';

/** Runtime of every Lambda function (AWS::Lambda::Function) in every template of an assembly directory. */
function functionRuntimes(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const [id, resource] of Object.entries<{ Type: string; Properties: { Runtime?: unknown } }>(
      template.Resources,
    )) {
      if (resource.Type === 'AWS::Lambda::Function')
        found[`${file.replace('.template.json', '')}/${id}`] = String(resource.Properties.Runtime);
    }
  }
  return found;
}

/** The app with its dev environment, dev Kitchen host, the production -> dev clone and a Kitchen; cdk-nag on. */
function synthWithNag(context: Record<string, unknown> = {}) {
  const outdir = tempOutdir('runtime');
  const built = buildApp(exampleConfig(), {
    nag: true,
    outdir,
    environments: ['dev'],
    context: { kitchen: 'rt-check', ...context },
  });
  const { dir, violations } = synthToDir(built.app);
  const runtimes = functionRuntimes(dir);
  fs.rmSync(outdir, { recursive: true, force: true });
  return { runtimes, violations };
}

// Order matters: the last describe adds a runtime to lambda.Runtime.ALL for the rest of this file.
describe('the Node.js runtime of the library functions', () => {
  it('should be the newest nodejsNN.x that the installed aws-cdk-lib lists', () => {
    const majors = lambda.Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number);
    expect(newestNodeRuntime().name).toBe(`nodejs${Math.max(...majors)}.x`);
  });

  it('should set every function, the provider framework ones included, to it, with zero cdk-nag findings', () => {
    const { runtimes, violations } = synthWithNag();
    expect(violations).toStrictEqual([]);
    // the warehouse user setup, the Kitchen provider, the clone setup handlers and the three framework functions
    expect(Object.keys(runtimes).length).toBeGreaterThanOrEqual(7);
    expect(Object.keys(runtimes).filter((k) => /framework/.test(k))).toHaveLength(3);
    expect(new Set(Object.values(runtimes))).toStrictEqual(new Set([newestNodeRuntime().name]));
  });

  it('should take a pin from the context and acknowledge AwsSolutions-L1 for it', () => {
    const { runtimes, violations } = synthWithNag({ [NODE_RUNTIME_CONTEXT]: 'nodejs22.x' });
    expect(violations).toStrictEqual([]);
    expect(new Set(Object.values(runtimes))).toStrictEqual(new Set(['nodejs22.x']));
  });

  it.each([['nodejs18.x'], ['python3.13'], ['nodejs24'], [24]])('fails when the pin is %p', (value) => {
    const stack = new Stack(new App({ context: { [NODE_RUNTIME_CONTEXT]: value } }), 'S');
    expect(() => nodeRuntime(stack)).toThrow(
      `context cdk-kitchens:nodeRuntime must name a Node.js Lambda runtime nodejsNN.x with NN >= 20 ` +
        `(the newest this aws-cdk-lib knows is ${newestNodeRuntime().name}), got: ${JSON.stringify(value)}`,
    );
  });
});

describe('an aws-cdk-lib that knows a newer Node.js runtime than any released today', () => {
  // Constructing a Runtime registers it in Runtime.ALL, as a newer aws-cdk-lib's own list would have it.
  const future = new lambda.Runtime('nodejs98.x', lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });

  it('should move every function to it and keep the synth clean of cdk-nag findings', () => {
    const { runtimes, violations } = synthWithNag();
    expect(violations).toStrictEqual([]);
    expect(new Set(Object.values(runtimes))).toStrictEqual(new Set([future.name]));
  });
});
