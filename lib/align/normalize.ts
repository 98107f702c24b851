/**
 * Normalizes a synthesized CloudFormation template so two environments (or an environment and a Kitchen) can be
 * compared property by property: identity values (names, account, region, CIDR, Slack ids, asset hashes) become
 * placeholders, and the properties that declared divergence controls are removed.
 */
import type { DivergenceField } from '../config/schema';

export type Template = { Resources?: Record<string, CfnResource>; [key: string]: unknown };
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  [key: string]: unknown;
}

/** Where each divergence field shows in a template: resource type and a property path (`*` = any key/index). */
export const DIVERGENCE_LOCATIONS: Readonly<Record<DivergenceField, readonly { type: string; path: string }[]>> = {
  'warehouse.nodeType': [{ type: 'AWS::Redshift::Cluster', path: 'Properties.NodeType' }],
  'warehouse.nodes': [
    { type: 'AWS::Redshift::Cluster', path: 'Properties.NumberOfNodes' },
    { type: 'AWS::Redshift::Cluster', path: 'Properties.ClusterType' },
  ],
  'retention.logDays': [
    { type: 'AWS::Logs::LogGroup', path: 'Properties.RetentionInDays' },
    {
      type: 'AWS::S3::Bucket',
      path: 'Properties.LifecycleConfiguration.Rules.*[Id=ExpireAccessLogs].ExpirationInDays',
    },
  ],
  'retention.landingDays': [
    { type: 'AWS::S3::Bucket', path: 'Properties.LifecycleConfiguration.Rules.*[Id=ExpireLanding].ExpirationInDays' },
  ],
  'retention.noncurrentVersionDays': [
    {
      type: 'AWS::S3::Bucket',
      path: 'Properties.LifecycleConfiguration.Rules.*.NoncurrentVersionExpiration.NoncurrentDays',
    },
  ],
  'retention.snapshotDays': [{ type: 'AWS::Redshift::Cluster', path: 'Properties.AutomatedSnapshotRetentionPeriod' }],
  schedules: [
    { type: 'AWS::Scheduler::Schedule', path: 'Properties.State' },
    { type: 'AWS::Events::Rule', path: 'Properties.State' },
  ],
  removalPolicy: [
    { type: '*', path: 'DeletionPolicy' },
    { type: '*', path: 'UpdateReplacePolicy' },
    { type: 'AWS::KMS::Key', path: 'Properties.PendingWindowInDays' },
  ],
};

export interface NormalizeOptions {
  /** Literal strings to replace with placeholders, longest first (stack name, account, environment name, ...). */
  readonly replacements: Readonly<Record<string, string>>;
  /** Whole string values to replace (a bare environment name or stage would be unsafe as a substring). */
  readonly exactValues?: Readonly<Record<string, string>>;
  /** Divergence fields whose properties are removed before comparing. */
  readonly divergence: readonly DivergenceField[];
  /**
   * Whole words replaced inside Step Functions definitions only (a pipeline's alert text says `dev / orders`); a
   * word is delimited by anything but letters, digits, `_` and `-`.
   */
  readonly definitionWords?: Readonly<Record<string, string>>;
}

const STATE_MACHINE = 'AWS::StepFunctions::StateMachine';

function replaceWords(value: unknown, words: readonly [RegExp, string][]): unknown {
  if (typeof value === 'string') return words.reduce((out, [pattern, to]) => out.replace(pattern, to), value);
  if (Array.isArray(value)) return value.map((v) => replaceWords(v, words));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, replaceWords(v, words)]),
    );
  }
  return value;
}

function wordPattern(word: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_-])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-])`, 'g');
}

const ASSET_HASH = /[a-f0-9]{64}/g;
/** The stage tag says production or development: expected to differ, and ambiguous with an environment name. */
const STAGE_TAG = 'kitchens:stage';

function replaceStrings(
  value: unknown,
  pairs: readonly [string, string][],
  exact: Readonly<Record<string, string>>,
): unknown {
  if (typeof value === 'string') {
    if (Object.prototype.hasOwnProperty.call(exact, value)) return exact[value];
    let out = value.replace(ASSET_HASH, '<asset-hash>');
    for (const [from, to] of pairs) {
      out = out.split(from).join(to);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, pairs, exact));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.Key === STAGE_TAG && typeof record.Value === 'string') return { ...record, Value: '<stage>' };
    if (typeof record[STAGE_TAG] === 'string') value = { ...record, [STAGE_TAG]: '<stage>' };
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        replaceStrings(k, pairs, {}) as string,
        replaceStrings(v, pairs, exact),
      ]),
    );
  }
  return value;
}

/** Removes the value at a dotted path; `*` matches every key or index, `*[Key=Value]` only matching elements. */
function removePath(target: unknown, segments: readonly string[]): void {
  if (!target || typeof target !== 'object' || segments.length === 0) return;
  const [head, ...rest] = segments;
  const filter = /^\*\[(\w+)=([^\]]+)\]$/.exec(head);
  const children = Array.isArray(target) ? target.map((_, i) => String(i)) : Object.keys(target);
  const keys = head === '*' || filter ? children : [head];
  for (const key of keys) {
    const child = (target as Record<string, unknown>)[key];
    if (filter && (!child || typeof child !== 'object' || (child as Record<string, unknown>)[filter[1]] !== filter[2]))
      continue;
    if (rest.length === 0) {
      delete (target as Record<string, unknown>)[key];
    } else {
      removePath(child, rest);
    }
  }
}

export function normalizeTemplate(template: Template, options: NormalizeOptions): Template {
  const pairs = Object.entries(options.replacements)
    .filter(([from]) => from.length > 0)
    .sort((a, b) => b[0].length - a[0].length);
  const out = replaceStrings(template, pairs, options.exactValues ?? {}) as Template;
  const words = Object.entries(options.definitionWords ?? {})
    .filter(([from]) => from.length > 0)
    .map(([from, to]) => [wordPattern(from), to] as [RegExp, string]);
  for (const resource of Object.values(out.Resources ?? {})) {
    if (resource.Type === STATE_MACHINE && resource.Properties && words.length > 0) {
      for (const key of ['DefinitionString', 'Definition']) {
        if (resource.Properties[key] !== undefined)
          resource.Properties[key] = replaceWords(resource.Properties[key], words);
      }
    }
    for (const field of options.divergence) {
      for (const location of DIVERGENCE_LOCATIONS[field]) {
        if (location.type === '*' || location.type === resource.Type) {
          removePath(resource, location.path.split('.'));
        }
      }
    }
  }
  return out;
}

/** Identity values of one environment (or Kitchen), mapped to placeholders shared by every environment. */
export function identityReplacements(context: {
  readonly project: string;
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly cidr?: string;
  readonly stage?: string;
  readonly slackChannelIds?: readonly string[];
  readonly kitchen?: string;
}): Pick<NormalizeOptions, 'replacements' | 'exactValues' | 'definitionWords'> {
  const { project, environment, account, region, kitchen } = context;
  const replacements: Record<string, string> = {
    [`${project}-${environment}`]: '<project>-<env>',
    [`/${project}/${environment}/`]: '/<project>/<env>/',
    [`${project}/${environment}/`]: '<project>/<env>/',
    [account]: '<account>',
    [region]: '<region>',
    [`"${environment}"`]: '"<env>"',
  };
  if (context.cidr) {
    const [a, b] = context.cidr.split('.');
    replacements[`${a}.${b}.`] = '<cidr>.';
  }
  for (const id of context.slackChannelIds ?? []) replacements[id] = '<slack-channel>';
  if (kitchen) {
    replacements[`-${kitchen}`] = '-<kitchen>';
    replacements[`/${kitchen}/`] = '/<kitchen>/';
    replacements[`k_${kitchen.replace(/-/g, '_')}`] = 'k_<kitchen>';
  }
  const exactValues: Record<string, string> = { [environment]: '<env>' };
  if (context.stage) {
    replacements[`cdk-kitchens ${context.stage} `] = 'cdk-kitchens <stage> ';
  }
  if (kitchen) exactValues[kitchen] = '<kitchen>';
  const definitionWords: Record<string, string> = { [environment]: '<env>' };
  if (kitchen) definitionWords[kitchen] = '<kitchen>';
  return { replacements, exactValues, definitionWords };
}

/**
 * The inverse of normalization for one environment: placeholders become that environment's identity values, so a
 * template normalized from one environment can be re-targeted to another. Asset hashes stay `<asset-hash>` (the
 * other side of a comparison is restored the same way, so they still compare equal).
 */
export function restoreIdentity(template: Template, context: Parameters<typeof identityReplacements>[0]): Template {
  const { replacements, exactValues, definitionWords } = identityReplacements(context);
  const inverse = new Map<string, string>();
  for (const [value, placeholder] of Object.entries({ ...replacements, ...definitionWords })) {
    if (value.length > 0 && !inverse.has(placeholder)) inverse.set(placeholder, value);
  }
  const exact = new Map<string, string>();
  for (const [value, placeholder] of Object.entries(exactValues ?? {})) exact.set(placeholder, value);
  if (context.stage) exact.set('<stage>', context.stage);
  const pairs = [...inverse].sort((a, b) => b[0].length - a[0].length);
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = exact.get(value);
      if (whole !== undefined) return whole;
      let out = value;
      for (const [placeholder, original] of pairs) out = out.split(placeholder).join(original);
      return out;
    }
    if (Array.isArray(value)) return value.map(restore);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [restore(k) as string, restore(v)]));
    }
    return value;
  };
  return restore(template) as Template;
}
