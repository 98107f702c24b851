/**
 * Template sizes of environments and Kitchens with many or large pipelines: the numbers docs/pipelines.md quotes for
 * CloudFormation's limits (1,000,000 bytes and 500 resources per template). Run: npx ts-node --swc
 * bench/template-sizes.ts
 *
 * Each case synthesizes the bundled `dev` environment and a Kitchen in one app (nag and CDK validation off), with
 * generated pipelines beside `orders` (test/support/scale.ts, the same shapes the scale test proves within the
 * limits), and prints: the two parents that hold pipelines (`acme-dev`, `acme-dev-kitchen-scale`), the largest parent template and the largest nested (pipeline) template, bytes on disk and
 * resources; the largest stored definition file; the largest IAM policy document of any template (characters as
 * synthesized, and how many references it still holds that CloudFormation resolves to one ARN or name each).
 */
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../lib/app';
import { loadConfig } from '../lib/config/loader';
import type { PipelineBuilder } from '../lib/pipeline/builder';
import { measureTemplates, scalePipeline, type Measured } from '../test/support/scale';

const CONFIG = path.join(__dirname, '..', 'kitchens.config.yaml');

const CASES: { name: string; pipelines: () => PipelineBuilder[] }[] = [
  {
    name: '500 + 300 + 200 steps (1,000)',
    pipelines: () => [scalePipeline('big', 500), scalePipeline('mid', 300), scalePipeline('small', 200)],
  },
  { name: 'one pipeline of 1,000 steps', pipelines: () => [scalePipeline('huge', 1000)] },
  { name: '40 one-step pipelines', pipelines: () => Array.from({ length: 40 }, (_, i) => scalePipeline(`p${i}`, 1)) },
  { name: '120 one-step pipelines', pipelines: () => Array.from({ length: 120 }, (_, i) => scalePipeline(`p${i}`, 1)) },
];

const n = (v: number) => v.toLocaleString('en-US');
const largest = (list: readonly Measured[]) => list.reduce((a, b) => (b.bytes > a.bytes ? b : a));
const shown = (t: Measured) =>
  `${t.file.replace(/\.template\.json$/, '')}: ${n(t.bytes)} bytes, ${t.resources} resources`;

function largestPolicy(outdir: string, templates: readonly Measured[]): { chars: number; references: number } {
  let best = { chars: 0, references: 0 };
  for (const t of templates) {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, t.file), 'utf8')) as {
      Resources?: Record<string, { Type: string; Properties?: { PolicyDocument?: unknown } }>;
    };
    for (const r of Object.values(template.Resources ?? {})) {
      if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const text = JSON.stringify(r.Properties?.PolicyDocument ?? {});
      if (text.length > best.chars) {
        best = { chars: text.length, references: (text.match(/"(Ref|Fn::GetAtt|Fn::ImportValue)"/g) ?? []).length };
      }
    }
  }
  return best;
}

for (const c of CASES) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-bench-sizes-'));
  try {
    buildApp(loadConfig(CONFIG), {
      nag: false,
      environments: ['dev'],
      outdir,
      context: { kitchen: 'scale' },
      pipelines: c.pipelines(),
    }).app.synth();
    const templates = measureTemplates(outdir);
    const parents = templates.filter((t) => !t.file.includes('.nested.'));
    const nested = templates.filter((t) => t.file.includes('.nested.'));
    const definitions = fs
      .readdirSync(outdir)
      .filter((f) => /^asset\.[a-f0-9]{64}\.json$/.test(f))
      .map((f) => fs.statSync(path.join(outdir, f)).size);
    const policy = largestPolicy(outdir, templates);
    const over = templates.filter((t) => t.bytes > 1_000_000 || t.resources > 500).length;
    console.log(`${c.name}: ${templates.length} templates (${nested.length} nested), ${over} over a limit`);
    const pipelineParents = parents.filter((t) => /^acme-dev(-kitchen-scale)?\.template\.json$/.test(t.file));
    for (const t of pipelineParents) console.log(`  parent ${shown(t)}`);
    console.log(`  largest parent: ${shown(largest(parents))}`);
    console.log(`  largest nested: ${shown(largest(nested))}`);
    console.log(`  largest stored definition: ${n(Math.max(0, ...definitions))} bytes`);
    console.log(`  largest IAM policy: ${n(policy.chars)} characters, ${policy.references} references`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
