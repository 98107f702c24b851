import * as path from 'path';
import { Match } from 'aws-cdk-lib/assertions';
import { buildApp, loadPipelines } from '../lib/app';
import { PipelineBuilder } from '../lib/pipeline/builder';
import type { PipelineDefinition } from '../lib/pipeline/model';
import { exampleConfig, foldedTemplate } from './support/app';

function dailyTotals(app = 'transform'): PipelineBuilder {
  return new PipelineBuilder('daily-totals')
    .sql('sum-orders', {
      sql: 'INSERT INTO {{schema}}.daily_totals SELECT order_date, SUM(amount) FROM {{schema}}.orders GROUP BY 1',
      tests: [
        { name: 'daily totals row count', query: 'SELECT COUNT(*) FROM {{schema}}.daily_totals', rule: { min: 1 } },
      ],
    })
    .container('publish', { app, after: ['sum-orders'] });
}

describe('buildApp with pipelines defined in code', () => {
  const config = exampleConfig();
  const built = buildApp(config, {
    nag: false,
    environments: ['dev'],
    pipelines: [dailyTotals(), weekly()],
  });
  const template = foldedTemplate(built.environments.dev);

  function weekly(): PipelineDefinition {
    return new PipelineBuilder('weekly')
      .sql('refresh', { sql: 'SELECT 1' })
      .build({ apps: config.apps.map((a) => a.name) });
  }

  it('should deploy the builder pipeline, the built definition and the config file pipeline', () => {
    for (const name of ['acme-dev-daily-totals', 'acme-dev-weekly', 'acme-dev-orders']) {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: name });
    }
    template.resourcePropertiesCountIs(
      'AWS::StepFunctions::StateMachine',
      { StateMachineName: Match.stringLikeRegexp('^acme-dev-(daily-totals|weekly|orders)$') },
      3,
    );
  });

  it('should render the pipeline with the environment variables', () => {
    const definitions = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definitions).toContain('analytics.daily_totals');
    expect(definitions).not.toContain('{{schema}}');
  });
});

describe('loadPipelines', () => {
  const config = exampleConfig();

  it('should load a file path relative to the config file', () => {
    const definitions = loadPipelines({ ...config, pipelines: [] }, ['pipelines/orders.yaml']);
    expect(definitions.map((d) => d.id)).toStrictEqual(['orders']);
    expect(path.isAbsolute(config.file)).toBe(true);
  });

  it('fails when a builder step runs an app the config does not declare', () => {
    expect(() => loadPipelines(config, [dailyTotals('report')])).toThrow(
      'pipeline "daily-totals" (builder): steps[1].app must be one of the container apps in the config (ingest, transform), got: "report"',
    );
  });

  it('fails when a definition built for other apps runs an app the config does not declare', () => {
    const foreign = dailyTotals('report').build({ apps: ['report'] });
    expect(() => loadPipelines(config, [foreign])).toThrow(
      'buildApp: pipelines[0] (pipeline "daily-totals" (builder)) step "publish" runs app "report", which ' +
        'kitchens.config.yaml does not declare; apps are: ingest, transform',
    );
  });

  it('fails when a pipeline id is defined twice', () => {
    const orders = new PipelineBuilder('orders').sql('noop', { sql: 'SELECT 1' });
    expect(() => loadPipelines(config, [orders])).toThrow(
      'buildApp: pipeline id "orders" is defined twice (pipelines/orders.yaml and pipeline "orders" (builder)); ' +
        'pipeline ids must be unique',
    );
  });
});
