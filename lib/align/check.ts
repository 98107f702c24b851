/**
 * The alignment check: synthesizes two environments from the same code, normalizes what legitimately differs and
 * classifies every remaining difference, resource by resource and property by property, as identity, declared
 * divergence, or undeclared drift.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { formatDifferences, fullDiff } from '@aws-cdk/cloudformation-diff';
import { buildApp, BuildAppOptions, BuiltApp } from '../app';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { findEnvironment, kitchenHost, productionEnvironment, relativeFile } from '../config/model';
import type { DivergenceField } from '../config/schema';
import { diffValues, formatPath, isRecord, PathSegment, ValueDifference } from './diff';
import { CfnResource, DIVERGENCE_LOCATIONS, identityReplacements, normalizeTemplate, Template } from './normalize';
import { flattenStates, STATE_MACHINE_TYPE, stateMachineDefinition } from './state-machine';

export type Classification = 'identity' | 'divergence' | 'drift';

export interface AlignmentDifference {
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

/** Identity values of one environment, for normalization and re-targeting. */
export function environmentIdentity(
  config: KitchensConfig,
  env: EnvironmentConfig,
): Parameters<typeof identityReplacements>[0] {
  return {
    project: config.project,
    environment: env.name,
    account: env.account,
    region: env.region,
    cidr: env.cidr,
    stage: env.stage,
    slackChannelIds: [env.slack.channelId, ...(env.slack.kitchenChannelId ? [env.slack.kitchenChannelId] : [])],
  };
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
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchen-align-'));
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const built = build(config, { nag: false, outdir, environments: names });
    const assembly = built.app.synth();
    const templates: Record<string, Template> = {};
    for (const name of names) {
      const stack = built.environments[name];
      if (!stack) throw new Error(`the app built no stack for environment ${JSON.stringify(name)}`);
      templates[name] = assembly.getStackArtifact(stack.artifactId).template as Template;
    }
    return templates;
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export function checkAlignment(options: CheckAlignmentOptions): AlignmentResult {
  const started = Date.now();
  const { from, to } = resolveEnvironments(options.config, options.from, options.to);
  const templates = synthesizeEnvironments(options.config, [from.name, to.name], options.build);
  const result = compareTemplates(templates[from.name], templates[to.name], {
    from: from.name,
    to: to.name,
    fromIdentity: environmentIdentity(options.config, from),
    toIdentity: environmentIdentity(options.config, to),
    divergence: options.config.divergence,
  });
  return { ...result, durationMs: Date.now() - started };
}

export interface CompareOptions {
  readonly from: string;
  readonly to: string;
  readonly fromIdentity: Parameters<typeof identityReplacements>[0];
  readonly toIdentity: Parameters<typeof identityReplacements>[0];
  readonly divergence: readonly DivergenceField[];
}

/** Compares two synthesized templates (no synthesis): the pure part of `checkAlignment`. */
export function compareTemplates(
  fromTemplate: Template,
  toTemplate: Template,
  options: CompareOptions,
): AlignmentResult {
  const started = Date.now();
  const normalized = (template: Template, identity: CompareOptions['fromIdentity']) =>
    normalizeTemplate(template, { ...identityReplacements(identity), divergence: [] });
  const fromNorm = normalized(fromTemplate, options.fromIdentity);
  const toNorm = normalized(toTemplate, options.toIdentity);

  const meaningful = compareResources(fromNorm, toNorm, options);
  const identity = identityDifferences(fromTemplate, toTemplate, meaningful);
  const order: Record<Classification, number> = { drift: 0, divergence: 1, identity: 2 };
  const differences = [...meaningful, ...identity].sort(
    (a, b) =>
      order[a.classification] - order[b.classification] ||
      a.logicalId.localeCompare(b.logicalId) ||
      a.path.localeCompare(b.path),
  );
  const counts = { drift: 0, divergence: 0, identity: 0 };
  for (const d of differences) counts[d.classification]++;
  const drifted = [...new Set(differences.filter((d) => d.classification === 'drift').map((d) => d.logicalId))];
  return {
    from: options.from,
    to: options.to,
    aligned: counts.drift === 0,
    counts,
    differences,
    templateDiff: drifted.length > 0 ? renderTemplateDiff(fromNorm, toNorm, drifted, options.divergence) : '',
    durationMs: Date.now() - started,
  };
}

function resources(template: Template): Record<string, CfnResource> {
  return template.Resources ?? {};
}

/** Differences that survive identity normalization: declared divergence or undeclared drift. */
function compareResources(fromNorm: Template, toNorm: Template, options: CompareOptions): AlignmentDifference[] {
  const out: AlignmentDifference[] = [];
  const fromResources = resources(fromNorm);
  const toResources = resources(toNorm);
  const ids = [...new Set([...Object.keys(fromResources), ...Object.keys(toResources)])].sort();
  for (const logicalId of ids) {
    const a = fromResources[logicalId];
    const b = toResources[logicalId];
    if (!a || !b) {
      const present = (a ?? b)!;
      out.push({
        logicalId,
        resourceType: present.Type,
        path: '',
        from: a,
        to: b,
        classification: 'drift',
        reason: `undeclared drift: the resource exists only in ${a ? options.from : options.to}`,
      });
      continue;
    }
    if (a.Type !== b.Type) {
      out.push({
        logicalId,
        resourceType: `${a.Type} / ${b.Type}`,
        path: 'Type',
        from: a.Type,
        to: b.Type,
        classification: 'drift',
        reason: 'undeclared drift: the resource has a different type',
      });
      continue;
    }
    const leafDiffs: { diff: ValueDifference; state?: string; detail: string }[] = [];
    const definitions = a.Type === STATE_MACHINE_TYPE ? pipelineDefinitions(a, b) : undefined;
    if (definitions) {
      leafDiffs.push(
        ...diffValues(definitions.restFrom, definitions.restTo).map((diff) => ({
          diff,
          detail: describe(diff, options),
        })),
      );
      leafDiffs.push(...definitions.stateDiffs);
    } else {
      leafDiffs.push(...diffValues(a, b).map((diff) => ({ diff, detail: describe(diff, options) })));
    }
    for (const { diff, state, detail } of leafDiffs) {
      const field = divergenceFieldOf(options.divergence, a.Type, diff.path, a, b);
      out.push({
        logicalId,
        resourceType: a.Type,
        path: formatPath(diff.path),
        ...(state !== undefined ? { state } : {}),
        from: diff.from,
        to: diff.to,
        classification: field ? 'divergence' : 'drift',
        ...(field ? { divergence: field } : {}),
        reason: field
          ? `declared divergence: ${field} is listed under alignment.divergence`
          : `undeclared drift: ${detail}${undeclaredHint(a.Type, diff.path, options)}`,
      });
    }
  }
  return out;
}

function describe(diff: ValueDifference, options: CompareOptions): string {
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
function undeclaredHint(type: string, path: readonly PathSegment[], options: CompareOptions): string {
  const fields = Object.keys(DIVERGENCE_LOCATIONS) as DivergenceField[];
  const field = fields.find(
    (f) =>
      !options.divergence.includes(f) &&
      DIVERGENCE_LOCATIONS[f].some((l) => matchesPattern(l.type, type, l.path, path)),
  );
  return field ? ` (declare "${field}" under alignment.divergence if this difference is intended)` : '';
}

function matchesPattern(locType: string, type: string, locPath: string, path: readonly PathSegment[]): boolean {
  if (locType !== '*' && locType !== type) return false;
  const segments = locPath.split('.');
  if (path.length < segments.length) return false;
  return segments.every((s, i) => s.startsWith('*') || s === String(path[i]));
}

/** The declared divergence field that allows a difference at `path` of two resources, if any. */
export function divergenceFieldOf(
  divergence: readonly DivergenceField[],
  type: string,
  path: readonly PathSegment[],
  a: unknown,
  b: unknown,
): DivergenceField | undefined {
  return divergence.find((field) => coveredBy(field, type, path, a, b));
}

/**
 * Whether a difference at `path` lies inside a location that a divergence field controls. A filter segment
 * (`*[Id=ExpireLanding]`) must match the element on either side. A difference above the location (a whole list
 * replaced) is not covered: that is drift.
 */
function coveredBy(
  field: DivergenceField,
  type: string,
  path: readonly PathSegment[],
  a: unknown,
  b: unknown,
): boolean {
  return DIVERGENCE_LOCATIONS[field].some((location) => {
    if (location.type !== '*' && location.type !== type) return false;
    const segments = location.path.split('.');
    if (path.length < segments.length) return false;
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

interface PipelineComparison {
  readonly restFrom: unknown;
  readonly restTo: unknown;
  readonly stateDiffs: { diff: ValueDifference; state?: string; detail: string }[];
}

/** Compares two state machines' definitions state by state; undefined when either cannot be parsed. */
function pipelineDefinitions(a: CfnResource, b: CfnResource): PipelineComparison | undefined {
  const defA = stateMachineDefinition(a.Properties);
  const defB = stateMachineDefinition(b.Properties);
  if (!defA || !defB) return undefined;
  const definitionKey = a.Properties?.DefinitionString !== undefined ? 'DefinitionString' : 'Definition';
  const strip = (r: CfnResource) => ({ ...r, Properties: { ...r.Properties, [definitionKey]: undefined } });
  const base: PathSegment[] = ['Properties', definitionKey];
  const stateDiffs: PipelineComparison['stateDiffs'] = [];
  const topA = { ...defA, States: undefined };
  const topB = { ...defB, States: undefined };
  for (const diff of diffValues(topA, topB, base))
    stateDiffs.push({ diff, detail: `the pipeline's ${formatPath(diff.path.slice(2))} differs` });
  const statesA = flattenStates(defA);
  const statesB = flattenStates(defB);
  const names = [...new Set([...statesA.keys(), ...statesB.keys()])];
  for (const name of names) {
    const sa = statesA.get(name);
    const sb = statesB.get(name);
    const statePath: PathSegment[] = [...base, 'States', name];
    if (!sa || !sb) {
      stateDiffs.push({
        diff: { path: statePath, from: sa, to: sb, kind: sa ? 'only-from' : 'only-to' },
        state: name,
        detail: `pipeline state "${name}" exists only in one environment`,
      });
      continue;
    }
    for (const diff of diffValues(sa, sb, statePath)) {
      stateDiffs.push({
        diff,
        state: name,
        detail: `pipeline state "${name}" differs at ${formatPath(diff.path.slice(statePath.length))}`,
      });
    }
  }
  return { restFrom: strip(a), restTo: strip(b), stateDiffs };
}

/** Raw differences that normalization explains: names, account, region, CIDR, Slack ids, asset hashes. */
function identityDifferences(
  fromTemplate: Template,
  toTemplate: Template,
  meaningful: readonly AlignmentDifference[],
): AlignmentDifference[] {
  const out: AlignmentDifference[] = [];
  const fromResources = resources(fromTemplate);
  const toResources = resources(toTemplate);
  const explained = new Map<string, string[]>();
  for (const d of meaningful) explained.set(d.logicalId, [...(explained.get(d.logicalId) ?? []), d.path]);
  for (const [logicalId, a] of Object.entries(fromResources)) {
    const b = toResources[logicalId];
    if (!b || a.Type !== b.Type) continue;
    const seen = new Set<string>();
    for (const diff of diffValues(a, b)) {
      // a pipeline definition is compared as a whole: its joined text differs wherever a state does
      const path =
        a.Type === STATE_MACHINE_TYPE && diff.path[1] === 'DefinitionString' ? diff.path.slice(0, 2) : diff.path;
      const shown = formatPath(path);
      const related = (explained.get(logicalId) ?? []).some(
        (p) => p === '' || isPrefix(p, shown) || isPrefix(shown, p),
      );
      if (related || seen.has(shown)) continue;
      seen.add(shown);
      out.push({
        logicalId,
        resourceType: a.Type,
        path: shown,
        from: path === diff.path ? diff.from : undefined,
        to: path === diff.path ? diff.to : undefined,
        classification: 'identity',
        reason: 'identity: differs only by environment name, account, region, CIDR, Slack channel or asset hash',
      });
    }
  }
  return out;
}

function isPrefix(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** Renders the drifted resources with @aws-cdk/cloudformation-diff, declared divergence removed. */
function renderTemplateDiff(
  fromNorm: Template,
  toNorm: Template,
  logicalIds: readonly string[],
  divergence: readonly DivergenceField[],
): string {
  const pick = (t: Template) => {
    const stripped = normalizeTemplate({ Resources: resources(t) }, { replacements: {}, divergence });
    return {
      Resources: Object.fromEntries(
        logicalIds.filter((id) => stripped.Resources?.[id]).map((id) => [id, stripped.Resources![id]]),
      ),
    };
  };
  return renderDiff((stream) => formatDifferences(stream, fullDiff(pick(toNorm), pick(fromNorm))));
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
