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
  /** The values an environment's config gives this location (`undefined` = the property is absent). */
  readonly expected: (env: EnvironmentConfig) => readonly unknown[];
}

/**
 * Construct paths of the library's schedule rules: `<pipeline>/Schedule/Resource/Resource` (PipelineSchedule in
 * constructs/pipeline/schedule.ts) and `<clone job>/Schedule/Resource` (constructs/clone/clone-job.ts).
 */
export const SCHEDULE_CONSTRUCT = /(^|\/)Schedule\/Resource(\/Resource)?$/;

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
