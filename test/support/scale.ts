/**
 * Generated pipelines and template measurements for the any-size proof (test/constructs/pipeline/pipeline-scale.test.ts)
 * and the bench that prints the sizes the docs quote (bench/template-sizes.ts): one generator, so both measure the
 * same shapes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PipelineBuilder } from '../../lib/pipeline/builder';

/**
 * `steps` sequential steps with a test on each: SQL steps, every tenth a copy step (its own S3 grants and a Deny per
 * source bucket on the role), so the role's policies grow with the pipeline as well as its definition.
 */
export function scalePipeline(id: string, steps: number): PipelineBuilder {
  const builder = new PipelineBuilder(id);
  for (let i = 0; i < steps; i++) {
    const after = i === 0 ? [] : [`s${i - 1}`];
    const tests = [{ name: `check ${i}`, query: `SELECT COUNT(*) FROM orders WHERE id > ${i}`, rule: { min: 1 } }];
    if (i % 10 === 9) {
      builder.copy(`s${i}`, {
        from: { bucket: 'landing', prefix: `${id}/part-${i}/` },
        to: { bucket: 'raw' },
        after,
      });
    } else {
      builder.sql(`s${i}`, { sql: `INSERT INTO t${i % 7} SELECT ${i}, 'step ${i} of ${id}'`, after, tests });
    }
  }
  return builder;
}

/** One template file of a cloud assembly: its size on disk (what the toolkit uploads) and its resource count. */
export interface Measured {
  readonly file: string;
  readonly bytes: number;
  readonly resources: number;
}

/** Every template file (parents and `*.nested.template.json`) of a cloud assembly directory. */
export function measureTemplates(outdir: string): Measured[] {
  return fs
    .readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((file) => {
      const full = path.join(outdir, file);
      const template = JSON.parse(fs.readFileSync(full, 'utf8')) as { Resources?: object };
      return { file, bytes: fs.statSync(full).size, resources: Object.keys(template.Resources ?? {}).length };
    });
}
