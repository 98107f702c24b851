/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
/**
 * The all-green composite alarm stays under CloudWatch's 10,240-character rule cap however many alarms it watches:
 * the rules are checked as CloudFormation will send them, with every alarm ARN written out.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AllGreen, COMPOSITE_RULE_MAX_CHARS } from '../../../constructs/observability/all-green';

/** The composite alarms of a template with their rules as deployed: each GetAtt Arn replaced by the alarm's ARN. */
function deployedRules(template: any): Record<string, string> {
  const arns: Record<string, string> = {};
  for (const [id, r] of Object.entries<any>(template.Resources)) {
    const name = r.Properties.AlarmName;
    arns[id] = `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`;
  }
  const render = (value: any): string => {
    if (typeof value === 'string') return value;
    if (value['Fn::Join']) return value['Fn::Join'][1].map(render).join(value['Fn::Join'][0]);
    if (value['Fn::GetAtt']) return arns[value['Fn::GetAtt'][0]];
    throw new Error(`unexpected ${JSON.stringify(value)}`);
  };
  return Object.fromEntries(
    Object.values<any>(template.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm')
      .map((r) => [r.Properties.AlarmName, render(r.Properties.AlarmRule)]),
  );
}

function withAlarms(count: number, nameLength: number, maxRuleLength?: number) {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const metric = new cloudwatch.Metric({ namespace: 'N', metricName: 'M', period: Duration.minutes(5) });
  const alarms = Array.from({ length: count }, (_, i) => {
    const alarmName = `acme-dev-${String(i).padStart(4, '0')}-${'x'.repeat(nameLength)}`;
    const alarm = metric.createAlarm(stack, `Alarm${i}`, { alarmName, threshold: 1, evaluationPeriods: 1 });
    return { alarm, alarmName };
  });
  const allGreen = new AllGreen(stack, 'AllGreen', {
    alarmName: 'acme-dev-all-green',
    subject: 'acme-dev',
    alarms,
    maxRuleLength,
  });
  return { allGreen, template: Template.fromStack(stack).toJSON() };
}

describe('the all-green composite alarm', () => {
  it('should watch a few alarms in one rule', () => {
    const { allGreen, template } = withAlarms(8, 30);
    expect(allGreen.parts).toStrictEqual([]);
    const rules = deployedRules(template);
    expect(Object.keys(rules)).toStrictEqual(['acme-dev-all-green']);
    expect(rules['acme-dev-all-green'].match(/ALARM\(/g)).toHaveLength(8);
  });

  it('should nest composites past the 10,240-character cap, each rule under it, every alarm watched once', () => {
    // 400 alarms with 80-character names: about 55,000 characters in one rule
    const { allGreen, template } = withAlarms(400, 65);
    const rules = deployedRules(template);
    expect(allGreen.parts.length).toBeGreaterThan(4);
    for (const [name, rule] of Object.entries(rules)) {
      expect({ name, fits: rule.length <= COMPOSITE_RULE_MAX_CHARS }).toStrictEqual({ name, fits: true });
    }
    const watched = Object.entries(rules)
      .filter(([name]) => name !== 'acme-dev-all-green')
      .flatMap(([, rule]) => rule.match(/alarm:acme-dev-\d{4}/g) ?? []);
    expect(watched).toHaveLength(400);
    expect(new Set(watched).size).toBe(400);
    // the top watches the parts only
    expect(rules['acme-dev-all-green'].match(/ALARM\(/g)).toHaveLength(allGreen.parts.length);
    expect(rules['acme-dev-all-green']).toContain('alarm:acme-dev-all-green-part-1"');
  });

  it('should fill a rule up to the limit it is given, no further', () => {
    const { allGreen, template } = withAlarms(20, 10, 1000);
    const rules = deployedRules(template);
    expect(allGreen.parts.length).toBeGreaterThan(1);
    for (const rule of Object.values(rules)) expect(rule.length).toBeLessThanOrEqual(1000);
  });

  it('fails when it is given no alarm', () => {
    expect(() => withAlarms(0, 10)).toThrow(
      'AllGreen acme-dev-all-green: alarms must list at least one alarm, got none',
    );
  });
});
