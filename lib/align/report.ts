/** The alignment result for people (text) and for machines (`--json`). */
import type { AlignmentDifference, AlignmentResult } from './check';

const MAX_VALUE = 160;

/** A value on one line, shortened: `(absent)` when the property does not exist on that side. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

/** `Id (Type) path` for a resource; `Outputs.Id path` for an entry of another template section. */
export function where(d: AlignmentDifference): string {
  const path = d.path ? ` ${d.path}` : '';
  if (d.section !== 'Resources')
    return d.section === d.logicalId ? `${d.section}${path}` : `${d.section}.${d.logicalId}${path}`;
  return `${d.logicalId} (${d.resourceType})${path}`;
}

export function renderAlignmentText(result: AlignmentResult): string {
  const { counts } = result;
  const lines: string[] = [];
  lines.push(
    result.aligned
      ? `ALIGNED: ${result.from} and ${result.to} differ only in identity and declared divergence`
      : `NOT ALIGNED: ${counts.drift} undeclared difference${counts.drift === 1 ? '' : 's'} between ${result.from} and ${result.to}`,
  );
  lines.push('');
  const drift = result.differences.filter((d) => d.classification === 'drift');
  if (drift.length > 0) {
    lines.push(`Undeclared drift (${drift.length}):`);
    for (const d of drift) {
      lines.push(`  ${where(d)}${d.state !== undefined ? `  [state "${d.state}"]` : ''}`);
      lines.push(`    ${result.from}: ${showValue(d.from)}`);
      lines.push(`    ${result.to}: ${showValue(d.to)}`);
      lines.push(`    why: ${d.reason}`);
    }
    lines.push('');
  }
  const divergence = result.differences.filter((d) => d.classification === 'divergence');
  lines.push(`Declared divergence (${divergence.length}, allowed):`);
  const byField = new Map<string, AlignmentDifference[]>();
  for (const d of divergence) byField.set(d.divergence!, [...(byField.get(d.divergence!) ?? []), d]);
  for (const [field, list] of [...byField].sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(`  ${field}:`);
    for (const d of list)
      lines.push(`    ${where(d)}: ${showValue(d.from)} in ${result.from}, ${showValue(d.to)} in ${result.to}`);
  }
  if (divergence.length === 0) lines.push('  none');
  lines.push('');
  lines.push(
    `Identity (${counts.identity}, allowed): values that differ only where each side holds its own environment name, ` +
      'account, region, partition, URL suffix, availability zone, stage, CIDR or Slack channel (listed with --json)',
  );
  if (result.templateDiff) {
    lines.push('');
    lines.push(`Template differences of the drifted resources (normalized; - ${result.to}, + ${result.from}):`);
    lines.push(result.templateDiff);
  }
  lines.push('');
  lines.push(`Compared in ${(result.durationMs / 1000).toFixed(1)} s.`);
  return lines.join('\n');
}
