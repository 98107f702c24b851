/**
 * The promotion report: what deploying the `from` environment's code to the `to` environment would change, as one
 * Markdown document for a reviewer. The `from` template is re-targeted to `to` (its identity replaced by `to`'s,
 * declared divergence taken from `to`) and compared with `to` as currently synthesized.
 */
import * as cfnDiff from '@aws-cdk/cloudformation-diff';
import type { KitchensConfig } from '../config/model';
import {
  AlignmentResult,
  AppBuilder,
  CompareOptions,
  compareTemplates,
  divergenceFieldOf,
  environmentIdentity,
  renderDiff,
  resolveEnvironments,
  stripAnsi,
  synthesizeEnvironments,
} from './check';
import { deepEqual, diffValues, setPath } from './diff';
import { identityReplacements, normalizeTemplate, restoreIdentity, Template } from './normalize';
import { showValue, where } from './report';
import {
  AslDefinition,
  flattenStates,
  isTestState,
  pipelineMermaid,
  STATE_MACHINE_TYPE,
  StateChange,
  stateMachineDefinition,
} from './state-machine';

export interface ResourceChange {
  readonly logicalId: string;
  readonly type: string;
  readonly change: 'added' | 'removed' | 'replaced' | 'may be replaced' | 'updated';
  /** Properties whose change causes the replacement (or the update). */
  readonly properties: readonly string[];
}

export interface StateChangeEntry {
  readonly state: string;
  readonly kind: 'step' | 'test';
  readonly change: StateChange;
}

export interface PipelineChange {
  readonly logicalId: string;
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly states: readonly StateChangeEntry[];
  /** Mermaid `graph TD` of the pipeline with added, removed and changed states styled. */
  readonly mermaid: string;
}

export interface PromotionReport {
  readonly from: string;
  readonly to: string;
  readonly iamWidening: boolean;
  readonly securityGroupWidening: boolean;
  readonly resources: readonly ResourceChange[];
  readonly pipelines: readonly PipelineChange[];
  readonly alignment: AlignmentResult;
  readonly markdown: string;
}

export interface PromotionReportOptions {
  readonly config: KitchensConfig;
  /** @default - the development environment that hosts Kitchens */
  readonly from?: string;
  /** @default - the production environment */
  readonly to?: string;
  /** @default buildApp */
  readonly build?: AppBuilder;
}

export function promotionReport(options: PromotionReportOptions): PromotionReport {
  const { from, to } = resolveEnvironments(options.config, options.from, options.to);
  const templates = synthesizeEnvironments(options.config, [from.name, to.name], options.build);
  return buildPromotionReport(templates[from.name], templates[to.name], {
    from: from.name,
    to: to.name,
    fromIdentity: environmentIdentity(options.config, from),
    toIdentity: environmentIdentity(options.config, to),
    divergence: options.config.divergence,
  });
}

/** The `from` template as it would be deployed to `to`: `to`'s identity and `to`'s declared divergence values. */
export function retarget(
  fromTemplate: Template,
  toTemplate: Template,
  options: CompareOptions,
): { current: Template; promoted: Template } {
  const fromNorm = normalizeTemplate(fromTemplate, { ...identityReplacements(options.fromIdentity), divergence: [] });
  const toNorm = normalizeTemplate(toTemplate, { ...identityReplacements(options.toIdentity), divergence: [] });
  for (const [logicalId, resource] of Object.entries(fromNorm.Resources ?? {})) {
    const target = toNorm.Resources?.[logicalId];
    if (!target || target.Type !== resource.Type) continue;
    for (const diff of diffValues(resource, target)) {
      if (divergenceFieldOf(options.divergence, resource.Type, diff.path, resource, target)) {
        setPath(resource as Record<string, unknown>, diff.path, diff.to);
      }
    }
  }
  return {
    current: restoreIdentity(toNorm, options.toIdentity),
    promoted: restoreIdentity(fromNorm, options.toIdentity),
  };
}

export function buildPromotionReport(
  fromTemplate: Template,
  toTemplate: Template,
  options: CompareOptions,
): PromotionReport {
  const alignment = compareTemplates(fromTemplate, toTemplate, options);
  const { current, promoted } = retarget(fromTemplate, toTemplate, options);
  const diff = cfnDiff.fullDiff(current, promoted);

  const resources: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    if (!change.isDifferent) return;
    const type = change.resourceType ?? change.newResourceType ?? change.oldResourceType ?? 'unknown';
    const updates = Object.entries(change.propertyUpdates);
    const impact = change.changeImpact;
    let kind: ResourceChange['change'];
    if (change.isAddition) kind = 'added';
    else if (change.isRemoval) kind = 'removed';
    else if (impact === cfnDiff.ResourceImpact.WILL_REPLACE) kind = 'replaced';
    else if (impact === cfnDiff.ResourceImpact.MAY_REPLACE) kind = 'may be replaced';
    else kind = 'updated';
    const replacing = updates.filter(
      ([, u]) =>
        u.changeImpact === cfnDiff.ResourceImpact.WILL_REPLACE || u.changeImpact === cfnDiff.ResourceImpact.MAY_REPLACE,
    );
    const shown = (kind === 'replaced' || kind === 'may be replaced') && replacing.length > 0 ? replacing : updates;
    resources.push({
      logicalId,
      type,
      change: kind,
      properties: [...shown.map(([p]) => p), ...Object.keys(change.otherChanges)],
    });
  });

  const pipelines = pipelineChanges(current, promoted);
  const iamWidening = diff.iamChanges.permissionsBroadened;
  const securityGroupWidening = diff.securityGroupChanges.rulesAdded;
  const report = {
    from: options.from,
    to: options.to,
    iamWidening,
    securityGroupWidening,
    resources,
    pipelines,
    alignment,
  };
  const fullText = renderDiff((stream) => cfnDiff.formatDifferences(stream, diff));
  const security = {
    iam: diff.iamChanges.hasChanges
      ? [diff.iamChanges.summarizeStatements(), diff.iamChanges.summarizeManagedPolicies()]
      : [],
    securityGroups: diff.securityGroupChanges.hasChanges ? diff.securityGroupChanges.summarize() : undefined,
  };
  return { ...report, markdown: renderMarkdown(report, security, fullText) };
}

function pipelineChanges(current: Template, promoted: Template): PipelineChange[] {
  const machines = (t: Template) =>
    Object.fromEntries(Object.entries(t.Resources ?? {}).filter(([, r]) => r.Type === STATE_MACHINE_TYPE));
  const before = machines(current);
  const after = machines(promoted);
  const out: PipelineChange[] = [];
  for (const logicalId of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const defBefore = before[logicalId] ? stateMachineDefinition(before[logicalId].Properties) : undefined;
    const defAfter = after[logicalId] ? stateMachineDefinition(after[logicalId].Properties) : undefined;
    const statesBefore = defBefore ? flattenStates(defBefore) : new Map();
    const statesAfter = defAfter ? flattenStates(defAfter) : new Map();
    const changes = new Map<string, StateChange>();
    for (const [name, state] of statesAfter) {
      if (!statesBefore.has(name)) changes.set(name, 'added');
      else if (!deepEqual(state, statesBefore.get(name))) changes.set(name, 'changed');
    }
    for (const name of statesBefore.keys()) if (!statesAfter.has(name)) changes.set(name, 'removed');
    const topChanged = !deepEqual(withoutStates(defBefore), withoutStates(defAfter));
    if (changes.size === 0 && !topChanged && deepEqual(before[logicalId], after[logicalId])) continue;
    const resource = after[logicalId] ?? before[logicalId];
    const name =
      typeof resource.Properties?.StateMachineName === 'string' ? resource.Properties.StateMachineName : logicalId;
    out.push({
      logicalId,
      name,
      change: !before[logicalId] ? 'added' : !after[logicalId] ? 'removed' : 'changed',
      states: [...changes].map(([state, change]) => ({ state, kind: isTestState(state) ? 'test' : 'step', change })),
      mermaid: pipelineMermaid(defBefore, defAfter, changes),
    });
  }
  return out;
}

function withoutStates(definition: AslDefinition | undefined): unknown {
  if (!definition) return undefined;
  return { ...definition, States: undefined };
}

/** A Markdown table cell: pipes escaped, line breaks as <br>. */
function cell(text: string): string {
  return stripAnsi(text).trim().replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function table(rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const [header, ...body] = rows;
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

function renderMarkdown(
  report: Omit<PromotionReport, 'markdown'>,
  security: { iam: string[][][]; securityGroups?: string[][] },
  fullText: string,
): string {
  const { from, to, alignment } = report;
  const lines: string[] = [];
  const count = (kind: ResourceChange['change']) => report.resources.filter((r) => r.change === kind).length;
  lines.push(`# Promotion report: ${from} → ${to}`);
  lines.push('');
  lines.push(
    `What deploying the code of \`${from}\` to \`${to}\` would change, ${to}'s own identity and declared divergence kept.`,
  );
  lines.push('');
  lines.push(`- IAM permissions widened: **${report.iamWidening ? 'yes' : 'no'}**`);
  lines.push(`- Security group rules widened: **${report.securityGroupWidening ? 'yes' : 'no'}**`);
  lines.push(
    `- Resources: ${count('added')} added, ${count('replaced') + count('may be replaced')} replaced, ${count('removed')} removed, ` +
      `${count('updated')} updated`,
  );
  lines.push(`- Pipelines changed: ${report.pipelines.length}`);
  lines.push(
    `- Alignment: **${alignment.aligned ? 'holds' : `does not hold (${alignment.counts.drift} undeclared differences)`}**`,
  );
  lines.push('');

  lines.push('## Security: IAM and security group changes');
  lines.push('');
  if (report.iamWidening) lines.push(`> **Warning:** this promotion widens IAM permissions in \`${to}\`.`, '');
  if (report.securityGroupWidening)
    lines.push(`> **Warning:** this promotion adds security group rules in \`${to}\`.`, '');
  const iamTables = security.iam.filter((t) => t.length > 1);
  for (const t of iamTables) lines.push(...table(t), '');
  if (security.securityGroups && security.securityGroups.length > 1) lines.push(...table(security.securityGroups), '');
  if (iamTables.length === 0 && !(security.securityGroups && security.securityGroups.length > 1))
    lines.push('No IAM or security group changes.', '');

  lines.push('## Resources added, replaced and removed');
  lines.push('');
  const order: ResourceChange['change'][] = ['replaced', 'may be replaced', 'removed', 'added', 'updated'];
  const sorted = [...report.resources].sort(
    (a, b) => order.indexOf(a.change) - order.indexOf(b.change) || a.logicalId.localeCompare(b.logicalId),
  );
  if (sorted.length === 0) lines.push('No resource changes.');
  else
    lines.push(
      ...table([
        ['Change', 'Logical id', 'Type', 'Properties'],
        ...sorted.map((r) => [r.change, r.logicalId, r.type, r.properties.join(', ')]),
      ]),
    );
  lines.push('');

  lines.push('## Pipeline changes');
  lines.push('');
  if (report.pipelines.length === 0) lines.push('No pipeline changes.', '');
  for (const p of report.pipelines) {
    lines.push(`### ${p.name} (${p.change})`);
    lines.push('');
    const listed = (kind: 'step' | 'test', change: StateChange) =>
      p.states.filter((s) => s.kind === kind && s.change === change).map((s) => `\`${s.state}\``);
    for (const kind of ['step', 'test'] as const) {
      for (const change of ['added', 'removed', 'changed'] as const) {
        const names = listed(kind, change);
        if (names.length > 0) lines.push(`- ${kind === 'step' ? 'Steps' : 'Tests'} ${change}: ${names.join(', ')}`);
      }
    }
    lines.push('');
    lines.push('```mermaid', p.mermaid, '```', '');
  }

  lines.push('## Alignment');
  lines.push('');
  lines.push(
    alignment.aligned
      ? `\`${from}\` and \`${to}\` are aligned: ${alignment.counts.divergence} declared divergences, ${alignment.counts.identity} identity differences.`
      : `\`${from}\` and \`${to}\` are **not aligned**: ${alignment.counts.drift} undeclared differences.`,
  );
  lines.push('');
  const drift = alignment.differences.filter((d) => d.classification === 'drift');
  if (drift.length > 0) {
    lines.push(
      ...table([
        ['Where', from, to, 'Why'],
        ...drift.map((d) => [where(d), showValue(d.from), showValue(d.to), d.reason]),
      ]),
    );
    lines.push('');
  }

  lines.push('## Full CloudFormation diff');
  lines.push('');
  lines.push(
    '<details><summary>cdk diff style output</summary>',
    '',
    '```text',
    fullText || 'There were no differences',
    '```',
    '',
    '</details>',
  );
  return `${lines.join('\n')}\n`;
}
