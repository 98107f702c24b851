/**
 * Dashboard synth cost: synthesizes the bundled app (production, development and N Kitchens; cdk-nag off,
 * CDK_VALIDATION=false) with the dashboards and alarms on, or off, and prints per stack its resources and how many
 * of them are observability resources (dashboard, alarms, metric filters), the time spent constructing each
 * DataOpsMonitoring, and the process's wall time up to the end of synth.
 *   npx ts-node --swc bench/dashboards.ts [--monitoring on|off] [--kitchens N]   (runs the build: npm run build)
 * `--monitoring off` replaces DataOpsMonitoring by an empty construct before the app's modules load, so nothing of it
 * is constructed or synthesized. Run the two modes as paired whole-process runs to get the added milliseconds, and
 * two Kitchen counts to split them between environments and Kitchens.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the modules load after the patch below */
import * as path from 'path';
import { Construct } from 'constructs';
import { compiled } from './measure';

const started = performance.now();
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const monitoring = arg('--monitoring', 'on');
const kitchens = Number(arg('--kitchens', '1'));
if (!['on', 'off'].includes(monitoring) || !Number.isInteger(kitchens) || kitchens < 0 || kitchens > 20) {
  process.stderr.write('usage: bench/dashboards.ts [--monitoring on|off] [--kitchens 0-20]\n');
  process.exit(2);
}
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';

// Each DataOpsMonitoring's construction time, by the kind of stack it is in; or none at all with --monitoring off.
const constructMs: { environment: number[]; kitchen: number[] } = { environment: [], kitchen: [] };
const module_ = require(compiled('constructs/observability/dataops-monitoring.js')) as {
  DataOpsMonitoring: new (scope: Construct, id: string, props: { warehouseClusterIdentifier?: string }) => Construct;
};
const Original = module_.DataOpsMonitoring;
module_.DataOpsMonitoring =
  monitoring === 'off'
    ? class NoMonitoring extends Construct {}
    : class TimedMonitoring extends Original {
        constructor(scope: Construct, id: string, props: { warehouseClusterIdentifier?: string }) {
          const t0 = performance.now();
          super(scope, id, props);
          constructMs[props.warehouseClusterIdentifier ? 'environment' : 'kitchen'].push(performance.now() - t0);
        }
      };

const { buildApp } = require(compiled('lib/app.js')) as typeof import('../lib/app');
const { loadConfig } = require(compiled('lib/config/index.js')) as typeof import('../lib/config');

const OBSERVABILITY = /^AWS::(CloudWatch::(Dashboard|Alarm)|Logs::MetricFilter)$/;
const config = loadConfig(path.join(__dirname, '..', 'kitchens.config.yaml'));
const built = buildApp(config, {
  nag: false,
  context: {
    kitchens: Array.from({ length: kitchens }, (_, i) => `bench-kitchen-${i + 1}`).join(','),
    kitchenStaff: 'arn:aws:iam::222222222222:role/bench-analyst',
  },
});
const assembly = built.app.synth();
const totalMs = performance.now() - started;
const stacks = assembly.stacks.map((s) => {
  const resources = Object.values(s.template.Resources ?? {}) as { Type: string }[];
  return {
    stack: s.stackName,
    resources: resources.length,
    observability: resources.filter((r) => OBSERVABILITY.test(r.Type)).length,
  };
});
const round = (xs: number[]) => xs.map((x) => Math.round(x));
process.stdout.write(
  `${JSON.stringify({
    monitoring,
    kitchens,
    totalMs: Math.round(totalMs),
    monitoringConstructMs: { environment: round(constructMs.environment), kitchen: round(constructMs.kitchen) },
    stacks,
  })}\n`,
);
