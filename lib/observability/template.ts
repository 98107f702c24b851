/**
 * Reads what a synthesized template holds for observability: dashboard bodies (with CloudFormation references
 * replaced by `<ref:LogicalId>` / `<att:LogicalId.Attr>` text) and state machine definitions. Pure JSON work.
 */

export type CfnTemplate = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** Joins a string that may be an `Fn::Join` of literals and references; references become readable markers. */
export function flattenCfnString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenCfnString).join(separator);
    }
    if ('Ref' in record) return `<ref:${String(record.Ref)}>`;
    if ('Fn::GetAtt' in record) {
      const att = record['Fn::GetAtt'];
      return `<att:${Array.isArray(att) ? att.join('.') : String(att)}>`;
    }
    // Other intrinsics (Fn::Select of an imported list, Fn::ImportValue, ...): a marker naming the function.
    const [fn] = Object.keys(record);
    if (Object.keys(record).length === 1 && fn.startsWith('Fn::')) return `<${fn}>`;
  }
  throw new Error(`cannot read a CloudFormation string from ${JSON.stringify(value)}`);
}

export interface DashboardMetric {
  readonly dashboard: string;
  readonly widget: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * Every metric a dashboard's graph widgets draw, with CloudWatch's `"."` shorthand (repeat the previous row's
 * value) expanded. Math expressions are skipped: the metrics they use are rows of their own.
 */
export function dashboardMetrics(template: CfnTemplate): DashboardMetric[] {
  const out: DashboardMetric[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::CloudWatch::Dashboard') continue;
    const body = JSON.parse(flattenCfnString(resource.Properties?.DashboardBody)) as {
      widgets: { type: string; properties: { title?: string; metrics?: unknown[][] } }[];
    };
    for (const widget of body.widgets) {
      let previous: unknown[] = [];
      for (const row of widget.properties.metrics ?? []) {
        const values = row.filter((v) => typeof v === 'string') as string[];
        if (values.length === 0) continue;
        const expanded = values.map((v, i) => (v === '.' ? (previous[i] as string) : v));
        previous = expanded;
        const [namespace, metricName, ...pairs] = expanded;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
        out.push({ dashboard: id, widget: widget.properties.title ?? widget.type, namespace, metricName, dimensions });
      }
    }
  }
  return out;
}
