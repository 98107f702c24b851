/**
 * Pipelines too large for one state machine: stage child machines, their grants and findings, and the size the
 * 1 MB check computes without resolving the definition.
 */
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { definitionBytes, Pipeline } from '../../../constructs/pipeline/pipeline';
import { FEATURE_FLAGS } from '../../../lib/feature-flags';
import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { describePlan, planStages, planSteps, type StagedPlan } from '../../../lib/pipeline/graph';
import { createTestTarget } from '../../support/pipeline-target';
import { cfnLint, synthToDir, tempOutdir } from '../../support/synth';

const context = { apps: ['ingest', 'transform'] };

/** start -> (a container | b copy | c sql) -> d, a test on every step. */
function mixed(id: string) {
  const test = (name: string) => [{ name, query: 'SELECT 1', rule: { min: 1 } }];
  return new PipelineBuilder(id)
    .sql('start', { sql: 'SELECT 1', tests: test('start check') })
    .container('a', { app: 'ingest', after: ['start'], tests: test('a check') })
    .copy('b', {
      after: ['start'],
      from: { bucket: 'landing', prefix: 'in/' },
      to: { bucket: 'raw' },
      tests: test('b check'),
    })
    .sql('c', { after: ['start'], sql: 'SELECT 2', tests: test('c check') })
    .sql('d', { after: ['a', 'b', 'c'], sql: 'SELECT 3', tests: test('d check') })
    .build(context);
}

function describeStaged(node: StagedPlan): string {
  switch (node.kind) {
    case 'stage':
      return `[${describePlan(node.plan)}]`;
    case 'sequence':
      return node.items.map(describeStaged).join(' -> ');
    case 'parallel':
      return `(${node.branches.map(describeStaged).join(' | ')})`;
  }
}

describe('planStages', () => {
  const steps = [
    { id: 'a', after: [] },
    { id: 'b', after: ['a'] },
    { id: 'c', after: ['a'] },
    { id: 'd', after: ['a'] },
    { id: 'e', after: ['b', 'c', 'd'] },
    { id: 'f', after: ['e'] },
  ];
  const plan = planSteps(steps);

  it('should keep a plan that fits the budget in one machine', () => {
    expect(planStages(plan, () => 1, 6)).toBeUndefined();
  });

  it('should group consecutive items and parallel branches while they fit, keeping order and parallelism', () => {
    const staged = planStages(plan, () => 1, 2)!;
    expect(describeStaged(staged.staged)).toBe('[a] -> ([(b | c)] | [d]) -> [e -> f]');
    expect(staged.stages.map(describePlan)).toStrictEqual(['a', '(b | c)', 'd', 'e -> f']);
  });

  it('should give a step heavier than the budget a stage of its own', () => {
    const staged = planStages(plan, (id) => (id === 'e' ? 5 : 1), 3)!;
    expect(describeStaged(staged.staged)).toBe('[a] -> [(b | c | d)] -> [e] -> [f]');
  });
});

describe('a pipeline compiled to stage machines', () => {
  const build = (app: App) => {
    const stack = new Stack(app, 'Stages', { env: { account: '222222222222', region: 'eu-west-1' } });
    const pipeline = new Pipeline(stack, 'Mixed', {
      definition: mixed('mixed'),
      target: createTestTarget(stack),
      stageWeight: 4,
    });
    return { stack, pipeline };
  };
  const { stack, pipeline } = build(new App({ context: FEATURE_FLAGS }));
  const template = Template.fromStack(stack);
  const name = (machine: sfn.StateMachine) => (machine.node.defaultChild as sfn.CfnStateMachine).stateMachineName!;

  it('should create one machine per stage, each logging to its own encrypted log group with tracing', () => {
    expect(pipeline.stages.map(name)).toStrictEqual([
      'acme-dev-mixed_stage1',
      'acme-dev-mixed_stage2',
      'acme-dev-mixed_stage3',
      'acme-dev-mixed_stage4',
    ]);
    // The pipeline, its two runners and four stages.
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 7);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/acme-dev-mixed_stage2',
      KmsKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'acme-dev-mixed_stage2',
      TracingConfiguration: { Enabled: true },
    });
  });

  it('should measure every machine exactly as definitionBytes measures the resolved template', () => {
    const machines = [pipeline.stateMachine, ...pipeline.stages, pipeline.runners.sql, pipeline.runners.test];
    expect(Object.keys(pipeline.definitionSizes).sort()).toStrictEqual(machines.map(name).sort());
    for (const machine of machines) {
      expect(pipeline.definitionSizes[name(machine)]).toBe(definitionBytes(machine));
    }
  });

  it('should let only the stage that copies read and write the data lake', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const copying = policies.filter((p) => JSON.stringify(p).includes('s3:PutObject'));
    expect(copying).toHaveLength(1);
    expect(JSON.stringify(copying[0].Properties.Roles)).toContain('MixedStage2Role');
  });

  it('should have zero unsuppressed cdk-nag findings and pass cfn-lint', () => {
    const app = new App({ outdir: tempOutdir('stages'), context: FEATURE_FLAGS });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    build(app);
    const { dir, violations } = synthToDir(app);
    // The stand-in environment resources are not the pipeline's; its own machines, roles and logs must be clean.
    expect(violations.filter((v) => v.includes(' at Stages/Mixed/'))).toStrictEqual([]);
    const lint = cfnLint([path.join(dir, 'Stages.template.json')]);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
  });

  it('fails when stageWeight is not a positive integer', () => {
    const other = new Stack(new App(), 'Bad');
    expect(
      () => new Pipeline(other, 'Bad', { definition: mixed('bad'), target: createTestTarget(other), stageWeight: 0 }),
    ).toThrow('Pipeline Bad/Bad: stageWeight must be a positive integer, got: 0');
  });
});
