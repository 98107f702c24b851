/**
 * Declared divergence: where each `alignment.divergence` field shows in a synthesized template, and which value each
 * environment's config gives it there. A difference is accepted only when each side holds its own config's value
 * (value provenance): production code that sets a log group to 1 day of retention is drift even though
 * `retention.logDays` is declared, because production's config says 365.
 */
import type { EnvironmentConfig } from '../config/model';
import type { DivergenceField } from '../config/schema';

export type Template = { Resources?: Record<string, CfnResource>; [key: string]: unknown };
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  [key: string]: unknown;
}

export interface DivergenceLocation {
  /** Resource type, or `*` for any. */
  readonly type: string;
  /** Property path; `*` matches every key or index, `*[Key=Value]` only elements whose Key equals Value. */
  readonly path: string;
  /**
   * The construct path (below the stack, from the cloud assembly) the resource must have on both sides.
   * @default - any construct
   */
  readonly construct?: RegExp;
  /**
   * What the resource must be on both sides (a rule with a schedule expression).
   * @default - any resource of `type`
   */
  readonly resource?: (resource: CfnResource) => boolean;
  /**
   * The values an environment's config gives this location (`undefined` = the property is absent), for the
   * environment's own resource at this location.
   */
  readonly expected: (env: EnvironmentConfig, resource: CfnResource) => readonly unknown[];
}

/**
 * Construct paths of the library's schedule rules: `<pipeline>/Schedule/Resource/Resource` (PipelineSchedule in
 * constructs/pipeline/schedule.ts) and `<clone job>/Schedule/Resource` (constructs/clone/clone-job.ts).
 */
export const SCHEDULE_CONSTRUCT = /(^|\/)Schedule\/Resource(\/Resource)?$/;

/**
 * The feed a landing freshness alarm watches: an `AWS/Events` `MatchedEvents` alarm named `...-feed-NAME-...`
 * (`DataOpsMonitoring`), else undefined.
 */
export function feedOfAlarm(resource: CfnResource): string | undefined {
  const p = resource.Properties ?? {};
  if (resource.Type !== 'AWS::CloudWatch::Alarm' || !JSON.stringify(p).includes('"MetricName":"MatchedEvents"'))
    return undefined;
  const match = typeof p.AlarmName === 'string' ? FEED_ALARM_NAME.exec(p.AlarmName) : null;
  return match ? match[1] : undefined;
}

/** The physical name of a feed's freshness alarm ends in `-feed-NAME-freshness-Stale` (`DataOpsMonitoring`). */
export const FEED_ALARM_NAME = /-feed-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)-freshness-Stale$/;

/** The removal policy stateful resources get (constructs/core/removal.ts): production always retains. */
function retains(env: EnvironmentConfig): boolean {
  return env.stage === 'production' || env.removalPolicy === 'retain';
}

/** Where each divergence field shows in a template, and the value each environment's config puts there. */
export const DIVERGENCE_LOCATIONS: Readonly<Record<DivergenceField, readonly DivergenceLocation[]>> = {
  'warehouse.nodeType': [
    { type: 'AWS::Redshift::Cluster', path: 'Properties.NodeType', expected: (e) => [e.warehouse.nodeType] },
  ],
  'warehouse.nodes': [
    {
      type: 'AWS::Redshift::Cluster',
      path: 'Properties.NumberOfNodes',
      expected: (e) => [e.warehouse.nodes > 1 ? e.warehouse.nodes : undefined],
    },
    {
      type: 'AWS::Redshift::Cluster',
      path: 'Properties.ClusterType',
      expected: (e) => [e.warehouse.nodes > 1 ? 'multi-node' : 'single-node'],
    },
  ],
  'retention.logDays': [
    { type: 'AWS::Logs::LogGroup', path: 'Properties.RetentionInDays', expected: (e) => [e.retention.logDays] },
    {
      type: 'AWS::S3::Bucket',
      path: 'Properties.LifecycleConfiguration.Rules.*[Id=ExpireAccessLogs].ExpirationInDays',
      expected: (e) => [e.retention.logDays],
    },
  ],
  'retention.landingDays': [
    {
      type: 'AWS::S3::Bucket',
      path: 'Properties.LifecycleConfiguration.Rules.*[Id=ExpireLanding].ExpirationInDays',
      expected: (e) => [e.retention.landingDays],
    },
  ],
  'retention.noncurrentVersionDays': [
    {
      type: 'AWS::S3::Bucket',
      path: 'Properties.LifecycleConfiguration.Rules.*.NoncurrentVersionExpiration.NoncurrentDays',
      expected: (e) => [e.retention.noncurrentVersionDays],
    },
  ],
  'retention.snapshotDays': [
    {
      type: 'AWS::Redshift::Cluster',
      path: 'Properties.AutomatedSnapshotRetentionPeriod',
      expected: (e) => [e.retention.snapshotDays],
    },
  ],
  // the schedule rules the library creates: a pipeline's PipelineSchedule and the clone job's schedule, both a
  // construct `Schedule` holding an EventBridge rule with a schedule expression; no other rule (an alert rule
  // disabled in one environment is drift)
  schedules: [
    {
      type: 'AWS::Events::Rule',
      path: 'Properties.State',
      construct: SCHEDULE_CONSTRUCT,
      resource: (r) => typeof r.Properties?.ScheduleExpression === 'string',
      expected: (e) => [e.schedules ? 'ENABLED' : 'DISABLED'],
    },
  ],
  // a feed's freshness alarm acts only where the config enables the feed (constructs/environment/landing-feeds.ts)
  feeds: [
    {
      type: 'AWS::CloudWatch::Alarm',
      path: 'Properties.ActionsEnabled',
      resource: (r) => feedOfAlarm(r) !== undefined,
      expected: (e, r) => {
        const feed = (e.feeds ?? []).find((f) => f.name === feedOfAlarm(r));
        return feed ? [feed.enabled] : [];
      },
    },
  ],
  removalPolicy: [
    // the warehouse keeps a final snapshot where other stateful resources are deleted (constructs/environment)
    {
      type: 'AWS::Redshift::Cluster',
      path: 'DeletionPolicy',
      expected: (e) => [retains(e) ? 'Retain' : 'Snapshot'],
    },
    { type: '*', path: 'DeletionPolicy', expected: (e) => [retains(e) ? 'Retain' : 'Delete'] },
    { type: '*', path: 'UpdateReplacePolicy', expected: (e) => [retains(e) ? 'Retain' : 'Delete'] },
    { type: 'AWS::KMS::Key', path: 'Properties.PendingWindowInDays', expected: (e) => [retains(e) ? 30 : 7] },
  ],
};

/** The feed freshness alarms an all-green composite's rule watches on one side, set aside for the comparison. */
export interface FeedRuleTerms {
  /** Logical id of the composite alarm. */
  readonly logicalId: string;
  /** The feeds (enabled in this side's config) whose alarms the rule watched, sorted. */
  readonly feeds: readonly string[];
}

const TERM_MARK = '\u0000';

/**
 * `feeds` divergence in composite alarms: each side's all-green composite watches the freshness alarms of the feeds
 * its own config enables (`DataOpsMonitoring` leaves a disabled alarm out). Returns the template with those terms
 * removed from every composite alarm's `anyOf` rule, and what was removed. A term watching an alarm of a feed that
 * the side's config does not enable stays, so the comparison reports it as drift (value provenance).
 */
export function withoutEnabledFeedTerms(
  template: Template,
  env: EnvironmentConfig,
): { template: Template; removed: FeedRuleTerms[] } {
  const resources = template.Resources ?? {};
  const enabled = new Set((env.feeds ?? []).filter((f) => f.enabled).map((f) => f.name));
  const feedAlarms = new Map<string, string>();
  for (const [id, resource] of Object.entries(resources)) {
    const feed = feedOfAlarm(resource);
    if (feed !== undefined && enabled.has(feed)) feedAlarms.set(id, feed);
  }
  if (feedAlarms.size === 0) return { template, removed: [] };
  const removed: FeedRuleTerms[] = [];
  const out: Record<string, CfnResource> = {};
  for (const [id, resource] of Object.entries(resources)) {
    out[id] = resource;
    const rule = resource.Type === 'AWS::CloudWatch::CompositeAlarm' ? resource.Properties?.AlarmRule : undefined;
    const parts = joinParts(rule);
    if (!parts) continue;
    // the rule as text, each alarm reference marked by its logical id
    let text = '';
    const others: unknown[] = [];
    for (const part of parts) {
      const ref = getAttArn(part);
      if (typeof part === 'string') text += part;
      else if (ref !== undefined) text += `${TERM_MARK}${ref}${TERM_MARK}`;
      else {
        text += `${TERM_MARK}#${others.length}${TERM_MARK}`;
        others.push(part);
      }
    }
    const feeds: string[] = [];
    for (const [alarmId, feed] of feedAlarms) {
      const term = `ALARM("${TERM_MARK}${alarmId}${TERM_MARK}")`;
      const before = text;
      text = text.split(` OR ${term}`).join('');
      if (text === before) text = text.split(`${term} OR `).join('');
      if (text !== before) feeds.push(feed);
    }
    if (feeds.length === 0) continue;
    const rebuilt: unknown[] = [];
    text.split(TERM_MARK).forEach((piece, i) => {
      if (i % 2 === 0) {
        if (piece !== '') rebuilt.push(piece);
      } else {
        rebuilt.push(piece.startsWith('#') ? others[Number(piece.slice(1))] : { 'Fn::GetAtt': [piece, 'Arn'] });
      }
    });
    out[id] = { ...resource, Properties: { ...resource.Properties, AlarmRule: { 'Fn::Join': ['', rebuilt] } } };
    removed.push({ logicalId: id, feeds: feeds.sort() });
  }
  return { template: { ...template, Resources: out }, removed };
}

function joinParts(rule: unknown): unknown[] | undefined {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return undefined;
  const join = (rule as Record<string, unknown>)['Fn::Join'];
  return Array.isArray(join) && join[0] === '' && Array.isArray(join[1]) ? (join[1] as unknown[]) : undefined;
}

function getAttArn(part: unknown): string | undefined {
  if (typeof part !== 'object' || part === null) return undefined;
  const att = (part as Record<string, unknown>)['Fn::GetAtt'];
  return Array.isArray(att) && att.length === 2 && att[1] === 'Arn' && typeof att[0] === 'string' ? att[0] : undefined;
}
