/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
/**
 * The housekeeping jobs alarm to their environment's topic: the Kitchen reaper (in the development environment's
 * Kitchen host stack) and the clone job and its setup (in production's clone export stack), each stack with a
 * dashboard that opens with its all-green tile.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import { flattenCfnString } from '../../../lib/observability/template';
import { exampleConfig } from '../../support/app';

const ofType = (template: any, type: string): [string, any][] =>
  Object.entries(template.Resources).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];

describe('alarms of the reaper and the clone job', () => {
  const built = buildApp(exampleConfig(), { nag: false });
  const host = Template.fromStack(built.kitchenHosts.dev).toJSON();
  const cloneStack = built.app.node.findChild('acme-production-clone-to-dev');
  const clone = Template.fromStack(cloneStack as any).toJSON();

  /** The SSM parameter (by its default, the parameter name) an alarm action refers to. */
  const parameterOf = (template: any, action: any) => template.Parameters[action.Ref].Default;

  it.each([
    [
      'the Kitchen host stack',
      () => host,
      '/acme/dev/alerts/topic-arn',
      [
        'acme-dev-kitchens-kitchen-reaper-Failure-Count-Failed',
        'acme-dev-kitchens-kitchen-reaper-TimedOut-Count-TimedOut',
      ],
    ],
    [
      'the clone export stack',
      () => clone,
      '/acme/production/alerts/topic-arn',
      [
        'acme-production-clone-to-dev-clone-publish-Failure-Count-Failed',
        'acme-production-clone-to-dev-clone-publish-TimedOut-Count-TimedOut',
        'acme-production-clone-to-dev-clone-setup-Failure-Count-Failed',
        'acme-production-clone-to-dev-clone-setup-TimedOut-Count-TimedOut',
      ],
    ],
  ])(
    'should alarm and resolve failed and timed-out runs in %s on the environment topic',
    (_, template, topic, names) => {
      const alarms = ofType(template(), 'AWS::CloudWatch::Alarm');
      expect(alarms.map(([, a]) => a.Properties.AlarmName).sort()).toStrictEqual(names);
      for (const [, alarm] of alarms) {
        expect(alarm.Properties.AlarmActions.map((a: any) => parameterOf(template(), a))).toStrictEqual([topic]);
        expect(alarm.Properties.OKActions.map((a: any) => parameterOf(template(), a))).toStrictEqual([topic]);
        expect(alarm.Properties).toMatchObject({
          DatapointsToAlarm: 1,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        const [metric] = alarm.Properties.Metrics;
        expect(metric.MetricStat.Metric.Namespace).toBe('AWS/States');
        expect(['ExecutionsFailed', 'ExecutionsTimedOut']).toContain(metric.MetricStat.Metric.MetricName);
      }
      const [[compositeId, composite]] = ofType(template(), 'AWS::CloudWatch::CompositeAlarm');
      expect(composite.Properties.AlarmName).toMatch(/-all-green$/);
      expect(JSON.stringify(composite.Properties.AlarmRule).match(/ALARM\(/g)).toHaveLength(names.length);
      const [[, dashboard]] = ofType(template(), 'AWS::CloudWatch::Dashboard');
      const widgets = JSON.parse(flattenCfnString(dashboard.Properties.DashboardBody)).widgets;
      expect(widgets[1].type).toBe('alarm');
      expect(widgets[1].properties.alarms).toHaveLength(names.length + 1);
      expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain(`"${compositeId}","Arn"`);
    },
  );

  it("should watch the reaper's own state machine", () => {
    const [machineId] = ofType(host, 'AWS::StepFunctions::StateMachine')[0];
    for (const [, alarm] of ofType(host, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.Metrics[0].MetricStat.Metric.Dimensions).toStrictEqual([
        { Name: 'StateMachineArn', Value: { Ref: machineId } },
      ]);
    }
  });
});
