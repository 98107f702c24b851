/**
 * The one reader of templates (lib/templates.ts): pipelines are nested stacks whose definitions are file assets, and
 * align and promote-report still see a change inside a step's SQL, through the folded templates.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildPromotionReport, checkAlignment, synthesizeEnvironments, type AppBuilder } from '../../lib/align';
import { buildApp } from '../../lib/app';
import { FEATURE_FLAGS } from '../../lib/feature-flags';
import { PipelineBuilder } from '../../lib/pipeline/builder';
import { foldTemplate, type TemplateFiles } from '../../lib/templates';
import { exampleConfig } from '../support/app';
import { tempOutdir } from '../support/synth';

const config = exampleConfig();

/** A two-step pipeline whose second step runs `sql`. */
function totals(sql: string): PipelineBuilder {
  return new PipelineBuilder('totals').sql('prepare', { sql: 'CREATE TABLE IF NOT EXISTS totals (n INT)' }).sql('sum', {
    sql,
    after: ['prepare'],
    tests: [{ name: 'has rows', query: 'SELECT COUNT(*) FROM totals', rule: { min: 1 } }],
  });
}

const BEFORE = 'INSERT INTO totals SELECT SUM(amount) FROM orders';
const AFTER = 'INSERT INTO totals SELECT SUM(amount) FROM orders WHERE amount > 0';

/** Production runs `production`'s SQL in the totals step, development runs `development`'s: one app, both stacks. */
function diverging(production: string, development: string): AppBuilder {
  return (cfg, options) => {
    const app = new App({ outdir: options.outdir, context: { ...FEATURE_FLAGS } });
    const common = { ...options, nag: false };
    const a = buildApp(cfg, { ...common, environments: ['production'], pipelines: [totals(production)] }, app);
    const b = buildApp(cfg, { ...common, environments: ['dev'], pipelines: [totals(development)] }, app);
    return {
      app,
      environments: { ...a.environments, ...b.environments },
      kitchenHosts: { ...a.kitchenHosts, ...b.kitchenHosts },
      kitchens: {},
    };
  };
}

describe('a change inside a step of a pipeline stored in a nested stack', () => {
  it('should be drift for align, at the state that runs it', () => {
    const result = checkAlignment({ config, from: 'production', to: 'dev', build: diverging(BEFORE, AFTER) });
    const drift = result.differences.filter((d) => d.classification === 'drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toStrictEqual({
      classification: 'drift',
      section: 'Resources',
      resourceType: 'AWS::StepFunctions::StateMachine',
      logicalId: expect.stringMatching(/^EnvironmentPipelineTotals[0-9A-F]{8}$/),
      state: 'Sum',
      path: 'Properties.DefinitionString.States.Sum.Parameters.Input.sql',
      from: BEFORE,
      to: AFTER,
      reason: 'undeclared drift: pipeline state "Sum" differs at Parameters.Input.sql',
    });
    expect(result.aligned).toBe(false);
  });

  it('should be an updated state machine for promote-report, with the new SQL in its diff', () => {
    const base = synthesizeEnvironments(config, ['production'], diverging(BEFORE, BEFORE)).production;
    const head = synthesizeEnvironments(config, ['production'], diverging(AFTER, AFTER)).production;
    const report = buildPromotionReport({
      environment: 'production',
      base: { label: 'base', template: base },
      head: { label: 'head', template: head },
    });
    expect(report.stateMachines).toStrictEqual([
      expect.stringMatching(/^EnvironmentPipelineTotals[0-9A-F]{8} \(updated\)$/),
    ]);
    expect(report.resources).toStrictEqual([
      expect.objectContaining({
        type: 'AWS::StepFunctions::StateMachine',
        change: 'updated',
        properties: ['DefinitionString'],
      }),
    ]);
    expect(report.markdown).toContain('WHERE amount > 0');
  });

  it('should be invisible in the raw parent template, which only points to the nested stack', () => {
    const outdir = tempOutdir('templates');
    const built = buildApp(config, { nag: false, environments: ['dev'], outdir, pipelines: [totals(AFTER)] });
    built.app.synth();
    const raw = fs.readFileSync(path.join(outdir, 'acme-dev.template.json'), 'utf8');
    expect(raw).not.toContain('amount > 0');
    expect(raw).toContain('AWS::CloudFormation::Stack');
  });
});

describe('foldTemplate', () => {
  const hash = (c: string) => c.repeat(64);
  const files = (entries: Record<string, string>): TemplateFiles => ({ read: (h) => entries[h] });

  it('should inline a stored definition with its substitutions, as an Fn::Join of text and references', () => {
    const template = {
      Resources: {
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            RoleArn: 'role',
            DefinitionS3Location: { Bucket: 'b', Key: `${hash('a')}.json` },
            DefinitionSubstitutions: { Topic: { Ref: 'Topic' }, Literal: 'x' },
          },
        },
      },
    };
    const folded = foldTemplate(template, files({ [hash('a')]: '{"A":"${Topic}","B":"${Literal}","C":"${Other}"}' }));
    expect(folded.Resources!.Machine.Properties).toStrictEqual({
      RoleArn: 'role',
      DefinitionString: { 'Fn::Join': ['', ['{"A":"', { Ref: 'Topic' }, '","B":"x","C":"${Other}"}']] },
    });
    // the input is left as it was
    expect(template.Resources.Machine.Properties.DefinitionS3Location).toBeDefined();
  });

  it('should fold a nested stack: parameters become what the parent passes, outputs what the nested stack gives', () => {
    const nested = {
      Parameters: { TopicParam: { Type: 'String' } },
      Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { Name: { Ref: 'TopicParam' } } } },
      Outputs: { QueueArn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
    };
    const parent = {
      Resources: {
        Topic: { Type: 'AWS::SNS::Topic' },
        Nested: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: { TemplateURL: `https://s3/${hash('b')}.json`, Parameters: { TopicParam: { Ref: 'Topic' } } },
        },
        Alarm: {
          Type: 'AWS::CloudWatch::Alarm',
          DependsOn: ['Nested', 'Topic'],
          Properties: { Queue: { 'Fn::GetAtt': ['Nested', 'Outputs.QueueArn'] } },
        },
      },
    };
    expect(foldTemplate(parent, files({ [hash('b')]: JSON.stringify(nested) })).Resources).toStrictEqual({
      Topic: { Type: 'AWS::SNS::Topic' },
      Alarm: {
        Type: 'AWS::CloudWatch::Alarm',
        DependsOn: ['Topic'],
        Properties: { Queue: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
      },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { Name: { Ref: 'Topic' } } },
    });
  });

  it('fails when a nested resource has the logical id of a parent resource', () => {
    const parent = {
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue' },
        Nested: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: `${hash('c')}.json` } },
      },
    };
    const nested = { Resources: { Queue: { Type: 'AWS::SQS::Queue' } } };
    expect(() => foldTemplate(parent, files({ [hash('c')]: JSON.stringify(nested) }))).toThrow(
      'nested stack Nested: its resource Queue has the logical id of a resource of its parent',
    );
  });

  it('should leave a nested stack or a definition it cannot read (a deployed template) as it is', () => {
    const parent = {
      Resources: {
        Nested: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: `${hash('d')}.json` } },
      },
    };
    expect(foldTemplate(parent, files({}))).toStrictEqual(parent);
  });
});
