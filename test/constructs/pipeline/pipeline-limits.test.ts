import { App, Stack } from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Pipeline } from '../../../constructs/pipeline/pipeline';
import { PipelineBuilder } from '../../../lib/pipeline/builder';
import { planSteps } from '../../../lib/pipeline/graph';
import { historyEventBounds, pipelineStages } from '../../../lib/pipeline/limits';
import { createTestTarget } from '../../support/pipeline-target';

const context = { apps: ['ingest'] };

describe('Pipeline limits', () => {
  it('fails when SQL holds "${" that the stored definition would read as a placeholder, and inlines it on request', () => {
    const definition = new PipelineBuilder('dollar')
      .sql('load', { sql: "SELECT '${not_a_placeholder}'" })
      .build(context);
    const stack = new Stack(new App(), 'Dollar');
    expect(() => new Pipeline(stack, 'Dollar', { definition, target: createTestTarget(stack) })).toThrow(
      'Dollar/Dollar/Resource: the state machine definition contains "${not_a_placeholder}", which Step Functions would ' +
        'read as a DefinitionSubstitutions placeholder of the stored definition; change the SQL or name so that no "$" ' +
        'is directly followed by "{"',
    );
    const inline = new Stack(new App(), 'Inline');
    const pipeline = new Pipeline(inline, 'Dollar', {
      definition,
      target: createTestTarget(inline),
      definitionStorage: 'inline',
    });
    expect((pipeline.stateMachine.node.defaultChild as CfnStateMachine).definitionString).toBeDefined();
  });

  it('fails on an unknown definitionStorage, naming the value and what is allowed', () => {
    const definition = new PipelineBuilder('odd').sql('load', { sql: 'SELECT 1' }).build(context);
    const stack = new Stack(new App(), 'Odd');
    expect(
      () =>
        new Pipeline(stack, 'Odd', {
          definition,
          target: createTestTarget(stack),
          definitionStorage: 's3' as 'asset',
        }),
    ).toThrow(`Pipeline Odd/Odd: definitionStorage must be 'asset' or 'inline', got: "s3"`);
  });

  it('fails before synthesis when the definition would exceed 1 MB', () => {
    // GIVEN 11 statements of 99 KB each: each is within the Data API limit, together they are not.
    const builder = new PipelineBuilder('large');
    for (let i = 0; i < 11; i++) {
      builder.sql(`s${i}`, {
        sql: `SELECT '${String.fromCharCode(97 + i).repeat(99 * 1024)}'`,
        timeoutMinutes: 5,
        pollSeconds: 60,
      });
    }
    const definition = builder.build(context);
    const stack = new Stack(new App(), 'Limits');
    // THEN
    expect(() => new Pipeline(stack, 'Large', { definition, target: createTestTarget(stack) })).toThrow(
      /^pipeline "large" \(builder\): the compiled state machine definition of acme-dev-large must be at most 1048576 bytes \(the Step Functions limit\), got: 11\d{5} bytes; split the pipeline, remove tests or shorten long SQL$/,
    );
  });

  const copies = () => {
    const builder = new PipelineBuilder('long');
    for (let i = 0; i < 4; i++) {
      builder.copy(`c${i}`, { from: { bucket: 'landing', prefix: `p${i}/` }, to: { bucket: 'raw' }, maxObjects: 1000 });
    }
    return builder.build(context);
  };

  it('should put copy steps with many objects in stages, each within the history limit', () => {
    // GIVEN four copies of up to 1000 objects: about 7,000 history events each, 28,000 in one execution
    const definition = copies();
    const plan = planSteps(definition.steps);
    const stack = new Stack(new App(), 'Limits');
    // WHEN
    const pipeline = new Pipeline(stack, 'Long', { definition, target: createTestTarget(stack) });
    // THEN two stages of two copies each
    expect(pipeline.stages).toHaveLength(2);
    const bounds = historyEventBounds(definition, plan, pipelineStages(definition, plan));
    expect(bounds.stages).toStrictEqual([14060, 14060]);
  });

  it('fails before synthesis on an execution that could exceed the history limit', () => {
    const stack = new Stack(new App(), 'Limits');
    expect(
      () => new Pipeline(stack, 'Long', { definition: copies(), target: createTestTarget(stack), stageWeight: 1000 }),
    ).toThrow(/could record up to 2\d{4} history events; Step Functions allows at most 25000/);
  });

  it('fails when an app has no task definition in the target', () => {
    const stack = new Stack(new App(), 'Apps');
    const definition = new PipelineBuilder('apps').container('a', { app: 'reporter' }).build({ apps: ['reporter'] });
    expect(() => new Pipeline(stack, 'Apps', { definition, target: createTestTarget(stack) })).toThrow(
      'pipeline "apps" (builder): steps[0].app must be a container app of this environment (ingest, transform), got: "reporter"',
    );
  });
});
