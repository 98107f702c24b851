/**
 * Dashboard synth cost: synthesizes the bundled app (production, development and one Kitchen; cdk-nag off,
 * CDK_VALIDATION=false) and prints, per stack, its resources and how many of them are observability resources
 * (dashboard, alarms, metric filters), plus the wall time. With `--extra-monitoring` it adds a second
 * DataOpsMonitoring to every environment and Kitchen (same props), so comparing the two runs gives the milliseconds
 * one dashboard with its alarms adds:
 *   npx ts-node --swc bench/dashboards.ts [--extra-monitoring]
 */
import * as path from 'path';
import { ReleaseEnvironment } from '../constructs/environment/release-environment';
import { Kitchen } from '../constructs/kitchen/kitchen';
import { DataOpsMonitoring } from '../constructs/observability/dataops-monitoring';
import { buildApp } from '../lib/app';
import { loadConfig } from '../lib/config';

const OBSERVABILITY = /^AWS::(CloudWatch::(Dashboard|Alarm)|Logs::MetricFilter)$/;

process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
const extra = process.argv.includes('--extra-monitoring');
const t0 = performance.now();
const config = loadConfig(path.join(__dirname, '..', 'kitchens.config.yaml'));
const built = buildApp(config, {
  nag: false,
  context: { kitchens: 'bench-kitchen', kitchenStaff: 'arn:aws:iam::222222222222:role/bench-analyst' },
});
let constructMs = 0;
if (extra) {
  for (const stack of [...Object.values(built.environments), ...Object.values(built.kitchens)]) {
    for (const c of stack.node.findAll()) {
      const started = performance.now();
      if (c instanceof ReleaseEnvironment) {
        new DataOpsMonitoring(c, 'BenchMonitoring', {
          names: c.names,
          alertTopic: c.alerts.topic,
          pipelines: c.pipelines,
          thresholds: c.config.monitoring,
          warehouseClusterIdentifier: c.warehouse.clusterIdentifier,
          sftpServerId: c.sftp.serverId,
          landingBucket: c.dataLake.buckets.landing,
        });
      } else if (c instanceof Kitchen) {
        new DataOpsMonitoring(c, 'BenchMonitoring', {
          names: c.names,
          alertTopic: c.alerts.topic,
          pipelines: c.pipelines,
        });
      } else {
        continue;
      }
      constructMs += performance.now() - started;
    }
  }
}
const assembly = built.app.synth();
const totalMs = performance.now() - t0;
const stacks = assembly.stacks.map((s) => {
  const resources = Object.values(s.template.Resources ?? {}) as { Type: string }[];
  return {
    stack: s.stackName,
    resources: resources.length,
    observability: resources.filter((r) => OBSERVABILITY.test(r.Type)).length,
  };
});
process.stdout.write(
  `${JSON.stringify({ extraMonitoring: extra, totalMs: Math.round(totalMs), extraConstructMs: Math.round(constructMs), stacks })}\n`,
);
