/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
/**
 * Any size deploys (issue 22): an environment and a Kitchen with 1,000 steps across their pipelines (one of them a
 * 500-step pipeline) synthesize, every template the toolkit deploys (parents and the pipelines' nested stacks) is
 * within CloudFormation's 1,000,000 bytes and 500 resources, and cfn-lint finds no E1002 (template too large) in any.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildApp } from '../../../lib/app';
import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { stackTemplate } from '../../../lib/templates';
import { exampleConfig } from '../../support/app';
import { cfnLint, tempOutdir } from '../../support/synth';

/**
 * `steps` sequential steps with a test on each: SQL steps, every tenth a copy step (its own S3 grants and a Deny per
 * source bucket on the role), so the role's policies grow with the pipeline as well as its definition.
 */
function pipeline(id: string, steps: number): PipelineBuilder {
  const builder = new PipelineBuilder(id);
  for (let i = 0; i < steps; i++) {
    const after = i === 0 ? [] : [`s${i - 1}`];
    const tests = [{ name: `check ${i}`, query: `SELECT COUNT(*) FROM orders WHERE id > ${i}`, rule: { min: 1 } }];
    if (i % 10 === 9) {
      builder.copy(`s${i}`, {
        from: { bucket: 'landing', prefix: `${id}/part-${i}/` },
        to: { bucket: 'raw' },
        after,
      });
    } else {
      builder.sql(`s${i}`, { sql: `INSERT INTO t${i % 7} SELECT ${i}, 'step ${i} of ${id}'`, after, tests });
    }
  }
  return builder;
}

interface Measured {
  readonly file: string;
  readonly bytes: number;
  readonly resources: number;
}

function measure(outdir: string): Measured[] {
  return fs
    .readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((file) => {
      const full = path.join(outdir, file);
      const template = JSON.parse(fs.readFileSync(full, 'utf8')) as { Resources?: object };
      return { file, bytes: fs.statSync(full).size, resources: Object.keys(template.Resources ?? {}).length };
    });
}

describe('an environment and a Kitchen with 1,000 steps across their pipelines', () => {
  const outdir = tempOutdir('pipeline-scale');
  // 500 + 300 + 200 steps, beside the bundled orders pipeline.
  const built = buildApp(exampleConfig(), {
    nag: false,
    environments: ['dev'],
    outdir,
    context: { kitchen: 'scale' },
    pipelines: [pipeline('big', 500), pipeline('mid', 300), pipeline('small', 200)],
  });
  const assembly = built.app.synth();
  const templates = measure(outdir);

  it('should keep every template, parent and nested, within 1,000,000 bytes and 500 resources', () => {
    const parents = templates.filter((t) => !t.file.includes('.nested.'));
    const nested = templates.filter((t) => t.file.includes('.nested.'));
    // the environment and the Kitchen each nest their four pipelines
    expect(nested).toHaveLength(8);
    expect(parents.map((t) => t.file)).toEqual(expect.arrayContaining(['acme-dev.template.json']));
    for (const t of templates) {
      expect({ file: t.file, over: t.bytes > 1_000_000 || t.resources > 500 }).toStrictEqual({
        file: t.file,
        over: false,
      });
    }
  });

  it('should let cfn-lint find no E1002 (template too large) in any of them', () => {
    const result = cfnLint(templates.map((t) => path.join(outdir, t.file)));
    expect(result.output).not.toMatch(/E1002/);
    expect(result.output).not.toMatch(/^E\d{4}/m);
  });

  it('should store the 500-step pipeline in a nested template of its own and its definitions as assets', () => {
    const big = templates.filter((t) => /PipelineBig/.test(t.file));
    expect(big).toHaveLength(2);
    for (const t of big) {
      const template = JSON.parse(fs.readFileSync(path.join(outdir, t.file), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
      // the pipeline's machine and its stages from assets; the two runners inline
      const stored = machines.filter((m) => m.Properties.DefinitionS3Location !== undefined);
      expect(stored.length).toBeGreaterThan(1);
      expect(machines.filter((m) => m.Properties.DefinitionString !== undefined)).toHaveLength(2);
    }
  });

  it('should give the readers every state of the 1,000 steps back, in the environment and in the Kitchen', () => {
    for (const stack of [built.environments.dev, built.kitchens.scale]) {
      const template = stackTemplate<{ Resources: Record<string, { Type: string; Properties: any }> }>(
        assembly.getStackArtifact(stack.artifactId),
      );
      const text = Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
        .map((r) => JSON.stringify(r.Properties.DefinitionString))
        .join('\n');
      for (const [id, steps] of [
        ['big', 500],
        ['mid', 300],
        ['small', 200],
      ] as const) {
        for (let i = 0; i < steps; i++) {
          if (i % 10 !== 9) expect(text).toContain(`'step ${i} of ${id}'`);
        }
      }
      expect(Object.values(template.Resources).some((r) => r.Type === 'AWS::CloudFormation::Stack')).toBe(false);
    }
  });
});
