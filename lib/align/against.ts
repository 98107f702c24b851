/**
 * A child Kitchen against its parent Kitchen (`kitchen align --kitchen CHILD --against PARENT`, `kitchen
 * promote-report --kitchen CHILD --against PARENT`): the child as synthesized from the checkout, the parent as
 * deployed or as synthesized from a git ref. Both are Kitchens of one environment, so what may differ by identity
 * is what is derived from each Kitchen's name (stack name, schema, database user, data prefix, secret and parameter
 * paths) and the Kitchen's own tags (owner, parent, expiry); it is normalized the way the gate normalizes an
 * environment's identity (lib/align/identity.ts). Everything else is a change the child's branch introduces: it is
 * reported, never failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../app';
import { stackTemplate } from '../templates';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { KITCHEN_CONTEXT } from '../kitchen/options';
import { DEPLOYMENT_METADATA_KEY } from '../observability/deployment';
import { Names } from '../naming';
import type { PipelineDefinition } from '../pipeline/model';
import {
  assetFingerprints,
  compareTemplates,
  constructPaths,
  environmentIdentity,
  type AlignmentDifference,
  type AppBuilder,
} from './check';
import type { StringComparator } from './diff';
import { compareStrings, type SideIdentity } from './identity';
import type { Template } from './normalize';
import { diffPipelines, type PipelineModelChange } from './pipelines';
import { showValue, where } from './report';

/** One side of the comparison: a Kitchen's template and what is known of it besides. */
export interface KitchenSide {
  /** `deployed \`acme-dev-kitchen-integration\``, `\`origin/integration\` (3f2c1a9)`, `this checkout`. */
  readonly label: string;
  readonly template: Template;
  /** Logical id -> construct path (from the cloud assembly); absent for a deployed stack. */
  readonly paths?: ReadonlyMap<string, string>;
  /** Asset hash -> fingerprint of its source (from the cloud assembly); absent for a deployed stack. */
  readonly assets?: ReadonlyMap<string, string>;
  /** The pipelines compiled into the Kitchen (cloud assembly metadata); absent for a deployed stack. */
  readonly pipelines?: readonly PipelineDefinition[];
}

export interface ParentDifference {
  readonly section: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly path: string;
  readonly state?: string;
  /** The parent's value; absent when the parent has none there. */
  readonly parent?: unknown;
  readonly child?: unknown;
}

export interface ParentComparison {
  readonly child: string;
  readonly parent: string;
  readonly environment: string;
  /** Where the parent was read from (deployed stack, or a git ref). */
  readonly base: string;
  /** What the child's branch changes, template by template (identity left out). */
  readonly differences: readonly ParentDifference[];
  /** Values that differ only by each Kitchen's identity (names derived from its name, its tags). */
  readonly identity: number;
  /** Step- and test-level changes of the pipelines, when both sides carry their definitions. */
  readonly pipelines: readonly PipelineModelChange[];
  /** The commits each side was built from (`kitchens:deployment` metadata), when the templates record them. */
  readonly commits: { readonly parent?: string; readonly child?: string };
  readonly durationMs: number;
}

/**
 * A template without the commit it was built from: every branch records its own, so it is provenance (reported as
 * `commits`), not a difference.
 */
function withoutDeployment(template: Template): { template: Template; commit?: string } {
  const metadata = template.Metadata;
  if (!metadata || typeof metadata !== 'object' || !(DEPLOYMENT_METADATA_KEY in metadata)) return { template };
  const { [DEPLOYMENT_METADATA_KEY]: deployment, ...rest } = metadata as Record<string, unknown>;
  const commit = (deployment as { commit?: unknown } | undefined)?.commit;
  const stripped: Template = { ...template };
  if (Object.keys(rest).length > 0) stripped.Metadata = rest;
  else delete stripped.Metadata;
  return { template: stripped, ...(typeof commit === 'string' ? { commit } : {}) };
}

/** The tag values of a Kitchen as its template holds them (on every taggable resource). */
function tagValues(template: Template, key: string): string[] {
  const values = new Set<string>();
  for (const resource of Object.values(template.Resources ?? {})) {
    const tags = resource.Properties?.Tags;
    if (Array.isArray(tags)) {
      for (const t of tags as { Key?: unknown; Value?: unknown }[])
        if (t.Key === key && typeof t.Value === 'string') values.add(t.Value);
    } else if (tags && typeof tags === 'object' && typeof (tags as Record<string, unknown>)[key] === 'string') {
      values.add((tags as Record<string, string>)[key]);
    }
  }
  return [...values];
}

/**
 * The identity of one Kitchen of `environment`: the environment's own values (equal on both sides) and every name
 * derived from the Kitchen's name, by kind, plus its owner, parent and expiry tags as the template holds them.
 */
export function kitchenIdentity(
  config: KitchensConfig,
  environment: EnvironmentConfig,
  kitchen: string,
  template: Template,
  assets?: ReadonlyMap<string, string>,
): SideIdentity {
  const base = environmentIdentity(environment, assets);
  const names = new Names({
    project: config.project,
    environment: environment.name,
    account: environment.account,
    kitchen,
  });
  return {
    ...base,
    values: {
      ...base.values,
      kitchen: [kitchen],
      kitchenStack: [names.stackName],
      schema: [names.schema(environment.warehouse.schema)],
      databaseUser: [names.databaseUser],
      dataPrefix: [names.dataPrefix, names.dataPrefix.replace(/\/$/, '')],
      snake: [kitchen.replace(/-/g, '_')],
      sftpUser: [names.sftpUserName],
      owner: tagValues(template, 'kitchens:owner'),
      parent: tagValues(template, 'kitchens:parent'),
      expires: tagValues(template, 'kitchens:expires'),
    },
  };
}

/** Compares a child Kitchen with its parent: every template section, then the pipelines' steps and tests. */
export function compareWithParent(options: {
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
  readonly child: string;
  readonly parent: string;
  readonly childSide: KitchenSide;
  readonly parentSide: KitchenSide;
}): ParentComparison {
  const started = Date.now();
  const { config, environment, childSide, parentSide } = options;
  const parentIdentity = kitchenIdentity(config, environment, options.parent, parentSide.template, parentSide.assets);
  const childIdentity = kitchenIdentity(config, environment, options.child, childSide.template, childSide.assets);
  const parentTemplate = withoutDeployment(parentSide.template);
  const childTemplate = withoutDeployment(childSide.template);
  const compared = compareTemplates(parentTemplate.template, childTemplate.template, {
    from: options.parent,
    to: options.child,
    fromEnvironment: environment,
    toEnvironment: environment,
    fromIdentity: parentIdentity,
    toIdentity: childIdentity,
    // one environment on both sides: nothing is declared divergence, every non-identity difference is a change
    divergence: [],
    ...(parentSide.paths && childSide.paths ? { fromPaths: parentSide.paths, toPaths: childSide.paths } : {}),
  });
  const change = (d: AlignmentDifference): ParentDifference => ({
    section: d.section,
    logicalId: d.logicalId,
    resourceType: d.resourceType,
    path: d.path,
    ...(d.state !== undefined ? { state: d.state } : {}),
    ...(d.from !== undefined ? { parent: d.from } : {}),
    ...(d.to !== undefined ? { child: d.to } : {}),
  });
  // CDK tokens inside the rendered definitions of a synthesized side (bucket names) stand for each other
  const opaque = (text: string) => text.replace(/\$\{Token\[[^\]]*\]\}/g, '${Token}');
  const strings: StringComparator = (a, b) => compareStrings(opaque(a), opaque(b), parentIdentity, childIdentity);
  const pipelines =
    parentSide.pipelines && childSide.pipelines
      ? diffPipelines(parentSide.pipelines, childSide.pipelines, strings)
      : [];
  return {
    child: options.child,
    parent: options.parent,
    environment: environment.name,
    base: parentSide.label,
    differences: compared.differences.filter((d) => d.classification !== 'identity').map(change),
    identity: compared.counts.identity,
    pipelines,
    commits: {
      ...(parentTemplate.commit !== undefined ? { parent: parentTemplate.commit } : {}),
      ...(childTemplate.commit !== undefined ? { child: childTemplate.commit } : {}),
    },
    durationMs: Date.now() - started,
  };
}

function whereOf(d: ParentDifference): string {
  return `${where({ ...d, classification: 'drift', reason: '' })}${d.state !== undefined ? `  [state "${d.state}"]` : ''}`;
}

function summary(r: ParentComparison): string {
  const count = r.differences.length + r.pipelines.length;
  return count === 0
    ? `Kitchen ${r.child} does what its parent ${r.parent} (${r.base}) does: no differences besides identity`
    : `Kitchen ${r.child} differs from its parent ${r.parent} (${r.base}): ${r.differences.length} template ` +
        `difference${r.differences.length === 1 ? '' : 's'}, ${r.pipelines.length} pipeline${r.pipelines.length === 1 ? '' : 's'} changed`;
}

/** `Built from: integration 3f2c1a9, feature 8d0e4b2` when the templates record their commits. */
function commitsLine(r: ParentComparison): string | undefined {
  const sides = [
    [r.parent, r.commits.parent],
    [r.child, r.commits.child],
  ].filter(([, commit]) => commit !== undefined);
  return sides.length > 0 ? `Built from: ${sides.map(([k, c]) => `${k} ${c!.slice(0, 7)}`).join(', ')}` : undefined;
}

/** The comparison for people: what the child's branch changes against the parent. */
export function renderParentComparisonText(r: ParentComparison): string {
  const lines = [summary(r), ...(commitsLine(r) ? [commitsLine(r)!] : []), ''];
  for (const p of r.pipelines) {
    lines.push(`Pipeline ${p.id}: ${p.change}`);
    for (const f of p.fields) lines.push(`  ${f.field}: ${r.parent} ${f.before}, ${r.child} ${f.after}`);
    for (const s of p.steps) {
      lines.push(`  step "${s.name}": ${s.change}`);
      for (const f of s.fields) lines.push(`    ${f.field}: ${r.parent} ${f.before}, ${r.child} ${f.after}`);
      for (const t of s.tests) lines.push(`    test "${t.name}": ${t.change}`);
    }
  }
  if (r.pipelines.length > 0) lines.push('');
  if (r.differences.length > 0) {
    lines.push(`Template differences (${r.differences.length}):`);
    for (const d of r.differences) {
      lines.push(`  ${whereOf(d)}`);
      lines.push(`    ${r.parent}: ${showValue(d.parent)}`);
      lines.push(`    ${r.child}: ${showValue(d.child)}`);
    }
    lines.push('');
  }
  lines.push(
    `Identity (${r.identity}): values that differ only by each Kitchen's name, the names derived from it, and its ` +
      'owner, parent and expiry tags',
  );
  lines.push('', `Compared in ${(r.durationMs / 1000).toFixed(1)} s.`);
  return lines.join('\n');
}

/** A Markdown table cell: pipes escaped, one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * The comparison as Markdown for a pull request (`promote-report --kitchen CHILD --against PARENT`), cut to `budget`
 * characters: table rows are dropped from the end, with a note of how many.
 */
export function renderParentComparisonMarkdown(r: ParentComparison, budget = 60_000): string {
  const head = [
    `# Kitchen \`${r.child}\` against its parent \`${r.parent}\``,
    '',
    `${summary(r).replace(/^Kitchen \S+/, `Kitchen \`${r.child}\``)}.`,
    '',
    ...(commitsLine(r) ? [`${commitsLine(r)}.`, ''] : []),
  ];
  const pipelineLines: string[] = [];
  if (r.pipelines.length > 0) {
    pipelineLines.push('## Pipelines', '');
    for (const p of r.pipelines) {
      pipelineLines.push(`- Pipeline \`${p.id}\`: ${p.change}`);
      for (const f of p.fields) pipelineLines.push(`  - ${f.field}: \`${cell(f.before)}\` → \`${cell(f.after)}\``);
      for (const s of p.steps) {
        pipelineLines.push(`  - Step **${s.name}**: ${s.change}`);
        for (const f of s.fields) pipelineLines.push(`    - ${f.field}: \`${cell(f.before)}\` → \`${cell(f.after)}\``);
        for (const t of s.tests) pipelineLines.push(`    - Test **${t.name}**: ${t.change}`);
      }
    }
    pipelineLines.push('');
  }
  const rows = r.differences.map(
    (d) => `| ${cell(whereOf(d))} | \`${cell(showValue(d.parent))}\` | \`${cell(showValue(d.child))}\` |`,
  );
  const tail = [
    '',
    `${r.identity} values differ only by each Kitchen's identity (its name, the names derived from it, its owner, ` +
      'parent and expiry tags) and are not listed.',
    '',
  ];
  const render = (kept: number) => {
    const table =
      rows.length === 0
        ? ['No template differences besides identity.']
        : [
            '## Template differences',
            '',
            `| Where | ${cell(r.parent)} | ${cell(r.child)} |`,
            '| --- | --- | --- |',
            ...rows.slice(0, kept),
            ...(kept < rows.length ? ['', `_${rows.length - kept} more differences: run \`kitchen align\`._`] : []),
          ];
    return [...head, ...pipelineLines, ...table, ...tail].join('\n');
  };
  let kept = rows.length;
  let text = render(kept);
  while (text.length > budget && kept > 0) {
    kept = Math.max(0, kept - Math.max(1, Math.ceil((text.length - budget) / 80)));
    text = render(kept);
  }
  return text.length > budget ? `${text.slice(0, budget - 1)}\n` : text;
}

/**
 * The child Kitchen as synthesized in process by `build` (a module exporting buildApp, or the library's own):
 * template, construct paths, asset sources and compiled pipelines, read from the cloud assembly.
 */
export function synthesizeKitchenSide(options: {
  readonly config: KitchensConfig;
  readonly kitchen: string;
  /** The Kitchen's context besides its name (`kitchenEnv`, `kitchenParent`). */
  readonly context: Readonly<Record<string, string>>;
  readonly build?: AppBuilder;
  readonly label: string;
}): KitchenSide {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchen-against-'));
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const build = options.build ?? buildApp;
    const built = build(options.config, {
      nag: false,
      outdir,
      context: { ...options.context, [KITCHEN_CONTEXT.name]: options.kitchen },
    });
    const stack = built.kitchens[options.kitchen];
    if (!stack) throw new Error(`the app built no stack for Kitchen ${JSON.stringify(options.kitchen)}`);
    const assembly = built.app.synth();
    return {
      label: options.label,
      template: stackTemplate<Template>(assembly.getStackArtifact(stack.artifactId)),
      paths: constructPaths(assembly, stack.artifactId),
      assets: assetFingerprints(assembly, stack.artifactId),
      pipelines: stack.kitchen.pipelines.map((p) => p.definition),
    };
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
