/**
 * The alignment check: synthesizes two environments from the same code, normalizes what legitimately differs and
 * classifies every remaining difference, resource by resource and property by property, as identity, declared
 * divergence, or undeclared drift.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';
import { Writable } from 'stream';
import { formatDifferences, fullDiff } from '@aws-cdk/cloudformation-diff';
import { buildApp, BuildAppOptions, BuiltApp } from '../app';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { findEnvironment, kitchenHost, productionEnvironment, relativeFile } from '../config/model';
import { DIVERGENCE_FIELDS, DivergenceField } from '../config/schema';
import { AssetManifestArtifact, CloudAssembly } from 'aws-cdk-lib/cx-api';
import {
  compareValues,
  deepEqual,
  formatPath,
  isRecord,
  PathSegment,
  setPath,
  StringComparator,
  ValueDifference,
} from './diff';
import { compareStrings, SideIdentity } from './identity';
import { stackTemplate } from '../templates';
import { CfnResource, DIVERGENCE_LOCATIONS, DivergenceLocation, Template, withoutEnabledFeedTerms } from './normalize';
import { flattenStates, STATE_MACHINE_TYPE, stateMachineDefinition } from './state-machine';

export type Classification = 'identity' | 'divergence' | 'drift';

export interface AlignmentDifference {
  /** The template section: `Resources`, `Outputs`, `Parameters`, `Conditions`, ... */
  readonly section: string;
  /** Logical id of the resource (or output, parameter, condition); the section name for a scalar section. */
  readonly logicalId: string;
  readonly resourceType: string;
  /** Path inside the resource (`Properties.BucketEncryption`); empty when the whole resource differs. */
  readonly path: string;
  /** The state machine state the difference is in, for pipelines. */
  readonly state?: string;
  /** Value in the `from` environment (normalized for divergence and drift); absent when missing there. */
  readonly from?: unknown;
  readonly to?: unknown;
  readonly classification: Classification;
  /** The declared divergence field that allows this difference. */
  readonly divergence?: DivergenceField;
  /** Why the difference is or is not allowed, in words. */
  readonly reason: string;
}

export interface AlignmentResult {
  readonly from: string;
  readonly to: string;
  readonly aligned: boolean;
  readonly counts: Readonly<Record<Classification, number>>;
  /** Every difference: undeclared drift first, then declared divergence, then identity. */
  readonly differences: readonly AlignmentDifference[];
  /** The drifted resources as `@aws-cdk/cloudformation-diff` renders them (normalized; `-` to, `+` from). */
  readonly templateDiff: string;
  readonly durationMs: number;
}

/** Builds the CDK app for a config: `buildApp` unless a test or a custom app supplies its own. */
export type AppBuilder = (config: KitchensConfig, options: BuildAppOptions) => BuiltApp;

export interface CheckAlignmentOptions {
  readonly config: KitchensConfig;
  /** @default - the development environment that hosts Kitchens */
  readonly from?: string;
  /** @default - the production environment */
  readonly to?: string;
  /** @default buildApp */
  readonly build?: AppBuilder;
}

/** Identity values of one environment: what may differ at the same place of both templates. */
export function environmentIdentity(env: EnvironmentConfig, assets?: ReadonlyMap<string, string>): SideIdentity {
  return {
    values: {
      env: [env.name],
      account: [env.account],
      region: [env.region],
      stage: [env.stage],
      az: env.availabilityZones,
      partition: [partitionOf(env.region)],
      urlSuffix: [urlSuffixOf(env.region)],
      slack: [env.slack.channelId, ...(env.slack.kitchenChannelId ? [env.slack.kitchenChannelId] : [])],
    },
    cidr: env.cidr,
    ...(assets ? { assets } : {}),
  };
}

/** The AWS partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, `aws` elsewhere. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The domain of service endpoints and principals in a region's partition. */
export function urlSuffixOf(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** Resolves `--from`/`--to` with their defaults; both must name configured environments and differ. */
export function resolveEnvironments(
  config: KitchensConfig,
  from?: string,
  to?: string,
): { from: EnvironmentConfig; to: EnvironmentConfig } {
  const fromEnv = from !== undefined ? findEnvironment(config, from) : defaultFrom(config);
  const toEnv = to !== undefined ? findEnvironment(config, to) : productionEnvironment(config);
  if (!toEnv) throw new Error(`${relativeFile(config)}: no production environment to compare with; give --to NAME`);
  if (fromEnv.name === toEnv.name) {
    throw new Error(`--from and --to must name two different environments, got ${JSON.stringify(fromEnv.name)} twice`);
  }
  return { from: fromEnv, to: toEnv };
}

function defaultFrom(config: KitchensConfig): EnvironmentConfig {
  if (config.environments.some((e) => e.kitchens)) return kitchenHost(config);
  const dev = config.environments.find((e) => e.stage === 'development');
  if (!dev) throw new Error(`${relativeFile(config)}: no development environment to compare; give --from NAME`);
  return dev;
}

/**
 * Synthesizes the named environments in one app, in process: cdk-nag off and CDK's built-in CloudFormation
 * validation off (alignment compares templates; the CI synth validates them).
 */
export function synthesizeEnvironments(
  config: KitchensConfig,
  names: readonly string[],
  build: AppBuilder = buildApp,
): Record<string, Template> {
  const { templates } = synthesizeWithAssets(config, names, build);
  return templates;
}

/** Synthesizes environments and fingerprints each stack's assets by the content they were built from. */
export function synthesizeWithAssets(
  config: KitchensConfig,
  names: readonly string[],
  build: AppBuilder = buildApp,
): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchen-align-'));
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const built = build(config, { nag: false, outdir, environments: names });
    const assembly = built.app.synth();
    const templates: Record<string, Template> = {};
    const assets: Record<string, Map<string, string>> = {};
    const paths: Record<string, Map<string, string>> = {};
    for (const name of names) {
      const stack = built.environments[name];
      if (!stack) throw new Error(`the app built no stack for environment ${JSON.stringify(name)}`);
      templates[name] = stackTemplate<Template>(assembly.getStackArtifact(stack.artifactId));
      assets[name] = assetFingerprints(assembly, stack.artifactId);
      paths[name] = constructPaths(assembly, stack.artifactId);
    }
    return { templates, assets, paths };
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Two environments synthesized: templates, asset sources and construct paths, by environment name. */
export interface Synthesized {
  readonly templates: Record<string, Template>;
  readonly assets: Record<string, Map<string, string>>;
  /** Logical id -> construct path inside its stack (`Environment/Vault/Key/Resource`). */
  readonly paths?: Record<string, Map<string, string>>;
}

/**
 * Logical id -> construct path below the stack, from the `aws:cdk:logicalId` entries of the stack's metadata in the
 * cloud assembly (present whether or not the app writes `aws:cdk:path` into the template).
 */
export function constructPaths(assembly: CloudAssembly, artifactId: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of assembly.getStackArtifact(artifactId).findMetadataByType('aws:cdk:logicalId')) {
    if (typeof entry.data !== 'string') continue;
    out.set(entry.data, entry.path.replace(/^\/[^/]+\//, ''));
  }
  return out;
}

/**
 * Asset hash -> a fingerprint of the staged content it was built from (files and Docker image contexts), read from
 * the stack's asset manifest the way the toolkit publishes them.
 */
export function assetFingerprints(assembly: CloudAssembly, artifactId: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack = assembly.getStackArtifact(artifactId);
  for (const dependency of stack.dependencies) {
    if (!(dependency instanceof AssetManifestArtifact)) continue;
    const manifest = JSON.parse(fs.readFileSync(dependency.file, 'utf8')) as {
      files?: Record<string, { source?: { path?: string } }>;
      dockerImages?: Record<string, { source?: { directory?: string } }>;
    };
    const entries: [string, string | undefined][] = [
      ...Object.entries(manifest.files ?? {}).map(([id, a]) => [id, a.source?.path] as [string, string | undefined]),
      ...Object.entries(manifest.dockerImages ?? {}).map(
        ([id, a]) => [id, a.source?.directory] as [string, string | undefined],
      ),
    ];
    for (const [id, source] of entries) {
      if (!source || !/^[a-f0-9]{64}$/.test(id) || source.endsWith('.template.json')) continue;
      const full = path.join(assembly.directory, source);
      if (fs.existsSync(full)) out.set(id, contentHash(full));
    }
  }
  return out;
}

/** SHA-256 of a file, or of a directory's relative paths and file contents in sorted order. */
function contentHash(target: string): string {
  const hash = createHash('sha256');
  const visit = (file: string, relative: string) => {
    if (fs.statSync(file).isDirectory()) {
      for (const entry of fs.readdirSync(file).sort()) visit(path.join(file, entry), path.join(relative, entry));
    } else {
      hash.update(`${relative}\0`);
      hash.update(fs.readFileSync(file));
    }
  };
  visit(target, '');
  return hash.digest('hex');
}

export function checkAlignment(options: CheckAlignmentOptions): AlignmentResult {
  const started = Date.now();
  const { from, to } = resolveEnvironments(options.config, options.from, options.to);
  const synthesized = synthesizeWithAssets(options.config, [from.name, to.name], options.build);
  const result = compareEnvironments(options.config, from, to, synthesized);
  return { ...result, durationMs: Date.now() - started };
}

/** Compares two synthesized environments of a config: their configs, identities and asset sources on each side. */
export function compareEnvironments(
  config: KitchensConfig,
  from: EnvironmentConfig,
  to: EnvironmentConfig,
  synthesized: Synthesized,
): AlignmentResult {
  const { templates, assets, paths } = synthesized;
  const compared = compareTemplates(templates[from.name], templates[to.name], {
    from: from.name,
    to: to.name,
    fromEnvironment: from,
    toEnvironment: to,
    fromIdentity: environmentIdentity(from, assets[from.name]),
    toIdentity: environmentIdentity(to, assets[to.name]),
    divergence: config.divergence,
    ...(paths?.[from.name] && paths[to.name] ? { fromPaths: paths[from.name], toPaths: paths[to.name] } : {}),
  });
  const undeclared = configDrift(config, from, to);
  if (undeclared.length === 0) return compared;
  return {
    ...compared,
    aligned: false,
    counts: { ...compared.counts, drift: compared.counts.drift + undeclared.length },
    differences: [...undeclared, ...compared.differences],
  };
}

/**
 * The profile fields (`DIVERGENCE_FIELDS`) whose values differ between the two environments' configs without being
 * declared under `alignment.divergence`: drift at the source, reported with the field and both values (the config
 * loads with `undeclaredDivergence: 'allow'` for this).
 */
export function configDrift(
  config: KitchensConfig,
  from: EnvironmentConfig,
  to: EnvironmentConfig,
): AlignmentDifference[] {
  const out: AlignmentDifference[] = [];
  for (const field of DIVERGENCE_FIELDS) {
    const value = (env: EnvironmentConfig) =>
      field === 'feeds'
        ? (env.feeds ?? []).filter((f) => f.enabled).map((f) => f.name) // the feeds whose alarms act there
        : field.split('.').reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), env);
    const a = value(from);
    const b = value(to);
    if (deepEqual(a, b) || config.divergence.includes(field)) continue;
    out.push({
      section: 'Config',
      logicalId: field,
      resourceType: 'Config',
      path: '',
      from: a,
      to: b,
      classification: 'drift',
      reason:
        (field === 'feeds'
          ? `undeclared drift: ${relativeFile(config)} enables the feeds ${JSON.stringify(a)} in ${from.name} and ${JSON.stringify(b)} in ${to.name} (feeds[].enabledIn)`
          : `undeclared drift: ${relativeFile(config)} gives environments.${from.name}.${field} ${JSON.stringify(a)} and ` +
            `environments.${to.name}.${field} ${JSON.stringify(b)}`) +
        `; declare "${field}" under alignment.divergence if this difference is intended`,
    });
  }
  return out;
}

export interface CompareOptions {
  readonly from: string;
  readonly to: string;
  /** The configs of both sides: declared divergence is accepted only where each side holds its config's value. */
  readonly fromEnvironment: EnvironmentConfig;
  readonly toEnvironment: EnvironmentConfig;
  readonly fromIdentity: SideIdentity;
  readonly toIdentity: SideIdentity;
  readonly divergence: readonly DivergenceField[];
  /**
   * Logical id -> construct path of each side (from the cloud assembly): resources whose logical ids differ only by
   * environment name or content hash pair up by construct path and type.
   * @default - pairs by logical id, then by logical id without its content hash
   */
  readonly fromPaths?: ReadonlyMap<string, string>;
  readonly toPaths?: ReadonlyMap<string, string>;
}

interface Leaf {
  readonly diff: ValueDifference;
  readonly state?: string;
  readonly detail: string;
}

/** Compares two synthesized templates (no synthesis), every section: the pure part of `checkAlignment`. */
export function compareTemplates(fromInput: Template, toInput: Template, options: CompareOptions): AlignmentResult {
  const started = Date.now();
  const differences: AlignmentDifference[] = [];
  let fromTemplate = fromInput;
  let toTemplate = toInput;
  if (options.divergence.includes('feeds')) {
    // each side's all-green composite watches the alarms of the feeds its own config enables
    const fromFeeds = withoutEnabledFeedTerms(fromInput, options.fromEnvironment);
    const toFeeds = withoutEnabledFeedTerms(toInput, options.toEnvironment);
    fromTemplate = fromFeeds.template;
    toTemplate = toFeeds.template;
    const ids = new Set([...fromFeeds.removed, ...toFeeds.removed].map((r) => r.logicalId));
    for (const logicalId of [...ids].sort()) {
      const a = fromFeeds.removed.find((r) => r.logicalId === logicalId)?.feeds ?? [];
      const b = toFeeds.removed.find((r) => r.logicalId === logicalId)?.feeds ?? [];
      if (deepEqual(a, b)) continue;
      differences.push({
        section: 'Resources',
        logicalId,
        resourceType: 'AWS::CloudWatch::CompositeAlarm',
        path: 'Properties.AlarmRule',
        from: a,
        to: b,
        classification: 'divergence',
        divergence: 'feeds',
        // each side's rule watches the freshness alarms of the feeds its own config enables
        reason:
          "declared divergence: feeds is listed under alignment.divergence and each side holds its config's value",
      });
    }
  }
  const identityOnly: StringComparator = (a, b) => compareStrings(a, b, options.fromIdentity, options.toIdentity);
  const pairs = pairResources(resources(fromTemplate), resources(toTemplate), options);
  const strings = pairs.size === 0 ? identityOnly : renamingComparator(pairs, identityOnly);
  const sections = [...new Set([...Object.keys(fromTemplate), ...Object.keys(toTemplate)])].sort();
  const aligned: Record<string, CfnResource> = {};
  for (const section of sections) {
    const a = fromTemplate[section];
    const b = toTemplate[section];
    const entries = (x: unknown) => (x === undefined ? {} : x);
    if ((isRecord(a) || isRecord(b)) && isRecord(entries(a)) && isRecord(entries(b)) && section !== 'Description') {
      differences.push(
        ...compareSection(
          section,
          entries(a) as Record<string, unknown>,
          entries(b) as Record<string, unknown>,
          options,
          strings,
          aligned,
          section === 'Resources' ? pairs : undefined,
        ),
      );
    } else {
      differences.push(...classify(section, section, section, leavesOf(a, b, strings, [], options), options));
    }
  }
  const order: Record<Classification, number> = { drift: 0, divergence: 1, identity: 2 };
  differences.sort(
    (a, b) =>
      order[a.classification] - order[b.classification] ||
      a.section.localeCompare(b.section) ||
      a.logicalId.localeCompare(b.logicalId) ||
      a.path.localeCompare(b.path),
  );
  const counts = { drift: 0, divergence: 0, identity: 0 };
  for (const d of differences) counts[d.classification]++;
  const drifted = [
    ...new Set(
      differences.filter((d) => d.classification === 'drift' && d.section === 'Resources').map((d) => d.logicalId),
    ),
  ];
  return {
    from: options.from,
    to: options.to,
    aligned: counts.drift === 0,
    counts,
    differences,
    templateDiff: drifted.length > 0 ? renderTemplateDiff(aligned, resources(toTemplate), drifted) : '',
    durationMs: Date.now() - started,
  };
}

function resources(template: Template): Record<string, CfnResource> {
  return template.Resources ?? {};
}

function leavesOf(
  a: unknown,
  b: unknown,
  strings: StringComparator,
  base: PathSegment[],
  options: CompareOptions,
): { differences: Leaf[]; identity: ValueDifference[] } {
  const compared = compareValues(a, b, strings, base);
  return {
    differences: compared.differences.map((diff) => ({ diff, detail: describe(diff, options) })),
    identity: compared.identity,
  };
}

/**
 * Compares one section entry by entry. For resources, `aligned` receives each `from` resource with its identity
 * and declared divergence replaced by the `to` values (so the rendered diff shows drift only).
 */
function compareSection(
  section: string,
  fromEntries: Record<string, unknown>,
  toEntries: Record<string, unknown>,
  options: CompareOptions,
  strings: StringComparator,
  aligned: Record<string, CfnResource>,
  pairs: ReadonlyMap<string, ResourcePair> = new Map(),
): AlignmentDifference[] {
  const out: Classified[] = [];
  const pairedTo = new Map([...pairs].map(([fromId, pair]) => [pair.to, { ...pair, from: fromId }]));
  const ids = [...new Set([...Object.keys(fromEntries), ...Object.keys(toEntries)])]
    .filter((id) => !pairs.has(id))
    .sort();
  const isResources = section === 'Resources';
  for (const logicalId of ids) {
    const pair = pairedTo.get(logicalId);
    const a = fromEntries[pair ? pair.from : logicalId];
    const b = toEntries[logicalId];
    const type = (r: unknown) => (isResources && isRecord(r) && typeof r.Type === 'string' ? r.Type : section);
    if (a === undefined || b === undefined) {
      out.push({
        section,
        logicalId,
        resourceType: type(a ?? b),
        path: '',
        from: a,
        to: b,
        classification: 'drift',
        reason: `undeclared drift: ${isResources ? 'the resource' : `${section}.${logicalId}`} exists only in ${a !== undefined ? options.from : options.to}`,
      });
      continue;
    }
    if (type(a) !== type(b)) {
      out.push({
        section,
        logicalId,
        resourceType: `${type(a)} / ${type(b)}`,
        path: 'Type',
        from: type(a),
        to: type(b),
        classification: 'drift',
        reason: 'undeclared drift: the resource has a different type',
      });
      continue;
    }
    const resourceType = type(a);
    if (pair) {
      out.push({
        section,
        logicalId,
        resourceType,
        path: '(logical id)',
        from: pair.from,
        to: logicalId,
        classification: 'identity',
        reason: `identity: the logical ids differ only by environment name or content hash; paired by ${pair.by}`,
      });
    }
    const definitions =
      resourceType === STATE_MACHINE_TYPE
        ? pipelineDefinitions(a as CfnResource, b as CfnResource, strings, options)
        : undefined;
    const leaves = definitions ?? leavesOf(a, b, strings, [], options);
    const constructs = isResources
      ? [
          constructPathOf(options.fromPaths, pair ? pair.from : logicalId, a),
          constructPathOf(options.toPaths, logicalId, b),
        ]
      : [];
    const classified = classify(section, logicalId, resourceType, leaves, options, a, b, constructs);
    out.push(...classified);
    if (isResources) {
      const copy = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
      for (const d of classified) {
        if (d.classification === 'drift' || d.pathSegments === undefined || d.path === '' || d.state !== undefined)
          continue;
        setPath(copy, d.pathSegments ?? [], d.to);
      }
      aligned[logicalId] = copy as CfnResource;
    }
  }
  return out.map(({ pathSegments: _segments, ...d }) => d);
}

type Classified = AlignmentDifference & { readonly pathSegments?: readonly PathSegment[] };

/** A resource's construct path below its stack: from the cloud assembly, else from `aws:cdk:path` when present. */
function constructPathOf(paths: ReadonlyMap<string, string> | undefined, logicalId: string, resource: unknown) {
  const known = paths?.get(logicalId);
  if (known !== undefined) return known;
  const metadata = isRecord(resource) && isRecord(resource.Metadata) ? resource.Metadata['aws:cdk:path'] : undefined;
  return typeof metadata === 'string' ? metadata.replace(/^[^/]+\//, '') : undefined;
}

function classify(
  section: string,
  logicalId: string,
  resourceType: string,
  leaves: { differences: Leaf[]; identity: ValueDifference[] },
  options: CompareOptions,
  a?: unknown,
  b?: unknown,
  constructs: readonly (string | undefined)[] = [],
): Classified[] {
  const out: Classified[] = [];
  for (const { diff, state, detail } of leaves.differences) {
    const declared =
      section === 'Resources'
        ? divergenceFieldOf(options.divergence, resourceType, diff.path, a, b, constructs)
        : undefined;
    const provenance = declared ? valueProvenance(declared, resourceType, diff, options, a, b, constructs) : undefined;
    const accepted = declared !== undefined && provenance === undefined;
    out.push({
      section,
      logicalId,
      resourceType,
      path: formatPath(diff.path),
      pathSegments: diff.path,
      ...(state !== undefined ? { state } : {}),
      from: diff.from,
      to: diff.to,
      classification: accepted ? 'divergence' : 'drift',
      ...(accepted ? { divergence: declared } : {}),
      reason: accepted
        ? `declared divergence: ${declared} is listed under alignment.divergence and each side holds its config's value`
        : provenance
          ? `undeclared drift: ${provenance}`
          : `undeclared drift: ${detail}${undeclaredHint(resourceType, diff.path, options, a, b, constructs)}`,
    });
  }
  for (const diff of leaves.identity) {
    out.push({
      section,
      logicalId,
      resourceType,
      path: formatPath(diff.path),
      pathSegments: diff.path,
      from: diff.from,
      to: diff.to,
      classification: 'identity',
      reason:
        'identity: differs only where each side holds its own environment name, account, region, partition, URL suffix, availability zone, stage, CIDR or Slack channel',
    });
  }
  return out;
}

/**
 * Value provenance of a difference inside a declared location: undefined when each side holds what its own config
 * says; otherwise why not, in words.
 */
function valueProvenance(
  field: DivergenceField,
  type: string,
  diff: ValueDifference,
  options: CompareOptions,
  a: unknown,
  b: unknown,
  constructs: readonly (string | undefined)[],
): string | undefined {
  const location = DIVERGENCE_LOCATIONS[field].find(
    (l) => matchesPattern(l.type, type, l.path, diff.path) && locationHolds(l, a, b, constructs),
  );
  if (!location) return `${field} is declared, but this location is not one it controls`;
  const check = (value: unknown, env: EnvironmentConfig, resource: unknown) => {
    const expected = location.expected(env, resource as CfnResource);
    return expected.some((e) => e === value) ? undefined : expected;
  };
  const problems: string[] = [];
  for (const [value, env, resource] of [
    [diff.from, options.fromEnvironment, a],
    [diff.to, options.toEnvironment, b],
  ] as const) {
    const expected = check(value, env, resource);
    if (expected)
      problems.push(
        `${env.name} has ${value === undefined ? '(absent)' : JSON.stringify(value)} where its config's ${field} gives ${expected
          .map((e) => (e === undefined ? '(absent)' : JSON.stringify(e)))
          .join(' or ')}`,
      );
  }
  return problems.length > 0
    ? `${field} is declared, but the value does not come from the config: ${problems.join('; ')}`
    : undefined;
}

function describe(diff: ValueDifference, options: CompareOptions): string {
  if (diff.assets) {
    return `asset ${diff.assets[0].slice(0, 12)}... (${options.from}) and ${diff.assets[1].slice(0, 12)}... (${options.to}) are built from different sources`;
  }
  switch (diff.kind) {
    case 'only-from':
      return `set only in ${options.from}`;
    case 'only-to':
      return `set only in ${options.to}`;
    case 'elements':
      return `list elements differ (${(diff.from as unknown[]).length} only in ${options.from}, ${(diff.to as unknown[]).length} only in ${options.to})`;
    default:
      return 'the values differ';
  }
}

/** Names the divergence field that would allow a difference, when one exists but is not declared. */
function undeclaredHint(
  type: string,
  path: readonly PathSegment[],
  options: CompareOptions,
  a: unknown,
  b: unknown,
  constructs: readonly (string | undefined)[],
): string {
  const fields = Object.keys(DIVERGENCE_LOCATIONS) as DivergenceField[];
  const field = fields.find(
    (f) =>
      !options.divergence.includes(f) &&
      DIVERGENCE_LOCATIONS[f].some(
        (l) => matchesPattern(l.type, type, l.path, path) && locationHolds(l, a, b, constructs),
      ),
  );
  return field ? ` (declare "${field}" under alignment.divergence if this difference is intended)` : '';
}

/**
 * Whether a location's resource conditions hold on both sides: the construct path it names (known on both sides)
 * and what the resource must be (a rule with a schedule expression).
 */
function locationHolds(
  location: DivergenceLocation,
  a: unknown,
  b: unknown,
  constructs: readonly (string | undefined)[],
): boolean {
  if (location.construct) {
    if (constructs.length === 0 || !constructs.every((c) => c !== undefined && location.construct!.test(c)))
      return false;
  }
  if (location.resource) {
    return [a, b].every((r) => isRecord(r) && location.resource!(r as CfnResource));
  }
  return true;
}

function matchesPattern(locType: string, type: string, locPath: string, path: readonly PathSegment[]): boolean {
  if (locType !== '*' && locType !== type) return false;
  const segments = locPath.split('.');
  if (path.length < segments.length) return false;
  return segments.every((s, i) => s.startsWith('*') || s === String(path[i]));
}

/** The declared divergence field whose location holds a difference at `path` of two resources, if any. */
export function divergenceFieldOf(
  divergence: readonly DivergenceField[],
  type: string,
  path: readonly PathSegment[],
  a: unknown,
  b: unknown,
  constructs: readonly (string | undefined)[] = [],
): DivergenceField | undefined {
  return divergence.find((field) => coveredBy(field, type, path, a, b, constructs));
}

/**
 * Whether a difference at `path` lies at a location that a divergence field controls. A filter segment
 * (`*[Id=ExpireLanding]`) must match the element on either side. A difference above the location (a whole list
 * replaced) is not covered: that is drift.
 */
function coveredBy(
  field: DivergenceField,
  type: string,
  path: readonly PathSegment[],
  a: unknown,
  b: unknown,
  constructs: readonly (string | undefined)[],
): boolean {
  return DIVERGENCE_LOCATIONS[field].some((location) => {
    if (location.type !== '*' && location.type !== type) return false;
    if (!locationHolds(location, a, b, constructs)) return false;
    const segments = location.path.split('.');
    if (path.length !== segments.length) return false;
    let nodeA = a;
    let nodeB = b;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      const key = String(path[i]);
      const filter = /^\*\[(\w+)=([^\]]+)\]$/.exec(segment);
      nodeA = isRecord(nodeA) || Array.isArray(nodeA) ? (nodeA as Record<string, unknown>)[key] : undefined;
      nodeB = isRecord(nodeB) || Array.isArray(nodeB) ? (nodeB as Record<string, unknown>)[key] : undefined;
      if (filter) {
        const matches = (n: unknown) => isRecord(n) && n[filter[1]] === filter[2];
        if (!matches(nodeA) && !matches(nodeB)) return false;
      } else if (segment !== '*' && segment !== key) {
        return false;
      }
    }
    return true;
  });
}

/** A resource of `from` paired with a resource of `to` under another logical id, and how they were paired. */
export interface ResourcePair {
  readonly to: string;
  /** `construct path Environment/Orders/CurrentVersion/Resource`, `logical id without its content hash`. */
  readonly by: string;
}

/** A logical id without the hashes CDK appends: the 8-character path hash and a 32-character content hash. */
function withoutHashes(logicalId: string): string {
  return logicalId.replace(/[a-f0-9]{32}$/, '').replace(/[A-F0-9]{8}$/, '');
}

/**
 * Pairs resources found on one side only with a resource of the other side of the same type: first by construct
 * path (identity-aware: `Landingdev` and `Landingproduction` are one construct), then by logical id without its
 * content hash (a Lambda version whose hash covers an environment variable naming each environment). A pair must be
 * unique on both sides; what it holds is then compared by content like any other resource.
 */
export function pairResources(
  from: Record<string, CfnResource>,
  to: Record<string, CfnResource>,
  options: Pick<CompareOptions, 'fromPaths' | 'toPaths' | 'fromIdentity' | 'toIdentity'>,
): Map<string, ResourcePair> {
  const pairs = new Map<string, ResourcePair>();
  const fromOnly = Object.keys(from).filter((id) => !(id in to));
  const toOnly = new Set(Object.keys(to).filter((id) => !(id in from)));
  const attempts: [string, (id: string, side: 'from' | 'to') => string | undefined][] = [
    ['construct path', (id, side) => (side === 'from' ? options.fromPaths : options.toPaths)?.get(id)],
    ['logical id without its content hash', (id) => withoutHashes(id)],
  ];
  for (const [by, key] of attempts) {
    const keyOf = (id: string, side: 'from' | 'to') => {
      const text = key(id, side);
      return text === undefined
        ? undefined
        : anonymous(text, side === 'from' ? options.fromIdentity : options.toIdentity);
    };
    const fromKeys = new Map(fromOnly.filter((id) => !pairs.has(id)).map((id) => [id, keyOf(id, 'from')]));
    for (const [id, mine] of fromKeys) {
      if (mine === undefined) continue;
      const candidates = [...toOnly].filter((t) => to[t].Type === from[id].Type && keyOf(t, 'to') === mine);
      // unique both ways: no other unpaired resource of `from` of this type has the same key
      const rivals = [...fromKeys].filter(([f, k]) => f !== id && k === mine && from[f].Type === from[id].Type);
      if (candidates.length !== 1 || rivals.length > 0) continue;
      pairs.set(id, { to: candidates[0], by: by === 'construct path' ? `construct path ${key(id, 'from')}` : by });
      toOnly.delete(candidates[0]);
    }
  }
  return pairs;
}

/**
 * A construct path or logical id with each of the side's identity values replaced by its kind, wherever it is (also
 * inside a word: `Auditdev`, `LandingProduction`), so two sides compare equal when they differ only by identity.
 */
function anonymous(text: string, side: SideIdentity): string {
  const values = Object.entries(side.values)
    .flatMap(([kind, list]) => list.filter((v) => v.length > 0).map((v) => [kind, v] as const))
    .sort((a, b) => b[1].length - a[1].length);
  if (values.length === 0) return text;
  // a value of two kinds (`production`: environment and stage) stands for the first kind listed; an environment
  // name and a stage name stand for each other (`AuditDev` / `AuditProduction`)
  const byValue = new Map<string, string>();
  for (const [kind, list] of Object.entries(side.values))
    for (const v of list)
      if (!byValue.has(v.toLowerCase())) byValue.set(v.toLowerCase(), kind === 'stage' ? 'env' : kind);
  const alternation = values.map(([, v]) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return text.replace(new RegExp(alternation, 'gi'), (m) => `\u0000${byValue.get(m.toLowerCase())}\u0000`);
}

/** A comparator that reads each paired logical id of `from` (in `Ref`, `Fn::GetAtt`, `DependsOn`, `${Id}`) as its partner. */
function renamingComparator(pairs: ReadonlyMap<string, ResourcePair>, strings: StringComparator): StringComparator {
  const ids = [...pairs.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![A-Za-z0-9])(?:${ids.join('|')})(?![A-Za-z0-9])`, 'g');
  return (a, b) => {
    const renamed = a.replace(pattern, (id) => pairs.get(id)!.to);
    if (renamed === a) return strings(a, b);
    const verdict = strings(renamed, b);
    return verdict.equal ? { equal: true, identity: true } : verdict;
  };
}

/** Compares two state machines' definitions state by state; undefined when either cannot be parsed. */
function pipelineDefinitions(
  a: CfnResource,
  b: CfnResource,
  strings: StringComparator,
  options: CompareOptions,
): { differences: Leaf[]; identity: ValueDifference[] } | undefined {
  const defA = stateMachineDefinition(a.Properties);
  const defB = stateMachineDefinition(b.Properties);
  if (!defA || !defB) return undefined;
  const definitionKey = a.Properties?.DefinitionString !== undefined ? 'DefinitionString' : 'Definition';
  const strip = (r: CfnResource) => ({ ...r, Properties: { ...r.Properties, [definitionKey]: undefined } });
  const rest = leavesOf(strip(a), strip(b), strings, [], options);
  const differences: Leaf[] = [...rest.differences];
  const identity: ValueDifference[] = [...rest.identity];
  const base: PathSegment[] = ['Properties', definitionKey];
  const top = compareValues({ ...defA, States: undefined }, { ...defB, States: undefined }, strings, base);
  for (const diff of top.differences)
    differences.push({ diff, detail: `the pipeline's ${formatPath(diff.path.slice(2))} differs` });
  const statesA = flattenStates(defA);
  const statesB = flattenStates(defB);
  const names = [...new Set([...statesA.keys(), ...statesB.keys()])];
  let definitionIdentity = top.identity.length > 0;
  for (const name of names) {
    const sa = statesA.get(name);
    const sb = statesB.get(name);
    const statePath: PathSegment[] = [...base, 'States', name];
    if (!sa || !sb) {
      differences.push({
        diff: { path: statePath, from: sa, to: sb, kind: sa ? 'only-from' : 'only-to' },
        state: name,
        detail: `pipeline state "${name}" exists only in ${sa ? options.from : options.to}`,
      });
      continue;
    }
    const compared = compareValues(sa, sb, strings, statePath);
    if (compared.identity.length > 0) definitionIdentity = true;
    for (const diff of compared.differences) {
      differences.push({
        diff,
        state: name,
        detail: `pipeline state "${name}" differs at ${formatPath(diff.path.slice(statePath.length))}`,
      });
    }
  }
  // the definition counts once as an identity difference: its text names each environment
  if (definitionIdentity) identity.push({ path: base, from: undefined, to: undefined, kind: 'changed' });
  return { differences, identity };
}

/** Renders the drifted resources with @aws-cdk/cloudformation-diff; identity and declared divergence aligned. */
function renderTemplateDiff(
  alignedFrom: Record<string, CfnResource>,
  to: Record<string, CfnResource>,
  logicalIds: readonly string[],
): string {
  const pick = (r: Record<string, CfnResource>) => ({
    Resources: Object.fromEntries(logicalIds.filter((id) => r[id]).map((id) => [id, r[id]])),
  });
  return renderDiff((stream) => formatDifferences(stream, fullDiff(pick(to), pick(alignedFrom))));
}

/** Captures what a cloudformation-diff formatter writes, without terminal colours. */
export function renderDiff(write: (stream: NodeJS.WritableStream & { columns?: number }) => void): string {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as NodeJS.WritableStream & { columns?: number };
  stream.columns = 120;
  write(stream);
  return stripAnsi(chunks.join('')).trimEnd();
}

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
