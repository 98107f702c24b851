/**
 * Checks that every metric a dashboard draws is one something publishes: a PutMetricData call in a state machine of
 * the same template, a log metric filter of the template, or an AWS service metric (namespace, name and dimension
 * set as AWS documents them) whose dimension names a resource of the template. A dashboard that draws anything else
 * shows an empty graph forever; this finds it without opening a browser.
 */
import { CfnTemplate, DashboardMetric, dashboardMetrics, flattenCfnString } from './template';

/** A metric the template emits; a dimension value `*` is filled at run time. */
export interface EmittedMetric {
  readonly source: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * AWS metrics the dashboards may use: namespace -> metric -> dimension names, and the resource type each
 * dimension's value must reference. From the CloudWatch metrics pages of Step Functions, Redshift, Transfer
 * Family, S3 and EventBridge.
 */
export const AWS_METRICS: Readonly<
  Record<string, { metrics: readonly string[]; dimensions: Readonly<Record<string, string | null>>[] }>
> = {
  'AWS/States': {
    metrics: [
      'ExecutionTime',
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsAborted',
      'ExecutionThrottled',
      'ExecutionsTimedOut',
      'ExecutionsRedriven',
    ],
    dimensions: [{ StateMachineArn: 'AWS::StepFunctions::StateMachine' }],
  },
  'AWS/Redshift': {
    metrics: [
      'CPUUtilization',
      'PercentageDiskSpaceUsed',
      'DatabaseConnections',
      'QueryDuration',
      'ReadLatency',
      'WriteLatency',
      'MaintenanceMode',
      'HealthStatus',
    ],
    // QueryDuration is published per latency class (short, medium, long).
    dimensions: [
      { ClusterIdentifier: 'AWS::Redshift::Cluster' },
      { ClusterIdentifier: 'AWS::Redshift::Cluster', latency: null },
    ],
  },
  'AWS/Transfer': {
    metrics: ['FilesIn', 'FilesOut', 'BytesIn', 'BytesOut'],
    dimensions: [{ ServerId: 'AWS::Transfer::Server' }],
  },
  'AWS/S3': {
    metrics: ['BucketSizeBytes', 'NumberOfObjects'],
    dimensions: [{ BucketName: 'AWS::S3::Bucket', StorageType: null }],
  },
  // a rule on the default event bus: RuleName only (landing feed rules, constructs/environment/landing-feeds.ts)
  'AWS/Events': {
    metrics: ['MatchedEvents', 'TriggeredRules', 'Invocations', 'FailedInvocations'],
    dimensions: [{ RuleName: 'AWS::Events::Rule' }],
  },
};

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: unknown;
  readonly Branches?: readonly { States: States }[];
  readonly ItemProcessor?: { States: States };
  readonly Iterator?: { States: States };
}
type States = Record<string, AslState>;

function walk(states: States, visit: (name: string, state: States[string]) => void): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    for (const branch of state.Branches ?? []) walk(branch.States, visit);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) walk(processor.States, visit);
  }
}

/** Metrics the template's state machines (PutMetricData tasks) and log metric filters publish. */
export function emittedMetrics(template: CfnTemplate): EmittedMetric[] {
  const out: EmittedMetric[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      if (props.DefinitionString === undefined) {
        throw new Error(
          `state machine ${id} has no DefinitionString (a stored definition?): read the template with lib/templates.ts ` +
            '(stackTemplate), which inlines stored definitions and nested stacks',
        );
      }
      const definition = JSON.parse(flattenCfnString(props.DefinitionString)) as { States: States };
      walk(definition.States, (name, state) => {
        if (state.Type !== 'Task' || !/:aws-sdk:cloudwatch:putMetricData$/.test(state.Resource ?? '')) return;
        const { Namespace, MetricData } = state.Parameters as {
          Namespace: string;
          MetricData: { MetricName: string; Dimensions?: Record<string, string>[] }[];
        };
        for (const datum of MetricData) {
          const dimensions: Record<string, string> = {};
          for (const d of datum.Dimensions ?? []) dimensions[d.Name] = d.Value ?? '*';
          out.push({ source: `${id} / ${name}`, namespace: Namespace, metricName: datum.MetricName, dimensions });
        }
      });
    }
    if (resource.Type === 'AWS::Logs::MetricFilter') {
      for (const t of props.MetricTransformations as { MetricNamespace: string; MetricName: string }[]) {
        out.push({ source: id, namespace: t.MetricNamespace, metricName: t.MetricName, dimensions: {} });
      }
    }
  }
  return out;
}

const sameKeys = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
};

/** Why a dashboard metric has no publisher, or undefined when it has one. */
function problemOf(
  metric: DashboardMetric,
  emitted: readonly EmittedMetric[],
  template: CfnTemplate,
): string | undefined {
  const shown = `${metric.namespace} ${metric.metricName} ${JSON.stringify(metric.dimensions)} (widget "${metric.widget}")`;
  const aws = AWS_METRICS[metric.namespace];
  if (aws) {
    if (!aws.metrics.includes(metric.metricName))
      return `${shown}: AWS publishes no metric ${metric.metricName} in ${metric.namespace}`;
    const shape = aws.dimensions.find((d) => sameKeys(d, metric.dimensions));
    if (!shape) return `${shown}: ${metric.namespace} publishes no such dimension set`;
    for (const [name, type] of Object.entries(shape)) {
      if (type === null) continue;
      const ref = /^<(?:ref|att):([A-Za-z0-9]+)/.exec(metric.dimensions[name]);
      const target = ref ? template.Resources?.[ref[1]] : undefined;
      if (target?.Type !== type) return `${shown}: dimension ${name} must reference a ${type} of this template`;
    }
    return undefined;
  }
  if (metric.namespace.startsWith('AWS/')) return `${shown}: namespace not known to the check`;
  const match = emitted.find(
    (e) =>
      e.namespace === metric.namespace &&
      e.metricName === metric.metricName &&
      sameKeys(e.dimensions, metric.dimensions) &&
      Object.entries(e.dimensions).every(([k, v]) => v === '*' || v === metric.dimensions[k]),
  );
  return match ? undefined : `${shown}: nothing in this template publishes it`;
}

/** Problems of every dashboard of the template: one line per metric nothing publishes. */
export function checkDashboardMetrics(template: CfnTemplate): { metrics: DashboardMetric[]; problems: string[] } {
  const metrics = dashboardMetrics(template);
  const emitted = emittedMetrics(template);
  const problems = [...new Set(metrics.map((m) => problemOf(m, emitted, template)).filter((p): p is string => !!p))];
  return { metrics, problems };
}
