/**
 * The promotion report: what a change (a pull request) does to one environment, production by default. The base is
 * the environment as built from a git ref (a worktree of `origin/main`) or as deployed (CloudFormation
 * GetTemplate); the head is the environment as built from the current checkout. Both are the same environment, so
 * no identity is translated: every difference is a change the reviewer approves.
 */
import * as cfnDiff from '@aws-cdk/cloudformation-diff';
import type { PipelineDefinition } from '../pipeline/model';
import { AlignmentResult, renderDiff, stripAnsi } from './check';
import type { Template } from './normalize';
import { diffPipelines, PipelineModelChange } from './pipelines';
import { showValue, where } from './report';
import { STATE_MACHINE_TYPE } from './state-machine';

export interface ResourceChange {
  readonly logicalId: string;
  readonly type: string;
  readonly change: 'added' | 'removed' | 'replaced' | 'may be replaced' | 'updated';
  /** Properties whose change causes the replacement (or the update). */
  readonly properties: readonly string[];
}

/** One side of the report: a template, and the pipeline definitions it was built from when they are known. */
export interface PromotionSide {
  /** `origin/main (3f2c1a9)`, `deployed`, `working tree`. */
  readonly label: string;
  readonly template: Template;
  /** Absent for a deployed stack: its pipelines are then compared by state machine only. */
  readonly pipelines?: readonly PipelineDefinition[];
}

export interface PromotionReport {
  readonly environment: string;
  readonly base: string;
  readonly head: string;
  readonly iamWidening: boolean;
  readonly securityGroupWidening: boolean;
  readonly resources: readonly ResourceChange[];
  /** Step- and test-level changes (when both sides carry pipeline definitions). */
  readonly pipelines: readonly PipelineModelChange[];
  /** State machines whose definition changed, when pipeline definitions are not known on both sides. */
  readonly stateMachines: readonly string[];
  readonly alignment?: AlignmentResult;
  /** Why the base could not be built, when it could not: the report then covers the head alone. */
  readonly baseError?: string;
  /** The full report (the CI artifact). */
  readonly markdown: string;
  /** The report cut to the size budget (the pull request comment). */
  readonly comment: string;
}

export interface BuildPromotionReportOptions {
  readonly environment: string;
  readonly base: PromotionSide;
  readonly head: PromotionSide;
  /** The alignment of the head's environments, reported at the end. */
  readonly alignment?: AlignmentResult;
  /** Maximum characters of `comment`. @default 60000 (GitHub refuses comments over 65,536) */
  readonly budget?: number;
  /**
   * Why the base could not be built: `base` is then an empty template and the report says that everything of the
   * head is listed as added, and why.
   * @default - the base was built
   */
  readonly baseError?: string;
}

/** `kitchen promote-report` exit status when the report was written for the head alone (the base failed to build). */
export const EXIT_BASE_NOT_BUILT = 4;

/** GitHub's limit on an issue or pull request comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
export const DEFAULT_BUDGET = 60_000;

export function buildPromotionReport(options: BuildPromotionReportOptions): PromotionReport {
  const { base, head } = options;
  const diff = cfnDiff.fullDiff(base.template, head.template);
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
  const pipelines = base.pipelines && head.pipelines ? diffPipelines(base.pipelines, head.pipelines) : [];
  const stateMachines =
    base.pipelines && head.pipelines
      ? []
      : resources.filter((r) => r.type === STATE_MACHINE_TYPE).map((r) => `${r.logicalId} (${r.change})`);
  const security = {
    iam: diff.iamChanges.hasChanges
      ? [diff.iamChanges.summarizeStatements(), diff.iamChanges.summarizeManagedPolicies()]
      : [],
    securityGroups: diff.securityGroupChanges.hasChanges ? diff.securityGroupChanges.summarize() : [],
  };
  const report = {
    environment: options.environment,
    base: base.label,
    head: head.label,
    iamWidening: diff.iamChanges.permissionsBroadened,
    securityGroupWidening: diff.securityGroupChanges.rulesAdded,
    resources,
    pipelines,
    stateMachines,
    ...(options.alignment ? { alignment: options.alignment } : {}),
    ...(options.baseError !== undefined ? { baseError: options.baseError } : {}),
  };
  const fullDiffText = renderDiff((stream) => cfnDiff.formatDifferences(stream, diff));
  const markdown = renderMarkdown(report, security, { fullDiff: fullDiffText, maxRows: Infinity, mermaid: true });
  return { ...report, markdown, comment: fitComment(report, security, options.budget ?? DEFAULT_BUDGET) };
}

type ReportData = Omit<PromotionReport, 'markdown' | 'comment'>;
interface Security {
  readonly iam: string[][][];
  readonly securityGroups: string[][];
}
interface RenderOptions {
  /** The full CloudFormation diff, or undefined to point at the artifact instead. */
  readonly fullDiff?: string;
  readonly maxRows: number;
  readonly mermaid: boolean;
}

/** The comment: the report without the full diff, then with fewer table rows and no graphs, until it fits. */
function fitComment(report: ReportData, security: Security, budget: number): string {
  const attempts: RenderOptions[] = [
    { maxRows: Infinity, mermaid: true },
    { maxRows: 50, mermaid: true },
    { maxRows: 20, mermaid: false },
    { maxRows: 5, mermaid: false },
  ];
  for (const attempt of attempts) {
    const text = renderMarkdown(report, security, attempt);
    if (text.length <= budget) return text;
  }
  const text = renderMarkdown(report, security, attempts[attempts.length - 1]);
  const note = '\n\n_The report was cut to fit a pull request comment; the full report is in the build artifact._\n';
  return text.slice(0, budget - note.length) + note;
}

/** A Markdown table cell: pipes escaped, line breaks as <br>. */
function cell(text: string): string {
  return stripAnsi(text).trim().replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function table(rows: readonly (readonly string[])[], maxRows: number): string[] {
  if (rows.length === 0) return [];
  const [header, ...body] = rows;
  const kept = body.slice(0, maxRows);
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...kept.map((r) => `| ${r.map(cell).join(' | ')} |`),
    ...(body.length > kept.length ? ['', `_${body.length - kept.length} more rows in the full report._`] : []),
  ];
}

function details(summary: string, body: readonly string[]): string[] {
  return [`<details><summary>${summary}</summary>`, '', ...body, '', '</details>', ''];
}

function renderMarkdown(report: ReportData, security: Security, options: RenderOptions): string {
  const { environment, alignment } = report;
  const lines: string[] = [];
  const count = (kind: ResourceChange['change']) => report.resources.filter((r) => r.change === kind).length;
  lines.push(`# Promotion report: ${environment}`);
  lines.push('');
  lines.push(`What this change does to \`${environment}\`: ${report.base} → ${report.head}.`);
  lines.push('');
  if (report.baseError !== undefined) {
    lines.push(
      `> **Warning:** the base could not be built, so this report covers the head alone: every resource, permission ` +
        `and pipeline of the head is listed as added. Why:`,
      '',
      '```text',
      report.baseError.trim(),
      '```',
      '',
    );
  }
  lines.push(`- IAM permissions widened: **${report.iamWidening ? 'yes' : 'no'}**`);
  lines.push(`- Network (security group) rules widened: **${report.securityGroupWidening ? 'yes' : 'no'}**`);
  lines.push(
    `- Resources: ${count('added')} added, ${count('replaced') + count('may be replaced')} replaced, ${count('removed')} removed, ` +
      `${count('updated')} updated`,
  );
  lines.push(`- Pipelines changed: ${report.pipelines.length + report.stateMachines.length}`);
  if (alignment)
    lines.push(
      `- Alignment (${alignment.from} against ${alignment.to}): **${alignment.aligned ? 'holds' : `does not hold (${alignment.counts.drift} undeclared differences)`}**`,
    );
  lines.push('');

  lines.push('## IAM and network widening');
  lines.push('');
  if (report.iamWidening) lines.push(`> **Warning:** this change widens IAM permissions in \`${environment}\`.`, '');
  if (report.securityGroupWidening)
    lines.push(`> **Warning:** this change widens network access (security group rules) in \`${environment}\`.`, '');
  const iamTables = security.iam.filter((t) => t.length > 1);
  for (const t of iamTables) lines.push(...table(t, options.maxRows), '');
  if (security.securityGroups.length > 1) lines.push(...table(security.securityGroups, options.maxRows), '');
  if (iamTables.length === 0 && security.securityGroups.length <= 1)
    lines.push('No IAM or security group changes.', '');

  lines.push('## Resources');
  lines.push('');
  const order: ResourceChange['change'][] = ['replaced', 'may be replaced', 'removed', 'added', 'updated'];
  const sorted = [...report.resources].sort(
    (a, b) => order.indexOf(a.change) - order.indexOf(b.change) || a.logicalId.localeCompare(b.logicalId),
  );
  if (sorted.length === 0) lines.push('No resource changes.', '');
  else
    lines.push(
      ...details(`${sorted.length} resource change${sorted.length === 1 ? '' : 's'}`, [
        ...table(
          [
            ['Change', 'Logical id', 'Type', 'Properties'],
            ...sorted.map((r) => [r.change, r.logicalId, r.type, r.properties.join(', ')]),
          ],
          options.maxRows,
        ),
      ]),
    );

  lines.push('## Pipelines');
  lines.push('');
  if (report.pipelines.length === 0 && report.stateMachines.length === 0) lines.push('No pipeline changes.', '');
  for (const p of report.pipelines) lines.push(...renderPipeline(p, options));
  if (report.stateMachines.length > 0) {
    lines.push(
      'The base has no pipeline definitions (a deployed stack): state machines whose definition changes:',
      '',
      ...report.stateMachines.map((s) => `- ${s}`),
      '',
    );
  }

  if (alignment) {
    lines.push('## Alignment');
    lines.push('');
    lines.push(
      alignment.aligned
        ? `\`${alignment.from}\` and \`${alignment.to}\` are aligned: ${alignment.counts.divergence} declared divergences, ${alignment.counts.identity} identity differences.`
        : `\`${alignment.from}\` and \`${alignment.to}\` are **not aligned**: ${alignment.counts.drift} undeclared differences.`,
    );
    lines.push('');
    const drift = alignment.differences.filter((d) => d.classification === 'drift');
    if (drift.length > 0) {
      lines.push(
        ...details(
          'Undeclared drift',
          table(
            [
              ['Where', alignment.from, alignment.to, 'Why'],
              ...drift.map((d) => [where(d), showValue(d.from), showValue(d.to), d.reason]),
            ],
            options.maxRows,
          ),
        ),
      );
    }
  }

  lines.push('## Full CloudFormation diff');
  lines.push('');
  if (options.fullDiff !== undefined)
    lines.push(
      ...details('cdk diff style output', ['```text', options.fullDiff || 'There were no differences', '```']),
    );
  else lines.push('In the full report (build artifact `promotion-report`).', '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function renderPipeline(p: PipelineModelChange, options: RenderOptions): string[] {
  const lines = [`### Pipeline \`${p.id}\` (${p.change})`, ''];
  for (const f of p.fields) lines.push(`- ${f.field}: \`${f.before}\` → \`${f.after}\``);
  for (const step of p.steps) {
    lines.push(`- Step **${step.name}** (\`${step.id}\`): ${step.change}`);
    for (const f of step.fields) lines.push(`  - ${f.field}: \`${cell(f.before)}\` → \`${cell(f.after)}\``);
    for (const test of step.tests) {
      const what =
        test.change === 'changed'
          ? test.fields.map((f) => `${f.field} \`${cell(f.before)}\` → \`${cell(f.after)}\``).join('; ')
          : `${test.change} (${test.level})`;
      lines.push(`  - Test **${test.name}**: ${what}`);
    }
  }
  lines.push('');
  if (options.mermaid) lines.push(...details('Steps graph', ['```mermaid', p.mermaid, '```']));
  return lines;
}
