/**
 * What `kitchen create NAME --dry-run` costs beside `npx cdk synth -c kitchen=NAME ...` of the same app (issue 21):
 * both run the app of cdk.json (the bundled app, compiled: dist/bin/app.js) with the same Kitchen context, cdk-nag on,
 * CDK's built-in validation off (the developer default), and build the same Kitchen stack. Paired whole-process runs,
 * median and spread (min-max), create/synth ratio per pair, wall and CPU.
 *   npx ts-node --swc bench/create-vs-synth.ts [pairs]      (default 5 pairs; needs the build: npm ci or npm run build)
 * Target: at most 1.1x.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compiled, paired, ratio, ROOT, seconds } from './measure';

const ENV: NodeJS.ProcessEnv = {
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  CDK_VALIDATION: undefined,
};
const KITCHEN = 'bench-create';
const pairs = Number(process.argv[2] ?? 5);

const kitchen = compiled('bin/kitchen.js');
const create = ['create', KITCHEN, '--dry-run', '--owner', 'bench', '--ttl', '3d'];
// The context create synthesizes with (its expiry included), given to cdk synth as -c KEY=VALUE.
const { context } = JSON.parse(
  execFileSync(process.execPath, [kitchen, '--json', ...create], {
    cwd: ROOT,
    env: { ...process.env, ...ENV },
  }).toString(),
) as { context: Record<string, string> };
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-bench-create-'));
try {
  const result = paired(
    { command: process.execPath, args: [kitchen, ...create], env: ENV },
    {
      command: 'npx',
      args: [
        'cdk',
        'synth',
        '--quiet',
        '--no-notices',
        '-o',
        out,
        ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ],
      env: ENV,
      before: () => fs.rmSync(out, { recursive: true, force: true }),
    },
    pairs,
  );
  console.log(
    `kitchen create ${KITCHEN} --dry-run vs npx cdk synth -c kitchen=${KITCHEN} (same context), ${pairs} pairs`,
  );
  console.log(`  create --dry-run  wall ${seconds(result.a)}  cpu ${seconds(result.cpuA)}`);
  console.log(`  cdk synth         wall ${seconds(result.b)}  cpu ${seconds(result.cpuB)}`);
  console.log(`  ratio             wall ${ratio(result.ratio)}  cpu ${ratio(result.cpuRatio)}  (target <= 1.1x)`);
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
