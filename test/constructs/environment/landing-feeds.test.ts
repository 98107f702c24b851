/**
 * Landing freshness per declared feed (issue 25, part 5): the landing bucket's EventBridge notifications, one
 * "Object Created" rule per feed, and a MatchedEvents alarm that treats missing data as breaching, acting (and in the
 * all-green composite) only where the config enables the feed. Nothing else changes: no IAM, no function.
 */
import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { parse } from 'yaml';
import { LandingFeeds } from '../../../constructs/environment/landing-feeds';
import { parseConfig } from '../../../lib/config';
import type { KitchensConfig } from '../../../lib/config/model';
import { EXAMPLE_CONFIG, exampleConfig, synthEnvironments } from '../../support/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw YAML and template JSON, read freely
type Any = any;

function configWith(edit: (raw: Any) => void): KitchensConfig {
  const raw = parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
  edit(raw);
  return parseConfig(raw, EXAMPLE_CONFIG);
}

const ofType = (t: Template, type: string): [string, Any][] =>
  Object.entries(t.toJSON().Resources as Record<string, Any>).filter(([, r]) => r.Type === type);

describe('the bundled orders feed', () => {
  const { templates } = synthEnvironments(exampleConfig());
  const withoutFeeds = synthEnvironments(
    configWith((raw) => {
      delete raw.feeds;
      raw.alignment.divergence = raw.alignment.divergence.filter((f: string) => f !== 'feeds');
    }),
  ).templates;
  const envs = ['production', 'dev'] as const;

  it.each(envs)('should send the landing bucket events of %s to EventBridge, on the bucket itself', (name) => {
    const t = templates[name];
    const [[landingId]] = ofType(t, 'AWS::S3::Bucket').filter(([id]) => id.includes('Landing'));
    const notified = ofType(t, 'AWS::S3::Bucket').filter(([, b]) => b.Properties.NotificationConfiguration);
    expect(notified.map(([id, b]) => [id, b.Properties.NotificationConfiguration])).toStrictEqual([
      [landingId, { EventBridgeConfiguration: { EventBridgeEnabled: true } }],
    ]);
    // not through the L2 `eventBridgeEnabled`, whose custom resource's function may PutBucketNotification on "*"
    expect(ofType(t, 'Custom::S3BucketNotifications')).toStrictEqual([]);
    // and without feeds, the bucket sends nothing
    expect(
      ofType(withoutFeeds[name], 'AWS::S3::Bucket').filter(([, b]) => b.Properties.NotificationConfiguration),
    ).toStrictEqual([]);
  });

  it.each(envs)('should add exactly one rule and one alarm in %s, and widen nothing', (name) => {
    const all = (t: Template) => t.toJSON().Resources as Record<string, Any>;
    const added = Object.keys(all(templates[name])).filter((id) => !(id in all(withoutFeeds[name])));
    expect(added.map((id) => all(templates[name])[id].Type).sort()).toStrictEqual([
      'AWS::CloudWatch::Alarm',
      'AWS::Events::Rule',
    ]);
    expect(Object.keys(all(withoutFeeds[name])).filter((id) => !(id in all(templates[name])))).toStrictEqual([]);
    // every identity, policy, key, bucket policy and function is exactly as it was
    const unchanged = [
      'AWS::IAM::Role',
      'AWS::IAM::Policy',
      'AWS::IAM::ManagedPolicy',
      'AWS::KMS::Key',
      'AWS::S3::BucketPolicy',
      'AWS::SNS::TopicPolicy',
      'AWS::Lambda::Function',
    ];
    for (const type of unchanged) {
      expect({ type, resources: ofType(templates[name], type) }).toStrictEqual({
        type,
        resources: ofType(withoutFeeds[name], type),
      });
    }
  });

  it.each(envs)('should match objects created under the feed prefix of the landing bucket in %s', (name) => {
    const t = templates[name];
    const [[landingId]] = ofType(t, 'AWS::S3::Bucket').filter(([id]) => id.includes('Landing'));
    const rules = ofType(t, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern?.source?.[0] === 'aws.s3');
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules;
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.EventPattern).toStrictEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: [{ Ref: landingId }] },
        object: { key: [{ prefix: 'sftp/partner-globex/orders/' }] },
      },
    });
    expect(rule.Properties.Targets).toBeUndefined();
  });

  it.each([
    ['production', true],
    ['dev', false],
  ] as const)(
    'should alarm in %s on the rule MatchedEvents, missing data breaching, OK actions, acting: %s',
    (name, acting) => {
      const t = templates[name];
      const [[ruleId]] = ofType(t, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern?.source);
      const [[topicId]] = ofType(t, 'AWS::SNS::Topic');
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `acme-${name}-feed-orders-freshness-Stale`,
        ActionsEnabled: acting,
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        DatapointsToAlarm: 1,
        EvaluationPeriods: 1,
        TreatMissingData: 'breaching',
        Metrics: [
          Match.objectLike({
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Events',
                MetricName: 'MatchedEvents',
                Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }],
              },
              Period: 86_400,
              Stat: 'Sum',
            },
          }),
        ],
      });
    },
  );

  it.each([
    ['production', true],
    ['dev', false],
  ] as const)('should count the feed alarm in the all-green composite of %s: %s', (name, member) => {
    const t = templates[name];
    const [[alarmId]] = ofType(t, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      a.Properties.AlarmName.includes('-feed-orders-'),
    );
    const [[, composite]] = ofType(t, 'AWS::CloudWatch::CompositeAlarm');
    expect(JSON.stringify(composite.Properties.AlarmRule).includes(`"${alarmId}","Arn"`)).toBe(member);
    // the dashboard's status tile lists it in both (the dashboards stay identical)
    const [[, dashboard]] = ofType(t, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain(alarmId);
  });
});

describe('feeds with other windows and environments', () => {
  const config = configWith((raw) => {
    raw.feeds = [
      { name: 'orders', prefix: 'sftp/partner-globex/orders/', every: '24h' },
      { name: 'catalog', prefix: 'sftp/partner-globex/catalog-', every: '7d', enabledIn: ['production', 'dev'] },
      { name: 'clicks', prefix: 'events/clicks/', every: '15m', enabledIn: ['dev'] },
    ];
  });
  const { templates } = synthEnvironments(config);
  const alarms = (name: string) =>
    Object.fromEntries(
      ofType(templates[name], 'AWS::CloudWatch::Alarm')
        .filter(([, a]) => a.Properties.AlarmName.includes('-feed-'))
        .map(([, a]) => [
          a.Properties.AlarmName.replace(`acme-${name}-`, ''),
          { period: a.Properties.Metrics[0].MetricStat.Period, acting: a.Properties.ActionsEnabled },
        ]),
    );

  it('should evaluate each window as one period, up to 7 days', () => {
    expect(alarms('production')).toStrictEqual({
      'feed-orders-freshness-Stale': { period: 86_400, acting: true },
      'feed-catalog-freshness-Stale': { period: 604_800, acting: true },
      'feed-clicks-freshness-Stale': { period: 900, acting: false },
    });
    expect(alarms('dev')).toStrictEqual({
      'feed-orders-freshness-Stale': { period: 86_400, acting: false },
      'feed-catalog-freshness-Stale': { period: 604_800, acting: true },
      'feed-clicks-freshness-Stale': { period: 900, acting: true },
    });
  });

  it('should match each feed by its own prefix', () => {
    const prefixes = ofType(templates.dev, 'AWS::Events::Rule')
      .filter(([, r]) => r.Properties.EventPattern?.source)
      .map(([, r]) => r.Properties.EventPattern.detail.object.key[0].prefix)
      .sort();
    expect(prefixes).toStrictEqual(['events/clicks/', 'sftp/partner-globex/catalog-', 'sftp/partner-globex/orders/']);
  });
});

describe('LandingFeeds in a user app', () => {
  const stack = () => new Stack(new App(), 'Feeds');
  const feed = { name: 'orders', prefix: 'in/orders/', every: '1h', windowSeconds: 3600, enabled: true };

  it('fails on a window CloudWatch cannot evaluate', () => {
    const s = stack();
    expect(
      () =>
        new LandingFeeds(s, 'Feeds', {
          bucket: new s3.Bucket(s, 'Bucket'),
          feeds: [{ ...feed, every: '14d', windowSeconds: 14 * 86_400 }],
        }),
    ).toThrow(
      'LandingFeeds: feeds[orders].windowSeconds must be whole minutes from 300 to 604800 (CloudWatch evaluates at most 7 days), got: 1209600',
    );
  });

  it('fails on a prefix that leaves the landing bucket root', () => {
    const s = stack();
    expect(
      () =>
        new LandingFeeds(s, 'Feeds', {
          bucket: new s3.Bucket(s, 'Bucket'),
          feeds: [{ ...feed, prefix: '../raw/' }],
        }),
    ).toThrow(
      'LandingFeeds: feeds[orders].prefix must be a relative key prefix in the landing bucket (no "." or ".." segments, no "//", not under "kitchens/"), got: "../raw/"',
    );
  });

  it('fails on two feeds with one name', () => {
    const s = stack();
    expect(() => new LandingFeeds(s, 'Feeds', { bucket: new s3.Bucket(s, 'Bucket'), feeds: [feed, feed] })).toThrow(
      'LandingFeeds: feeds must have unique names, got a second "orders"',
    );
  });
});
