/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
/**
 * Dashboards, alarms and test metrics in the stacks of the bundled app (production, development and a Kitchen):
 * every pipeline publishes its test metrics, every stack has a dashboard and one per pipeline, whose widgets draw only metrics
 * something publishes, alarms go to the right topic, and production and development normalize to the same resources.
 * cdk-nag and cfn-lint over the same stacks run in test/app.test.ts and test/constructs/kitchen/kitchen.test.ts.
 */
import { compareEnvironments } from '../../../lib/align/check';
import { buildApp } from '../../../lib/app';
import { parseConfig } from '../../../lib/config';
import { findEnvironment, KitchensConfig } from '../../../lib/config/model';
import { checkDashboardMetrics } from '../../../lib/observability/dashboard-check';
import { METRICS_NAMESPACE } from '../../../lib/observability/metrics';
import { flattenCfnString } from '../../../lib/observability/template';
import { constructPathsOf, exampleConfig, foldedTemplate } from '../../support/app';

const NOW = new Date('2026-11-22T10:00:00Z');
const STAFF = 'arn:aws:iam::222222222222:role/analyst-jane';

function build(config: KitchensConfig = exampleConfig()) {
  const built = buildApp(config, {
    nag: false,
    now: NOW,
    context: { kitchens: 'profit-report', kitchenStaff: STAFF, kitchenOwner: 'jane' },
  });
  return {
    config,
    paths: {
      production: constructPathsOf(built.environments.production),
      dev: constructPathsOf(built.environments.dev),
    },
    production: foldedTemplate(built.environments.production).toJSON(),
    dev: foldedTemplate(built.environments.dev).toJSON(),
    kitchen: foldedTemplate(built.kitchens['profit-report']).toJSON(),
  };
}

const ofType = (template: any, type: string): [string, any][] =>
  Object.entries(template.Resources).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];

const definitionOf = (stateMachine: any) => JSON.parse(flattenCfnString(stateMachine.Properties.DefinitionString));

describe('the bundled app with one Kitchen', () => {
  const stacks = build();
  const all = [
    ['production', stacks.production],
    ['dev', stacks.dev],
    ['profit-report', stacks.kitchen],
  ] as const;

  it.each(all)('should publish no test metrics from the pipeline state machines of %s', (_, template) => {
    // Each test publishes from its own Evaluate test execution (below), so a failed run still publishes the tests
    // that ran; the pipelines' own machines and their Run SQL children call no PutMetricData.
    const machines = ofType(template, 'AWS::StepFunctions::StateMachine').filter(
      ([, m]) => !String(m.Properties.StateMachineName).endsWith('_test'),
    );
    expect(machines.length).toBeGreaterThan(0);
    for (const [, machine] of machines) {
      expect(JSON.stringify(definitionOf(machine))).not.toContain('putMetricData');
    }
  });

  it.each(all)("should publish every test's metrics from every Evaluate test machine of %s", (name, template) => {
    const runners = ofType(template, 'AWS::StepFunctions::StateMachine').filter(([, m]) =>
      String(m.Properties.StateMachineName).endsWith('_test'),
    );
    expect(runners.length).toBeGreaterThan(0);
    for (const [, runner] of runners) {
      const states = definitionOf(runner).States;
      const { MetricData: data, Namespace } = states['Publish test metrics'].Parameters;
      expect(Namespace).toBe(METRICS_NAMESPACE);
      expect(data.map((d: any) => [d.MetricName, d.Dimensions.map((x: any) => x.Name).join(',')])).toStrictEqual([
        ['TestValue', 'Project,Environment,Kitchen,Pipeline,Step,Test'],
        ['TestResult', 'Project,Environment,Kitchen,Pipeline,Step,Test,Verdict'],
        ['PipelineTestResult', 'Project,Environment,Kitchen,Pipeline,Level,Verdict'],
      ]);
      // The pipeline's identity, fixed in the machine; step, test, level and verdict come from the state.
      expect(data[0].Dimensions.slice(0, 4)).toStrictEqual([
        { Name: 'Project', Value: 'acme' },
        { Name: 'Environment', Value: name === 'production' ? 'production' : 'dev' },
        { Name: 'Kitchen', Value: name },
        { Name: 'Pipeline', Value: 'orders' },
      ]);
      expect(data[1].Dimensions.slice(4)).toStrictEqual([
        { Name: 'Step', 'Value.$': '$.result.step' },
        { Name: 'Test', 'Value.$': '$.result.test' },
        { Name: 'Verdict', 'Value.$': '$.result.status' },
      ]);
      expect(data[2].Dimensions.slice(4)).toStrictEqual([
        { Name: 'Level', 'Value.$': '$.level' },
        { Name: 'Verdict', 'Value.$': '$.result.status' },
      ]);
      expect(states['Publish test verdict'].Parameters.MetricData).toStrictEqual(data.slice(1));
      expect(states['Publish test band'].Parameters.MetricData.map((d: any) => d.MetricName)).toStrictEqual([
        'TestBandLower',
        'TestBandUpper',
      ]);
    }
  });

  it.each(all)('should allow PutMetricData only in the pipelines namespace in %s', (_, template) => {
    const statements = ofType(template, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const put = statements.filter((s: any) => [s.Action].flat().includes('cloudwatch:PutMetricData'));
    expect(put.length).toBeGreaterThan(0);
    for (const statement of put) {
      expect(statement).toStrictEqual({
        Action: 'cloudwatch:PutMetricData',
        Condition: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
        Effect: 'Allow',
        Resource: '*',
      });
    }
  });

  it.each(all)(
    'should have a dashboard in %s, and one per pipeline, drawing only metrics that are published',
    (name, template) => {
      const prefix = name === 'profit-report' ? 'acme-dev-kitchen-profit-report' : `acme-${name}`;
      expect(
        ofType(template, 'AWS::CloudWatch::Dashboard')
          .map(([, d]) => d.Properties.DashboardName)
          .sort(),
      ).toStrictEqual([prefix, `${prefix}-pipeline-orders`]);
      const { metrics, problems } = checkDashboardMetrics(template);
      expect(problems).toStrictEqual([]);
      expect(metrics.length).toBeGreaterThan(12);
      expect(new Set(metrics.map((m) => m.namespace))).toContain(METRICS_NAMESPACE);
    },
  );

  it('should draw executions, verdicts, an SPC chart, Data API errors, Redshift, SFTP and landing volume for an environment', () => {
    const names = new Set(checkDashboardMetrics(stacks.dev).metrics.map((m) => `${m.namespace} ${m.metricName}`));
    for (const expected of [
      'AWS/States ExecutionsSucceeded',
      'AWS/States ExecutionsFailed',
      'AWS/States ExecutionTime',
      'CdkKitchens/Pipelines PipelineTestResult',
      'CdkKitchens/Pipelines TestValue',
      'CdkKitchens/Pipelines TestBandLower',
      'CdkKitchens/Pipelines TestBandUpper',
      'CdkKitchens/Pipelines DataApiErrors-acme-dev-orders',
      'CdkKitchens/Pipelines ContainerFailures-acme-dev-orders',
      'AWS/Redshift CPUUtilization',
      'AWS/Redshift PercentageDiskSpaceUsed',
      'AWS/Redshift QueryDuration',
      'AWS/Transfer FilesIn',
      'AWS/S3 BucketSizeBytes',
    ]) {
      expect(names).toContain(expected);
    }
    const kitchen = new Set(checkDashboardMetrics(stacks.kitchen).metrics.map((m) => m.namespace));
    expect([...kitchen].sort()).toStrictEqual(['AWS/States', 'CdkKitchens/Pipelines']);
  });

  it('should send every environment alarm to the environment topic and every Kitchen alarm to the Kitchen topic', () => {
    for (const [name, template] of all) {
      const [topic] = ofType(template, 'AWS::SNS::Topic').map(([id]) => id);
      const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
      expect(alarms.length).toBeGreaterThan(5);
      for (const [, alarm] of alarms) {
        expect({ name, actions: alarm.Properties.AlarmActions }).toStrictEqual({ name, actions: [{ Ref: topic }] });
        // and when it is resolved, so the channel hears "OK"
        expect({ name, ok: alarm.Properties.OKActions }).toStrictEqual({ name, ok: [{ Ref: topic }] });
        expect(alarm.Properties.AlarmName).toMatch(
          name === 'profit-report' ? /^acme-dev-kitchen-profit-report-/ : new RegExp(`^acme-${name}-`),
        );
      }
    }
    const alarmNames = (t: any) =>
      ofType(t, 'AWS::CloudWatch::Alarm')
        .map(([, a]) => a.Properties.AlarmName)
        .sort();
    expect(alarmNames(stacks.dev)).toStrictEqual([
      'acme-dev-feed-orders-freshness-Stale',
      'acme-dev-pipeline-orders-Duration-P90-Slow',
      'acme-dev-pipeline-orders-Failure-Count-Failed',
      'acme-dev-pipeline-orders-TimedOut-Count-TimedOut',
      'acme-dev-pipeline-orders-tests-containers-ContainerFailures',
      'acme-dev-pipeline-orders-tests-data-api-DataApiErrors',
      'acme-dev-pipeline-orders-tests-warnings-Warned',
      'acme-dev-warehouse-CPU-Usage-Cpu',
      'acme-dev-warehouse-Disk-Usage-Disk',
    ]);
  });

  it('should choose datapoints to alarm per metric', () => {
    const byName = Object.fromEntries(
      ofType(stacks.dev, 'AWS::CloudWatch::Alarm').map(([, a]) => [
        a.Properties.AlarmName.replace('acme-dev-', ''),
        `${a.Properties.DatapointsToAlarm} of ${a.Properties.EvaluationPeriods}`,
      ]),
    );
    expect(byName).toStrictEqual({
      'feed-orders-freshness-Stale': '1 of 1',
      'pipeline-orders-Duration-P90-Slow': '1 of 1',
      'pipeline-orders-Failure-Count-Failed': '1 of 1',
      'pipeline-orders-TimedOut-Count-TimedOut': '1 of 1',
      'pipeline-orders-tests-containers-ContainerFailures': '1 of 1',
      'pipeline-orders-tests-data-api-DataApiErrors': '1 of 1',
      'pipeline-orders-tests-warnings-Warned': '1 of 1',
      'warehouse-CPU-Usage-Cpu': '3 of 5',
      'warehouse-Disk-Usage-Disk': '2 of 3',
    });
  });

  it.each(all)(
    'should give %s one all-green composite alarm over its acting alarms and each pipeline composite, first on its dashboards',
    (name, template) => {
      const prefix = name === 'profit-report' ? 'acme-dev-kitchen-profit-report' : `acme-${name}`;
      const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
      const ofPipeline = ([, a]: [string, any]) => a.Properties.AlarmName.startsWith(`${prefix}-pipeline-orders-`);
      const pipelineAlarms = alarms.filter(ofPipeline).map(([id]) => id);
      const own = alarms.filter((a) => !ofPipeline(a));
      expect(pipelineAlarms).toHaveLength(6);
      // a feed not enabled in this environment (the orders feed in dev) has an alarm with actions disabled
      const acting = own.filter(([, a]) => a.Properties.ActionsEnabled !== false).map(([id]) => id);
      expect(own.length - acting.length).toBe(name === 'dev' ? 1 : 0);
      const composites = Object.fromEntries(
        ofType(template, 'AWS::CloudWatch::CompositeAlarm').map(([id, c]) => [c.Properties.AlarmName, { id, c }]),
      );
      expect(Object.keys(composites).sort()).toStrictEqual([
        `${prefix}-all-green`,
        `${prefix}-pipeline-orders-all-green`,
      ]);
      const top = composites[`${prefix}-all-green`];
      const pipeline = composites[`${prefix}-pipeline-orders-all-green`];
      for (const { c } of [top, pipeline]) expect(c.Properties.ActionsEnabled).toBe(false);
      // the top composite watches the environment's own acting alarms and the pipeline's composite ...
      const rule = JSON.stringify(top.c.Properties.AlarmRule);
      for (const id of [...acting, pipeline.id]) expect(rule).toContain(`"${id}","Arn"`);
      expect(rule.match(/ALARM\(/g)).toHaveLength(acting.length + 1);
      // ... which watches every alarm of the pipeline
      const pipelineRule = JSON.stringify(pipeline.c.Properties.AlarmRule);
      for (const id of pipelineAlarms) expect(pipelineRule).toContain(`"${id}","Arn"`);
      expect(pipelineRule.match(/ALARM\(/g)).toHaveLength(pipelineAlarms.length);
      // each dashboard opens with its header and then the alarm status tile: its composite first, then its alarms
      const dashboards = Object.fromEntries(
        ofType(template, 'AWS::CloudWatch::Dashboard').map(([, d]) => [d.Properties.DashboardName, d]),
      );
      for (const [dashboard, composite, count] of [
        [prefix, top.id, own.length],
        [`${prefix}-pipeline-orders`, pipeline.id, pipelineAlarms.length],
      ] as const) {
        const body = JSON.stringify(dashboards[dashboard].Properties.DashboardBody);
        const widgets = JSON.parse(flattenCfnString(dashboards[dashboard].Properties.DashboardBody)).widgets;
        expect(widgets[1]).toMatchObject({
          type: 'alarm',
          width: 24,
          properties: { title: `All green? ${dashboard}` },
        });
        expect(widgets[1].properties.alarms).toHaveLength(count + 1);
        expect(body.indexOf(`${composite}\\",\\"Arn`) >= 0 || body.indexOf(`"${composite}","Arn"`) >= 0).toBe(true);
      }
    },
  );

  it('should normalize the production and development dashboards, alarms and metric filters to identical resources', () => {
    const { config } = stacks;
    const result = compareEnvironments(config, findEnvironment(config, 'dev'), findEnvironment(config, 'production'), {
      templates: { dev: stacks.dev, production: stacks.production },
      assets: {},
      paths: stacks.paths,
    } as Parameters<typeof compareEnvironments>[3]);
    const observability = /^AWS::(CloudWatch::|Logs::MetricFilter)/;
    // Identity differences (names, region, account) are what normalization maps away; nothing else may differ.
    const mine = result.differences.filter(
      (d) => observability.test(d.resourceType) && d.classification !== 'identity',
    );
    // ... but the declared `feeds` divergence: the orders freshness alarm acts, and counts in all green, in production only
    expect(mine.map((d) => `${d.classification} ${d.divergence} ${d.resourceType} ${d.path}`)).toStrictEqual([
      'divergence feeds AWS::CloudWatch::CompositeAlarm Properties.AlarmRule',
      'divergence feeds AWS::CloudWatch::Alarm Properties.ActionsEnabled',
    ]);
    // and the comparison saw them: both stacks hold the same observability resources
    const ids = (t: any) =>
      Object.entries(t.Resources)
        .filter(([, r]: [string, any]) => observability.test(r.Type))
        .map(([id]) => id)
        .sort();
    expect(ids(stacks.dev)).toStrictEqual(ids(stacks.production));
    // 9 alarms, 2 metric filters, 2 dashboards (the environment's, the pipeline's), 2 composites
    expect(ids(stacks.dev).length).toBe(15);
    expect(result.differences.filter((d) => d.classification === 'drift')).toStrictEqual([]);
  });

  it('should report a widget metric nothing publishes (the check can fail)', () => {
    const template = JSON.parse(JSON.stringify(stacks.dev));
    const [[, dashboard]] = ofType(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.parse(flattenCfnString(dashboard.Properties.DashboardBody));
    body.widgets.push(
      { type: 'metric', properties: { title: 'typo', metrics: [[METRICS_NAMESPACE, 'TestValu', 'Project', 'acme']] } },
      { type: 'metric', properties: { title: 'dims', metrics: [[METRICS_NAMESPACE, 'TestValue', 'Project', 'acme']] } },
      {
        type: 'metric',
        properties: { title: 'aws', metrics: [['AWS/States', 'ExecutionsLost', 'StateMachineArn', 'x']] },
      },
      {
        type: 'metric',
        properties: { title: 'ref', metrics: [['AWS/Redshift', 'CPUUtilization', 'ClusterIdentifier', 'other']] },
      },
    );
    dashboard.Properties.DashboardBody = JSON.stringify(body);
    expect(checkDashboardMetrics(template).problems).toStrictEqual([
      `${METRICS_NAMESPACE} TestValu {"Project":"acme"} (widget "typo"): nothing in this template publishes it`,
      `${METRICS_NAMESPACE} TestValue {"Project":"acme"} (widget "dims"): nothing in this template publishes it`,
      'AWS/States ExecutionsLost {"StateMachineArn":"x"} (widget "aws"): AWS publishes no metric ExecutionsLost in AWS/States',
      'AWS/Redshift CPUUtilization {"ClusterIdentifier":"other"} (widget "ref"): dimension ClusterIdentifier must reference a AWS::Redshift::Cluster of this template',
    ]);
  });
});

describe('monitoring thresholds from the config file', () => {
  const raw = () => {
    const yaml = require('yaml') as typeof import('yaml'); // eslint-disable-line @typescript-eslint/no-require-imports
    const fs = require('fs') as typeof import('fs'); // eslint-disable-line @typescript-eslint/no-require-imports
    const { EXAMPLE_CONFIG } = require('../../support/app') as typeof import('../../support/app'); // eslint-disable-line @typescript-eslint/no-require-imports
    return { doc: yaml.parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8')), file: EXAMPLE_CONFIG };
  };

  it('should use the configured thresholds in the alarms of every environment', () => {
    const { doc, file } = raw();
    doc.monitoring = { warehouseCpuPercent: 70, warehouseDiskPercent: 60, runDurationMinutes: 45 };
    const config = parseConfig(doc, file);
    const built = buildApp(config, { nag: false, environments: ['production'] });
    const template = foldedTemplate(built.environments.production);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'acme-production-warehouse-CPU-Usage-Cpu',
      Threshold: 70,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'acme-production-warehouse-Disk-Usage-Disk',
      Threshold: 60,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'acme-production-pipeline-orders-Duration-P90-Slow',
      Threshold: 45 * 60 * 1000,
    });
  });

  it('should default to 90% CPU, 80% disk and 120 minutes', () => {
    expect(findEnvironment(exampleConfig(), 'dev').monitoring).toStrictEqual({
      warehouseCpuPercent: 90,
      warehouseDiskPercent: 80,
      runDurationMinutes: 120,
    });
  });

  it('fails when a threshold is out of range', () => {
    const { doc, file } = raw();
    doc.monitoring = { warehouseCpuPercent: 150 };
    expect(() => parseConfig(doc, file)).toThrow(
      'monitoring.warehouseCpuPercent must be an integer from 1 to 100, got: 150',
    );
  });
});

describe('a Kitchen without pipelines', () => {
  it('should show a text tile instead of an empty alarm status widget, and create no composite alarm', () => {
    // GIVEN a config without pipelines: the Kitchen has nothing to alarm on
    const config = { ...exampleConfig(), pipelines: [] };
    const built = buildApp(config, { nag: false, now: NOW, context: { kitchen: 'no-pipes', kitchenOwner: 'jane' } });
    const template = foldedTemplate(built.kitchens['no-pipes']).toJSON();
    expect(ofType(template, 'AWS::CloudWatch::Alarm')).toStrictEqual([]);
    expect(ofType(template, 'AWS::CloudWatch::CompositeAlarm')).toStrictEqual([]);
    const [[, dashboard]] = ofType(template, 'AWS::CloudWatch::Dashboard');
    const widgets = JSON.parse(flattenCfnString(dashboard.Properties.DashboardBody)).widgets;
    expect(widgets[1]).toMatchObject({ type: 'text', width: 24, height: 4 });
    expect(widgets[1].properties.markdown).toBe(
      '### All green? acme-dev-kitchen-no-pipes\nNo alarms here yet: no pipeline, no feed.',
    );
    expect(widgets.filter((w: { type: string }) => w.type === 'alarm')).toStrictEqual([]);
  });
});
