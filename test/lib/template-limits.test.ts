/**
 * CloudFormation's template limits at synth: a stack `buildApp` made over 1,000,000 bytes or 500 resources fails
 * `app.synth()` naming the stack, the number against the limit and the largest contributors.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { buildApp } from '../../lib/app';
import { PipelineBuilder } from '../../lib/pipeline/builder';
import { exampleConfig } from '../support/app';
import { tempOutdir } from '../support/synth';

/** `steps` sequential SQL steps, a test on each (the shape bench/pipeline-compile.ts measures). */
function sequential(id: string, steps: number): PipelineBuilder {
  const builder = new PipelineBuilder(id);
  for (let i = 0; i < steps; i++) {
    builder.sql(`s${i}`, {
      sql: `SELECT ${i}`,
      after: i === 0 ? [] : [`s${i - 1}`],
      tests: [{ name: `check ${i}`, query: 'SELECT 1', rule: { min: 1 } }],
    });
  }
  return builder;
}

/** Synthesizes the dev environment with these pipelines; returns the error message (or undefined) and the outdir. */
function synthDev(pipelines: PipelineBuilder[]): { error?: string; outdir: string } {
  const outdir = tempOutdir('template-limits');
  const built = buildApp(exampleConfig(), { nag: false, environments: ['dev'], outdir, pipelines });
  try {
    built.app.synth();
    return { outdir };
  } catch (e) {
    return { error: (e as Error).message, outdir };
  }
}

function resourcesOf(outdir: string): number {
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'acme-dev.template.json'), 'utf8')) as {
    Resources: object;
  };
  return Object.keys(template.Resources).length;
}

const NUMBER = '\\d{1,3}(?:,\\d{3})*';
const RESOURCE = `\\w+ \\(AWS::\\w+::\\w+\\) ${NUMBER} bytes`;

describe('template limits', () => {
  it('should synthesize the bundled example, and 150 steps beside it', () => {
    expect(synthDev([]).error).toBeUndefined();
    const { error, outdir } = synthDev([sequential('big', 150)]);
    expect(error).toBeUndefined();
    expect(fs.statSync(path.join(outdir, 'acme-dev.template.json')).size).toBeLessThanOrEqual(1_000_000);
  });

  it('should refuse a template over 1,000,000 bytes, naming the stack, its bytes and its 5 largest resources', () => {
    // Pipelines no longer make a template large (nested stacks, definitions as assets): a resource of the environment
    // stack with 1 MB of metadata does.
    const outdir = tempOutdir('template-limits');
    const built = buildApp(exampleConfig(), { nag: false, environments: ['dev'], outdir });
    new CfnWaitConditionHandle(built.environments.dev, 'Padding').addMetadata('pad', 'x'.repeat(1_000_000));
    let error: string | undefined;
    try {
      built.app.synth();
    } catch (e) {
      error = (e as Error).message;
    }
    const bytes = fs.statSync(path.join(outdir, 'acme-dev.template.json')).size;
    expect(bytes).toBeGreaterThan(1_000_000);
    expect(error).toMatch(
      new RegExp(
        `stack acme-dev: the template is ${bytes.toLocaleString('en-US')} bytes; CloudFormation allows at most ` +
          `1,000,000\\. Largest resources: (${RESOURCE}, ){4}${RESOURCE}\\. Deploy fewer`,
      ),
    );
    const largest = /Largest resources: (\w+) \((AWS::[\w:]+)\) ([\d,]+) bytes/.exec(error!)!;
    expect(largest.slice(1, 3)).toStrictEqual(['Padding', 'AWS::CloudFormation::WaitConditionHandle']);
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'acme-dev.template.json'), 'utf8')) as {
      Resources: Record<string, unknown>;
    };
    expect(Number(largest[3].replace(/,/g, ''))).toBe(
      Buffer.byteLength(JSON.stringify(template.Resources[largest[1]], undefined, 1)),
    );
    expect(error).not.toMatch(/TemplateResources/);
  });

  it('should refuse a template over 500 resources, naming the stack, its count and its largest scopes', () => {
    // A pipeline adds only its nested stack to the environment's template (its monitoring is nested too): 500
    // resources of the environment stack's own make it too many.
    const outdir = tempOutdir('template-limits');
    const built = buildApp(exampleConfig(), { nag: false, environments: ['dev'], outdir });
    const padding = new Construct(built.environments.dev, 'Padding');
    for (let i = 0; i < 500; i++) new CfnWaitConditionHandle(padding, `H${i}`);
    let error: string | undefined;
    try {
      built.app.synth();
    } catch (e) {
      error = (e as Error).message;
    }
    const count = resourcesOf(outdir);
    expect(count).toBeGreaterThan(500);
    expect(error).toMatch(
      new RegExp(
        `stack acme-dev: the template declares ${count} resources; CloudFormation allows at most 500\\. ` +
          `Largest scopes: Padding \\(500 resources\\), ([\\w/-]+ \\(\\d+ resources\\), ){3}[\\w/-]+ \\(\\d+ resources\\)\\. Deploy fewer`,
      ),
    );
  });

  it("should check the resource limit on a user's own stack in the app buildApp created, but not its size", () => {
    const outdir = tempOutdir('template-limits');
    const built = buildApp(exampleConfig(), { nag: false, environments: ['dev'], outdir });
    const mine = new Stack(built.app, 'mine');
    // 501 resources, each with 2,100 bytes of metadata: over 1,000,000 bytes too.
    for (let i = 0; i < 501; i++) new CfnWaitConditionHandle(mine, `H${i}`).addMetadata('pad', 'x'.repeat(2_100));
    let error = '';
    try {
      built.app.synth();
    } catch (e) {
      error = (e as Error).message;
    }
    expect(fs.statSync(path.join(outdir, 'mine.template.json')).size).toBeGreaterThan(1_000_000);
    expect(error).toContain(
      'stack mine: the template declares 501 resources; CloudFormation allows at most 500. Largest scopes: H0 (1 resources)',
    );
    expect(error).not.toMatch(/stack mine: the template is/);
    expect(error).not.toMatch(/stack acme-dev/);
  });
});
