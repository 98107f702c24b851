/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
/**
 * Any size deploys (issue 22): an environment and a Kitchen with 1,000 steps across their pipelines (one of them a
 * 500-step pipeline) synthesize, every template the toolkit deploys (parents and the pipelines' nested stacks) is
 * within CloudFormation's 1,000,000 bytes and 500 resources, and cfn-lint finds no E1002 (template too large) in any.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildApp } from '../../../lib/app';
import { stackTemplate } from '../../../lib/templates';
import { exampleConfig } from '../../support/app';
import { measureTemplates as measure, scalePipeline as pipeline } from '../../support/scale';
import { cfnLint, tempOutdir } from '../../support/synth';

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

/**
 * Any number of pipelines deploys (issue 22): each pipeline's alarms, metric filters, composite alarm and dashboard
 * are in its nested stack, so a pipeline adds to its parent only its nested stack resource and one term of the
 * all-green rule. 120 one-step pipelines beside orders: every template within both limits, no cfn-lint error, and
 * the all-green composite still watches every pipeline.
 */
describe('an environment and a Kitchen with 121 pipelines', () => {
  const COUNT = 120;
  const outdir = tempOutdir('pipeline-wide');
  const built = buildApp(exampleConfig(), {
    nag: false,
    environments: ['dev'],
    outdir,
    context: { kitchen: 'wide' },
    pipelines: Array.from({ length: COUNT }, (_, i) => pipeline(`p${i}`, 1)),
  });
  const assembly = built.app.synth();
  const templates = measure(outdir);
  const parents = templates.filter((t) => !t.file.includes('.nested.'));

  it('should keep every template, parent and nested, within 1,000,000 bytes and 500 resources', () => {
    expect(templates.filter((t) => t.file.includes('.nested.'))).toHaveLength(2 * (COUNT + 1));
    for (const t of templates) {
      expect({ file: t.file, over: t.bytes > 1_000_000 || t.resources > 500 }).toStrictEqual({
        file: t.file,
        over: false,
      });
    }
    // What a pipeline leaves in its parent: its nested stack resource, and no alarm, filter or dashboard.
    for (const file of ['acme-dev.template.json', 'acme-dev-kitchen-wide.template.json']) {
      const template = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: any }>;
      };
      const types = Object.values(template.Resources).map((r) => r.Type);
      expect(types.filter((t) => t === 'AWS::CloudFormation::Stack')).toHaveLength(COUNT + 1);
      expect(types.filter((t) => t === 'AWS::Logs::MetricFilter')).toHaveLength(0);
      expect(types.filter((t) => t === 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
      const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      expect(alarms.filter((a) => /-pipeline-/.test(a.Properties.AlarmName))).toStrictEqual([]);
    }
    expect(parents.length).toBeGreaterThanOrEqual(2);
  });

  it('should let cfn-lint find no error in the parents and in the nested stacks of orders, p0, p59 and p119', () => {
    // The 240 one-step pipelines' nested templates differ only in names: linting them all takes 2 minutes on 2 cores.
    const sample = templates.filter(
      (t) => !t.file.includes('.nested.') || /Pipeline(Orders|P0|P59|P119)[0-9A-F]{8}\.nested\./.test(t.file),
    );
    expect(sample.length).toBe(parents.length + 8);
    const result = cfnLint(sample.map((t) => path.join(outdir, t.file)));
    expect(result.output).not.toMatch(/^E\d{4}/m);
  });

  it("should watch every pipeline's alarms from the all-green composite, through the pipeline's composite", () => {
    for (const stack of [built.environments.dev, built.kitchens.wide]) {
      const template = stackTemplate<{ Resources: Record<string, { Type: string; Properties: any }> }>(
        assembly.getStackArtifact(stack.artifactId),
      );
      const byName = new Map<string, string>();
      const composites = new Map<string, string>();
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Type === 'AWS::CloudWatch::Alarm') byName.set(r.Properties.AlarmName, id);
        if (r.Type === 'AWS::CloudWatch::CompositeAlarm') composites.set(r.Properties.AlarmName, id);
      }
      const ruleOf = (name: string) => JSON.stringify(template.Resources[composites.get(name)!].Properties.AlarmRule);
      // the top composite, or its parts past the rule's 10,240 characters
      const top = [...composites.keys()].filter((n) => /-all-green(-part-\d+)?$/.test(n) && !/-pipeline-/.test(n));
      const watched = top.map(ruleOf).join('\n');
      for (let i = 0; i < COUNT; i++) {
        const composite = [...composites.keys()].find((n) => n.endsWith(`-pipeline-p${i}-all-green`))!;
        expect(watched).toContain(`"${composites.get(composite)}","Arn"`);
        const alarms = [...byName.entries()].filter(([n]) => n.includes(`-pipeline-p${i}-`));
        expect(alarms).toHaveLength(6);
        for (const [, id] of alarms) expect(ruleOf(composite)).toContain(`"${id}","Arn"`);
      }
    }
  });
});
