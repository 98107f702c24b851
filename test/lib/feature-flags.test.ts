/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
import * as fs from 'fs';
import * as path from 'path';
import { buildApp } from '../../lib/app';
import { FEATURE_FLAGS, FLAG_DEVIATIONS } from '../../lib/feature-flags';
import { exampleConfig } from '../support/app';
import { tempOutdir } from '../support/synth';

const ROOT = path.join(__dirname, '..', '..');
const METADATA_COLLECTION = '@aws-cdk/core:enableAdditionalMetadataCollection';

describe('the feature flags', () => {
  it('should be the recommended flags the aws-cdk CLI of devDependencies writes on cdk init, with the deviations', () => {
    // The file `cdk init` copies into the "context" of a new project's cdk.json.
    const file = path.join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'init-templates', '.recommended-feature-flags.json');
    const recommended = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(FEATURE_FLAGS).toStrictEqual({ ...recommended, ...FLAG_DEVIATIONS });
    // Each deviation departs from a flag cdk init sets.
    for (const [flag, value] of Object.entries(FLAG_DEVIATIONS)) {
      expect([flag, flag in recommended, recommended[flag] !== value]).toStrictEqual([flag, true, true]);
    }
  });

  it("should be the context of the project's cdk.json", () => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: unknown };
    expect(cdkJson.context).toStrictEqual(FEATURE_FLAGS);
  });

  it('should render ARNs with a literal partition when the region is known', () => {
    expect(FEATURE_FLAGS['@aws-cdk/core:enablePartitionLiterals']).toBe(true);
  });

  it('should change nothing but the AWS::CDK::Metadata resource by leaving construct metadata collection off', () => {
    const templates = (collect: boolean): Record<string, { Resources: Record<string, { Type: string }> }> => {
      const outdir = tempOutdir(`flags-${collect}`);
      // The CLI turns version reporting on; without it there is no metadata resource to compare.
      const context = { kitchen: 'profit-report', 'aws:cdk:version-reporting': true, [METADATA_COLLECTION]: collect };
      buildApp(exampleConfig(), { nag: false, outdir, context }).app.synth();
      const read = Object.fromEntries(
        fs
          .readdirSync(outdir)
          .filter((f) => f.endsWith('.template.json'))
          .map((f) => [f, JSON.parse(fs.readFileSync(path.join(outdir, f), 'utf8'))]),
      );
      fs.rmSync(outdir, { recursive: true, force: true });
      return read;
    };
    const on = templates(true);
    const off = templates(false);
    expect(Object.keys(off).sort()).toStrictEqual(Object.keys(on).sort());
    const metadataIds = (all: typeof on) =>
      Object.values(all).flatMap((t) =>
        Object.entries(t.Resources)
          .filter(([, r]) => r.Type === 'AWS::CDK::Metadata')
          .map(([id]) => id),
      );
    expect(metadataIds(on).length).toBe(Object.keys(on).length);
    for (const file of Object.keys(on)) {
      for (const id of metadataIds({ [file]: on[file] })) {
        delete on[file].Resources[id];
        delete off[file].Resources[id];
      }
      // A nested stack's (a pipeline's) TemplateURL names its template's content hash, which differs by that
      // template's metadata resource only: the nested templates themselves are compared file by file here.
      for (const side of [on, off]) {
        for (const resource of Object.values(side[file].Resources) as { Type: string; Properties?: any }[]) {
          if (resource.Type !== 'AWS::CloudFormation::Stack') continue;
          resource.Properties.TemplateURL = JSON.parse(
            JSON.stringify(resource.Properties.TemplateURL).replace(/[a-f0-9]{64}/g, '<nested template hash>'),
          );
        }
      }
    }
    expect(off).toStrictEqual(on);
  });
});
