import * as fs from 'fs';
import * as path from 'path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../lib/app';
import { exampleConfig } from './support/app';
import { cfnLint, synthToDir, tempOutdir } from './support/synth';

describe('the bundled app, synthesized with cdk-nag AwsSolutions checks', () => {
  const outdir = tempOutdir('app');
  const { dir, violations } = synthToDir(buildApp(exampleConfig(), { nag: true, outdir }).app);
  const templates = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => path.join(dir, f));

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('should have zero unsuppressed cdk-nag findings', () => {
    expect(violations).toStrictEqual([]);
  });

  it('should synthesize production and development', () => {
    expect(templates.map((t) => path.basename(t)).sort()).toEqual(
      expect.arrayContaining(['acme-dev.template.json', 'acme-production.template.json']),
    );
  });

  it('should pass cfn-lint with zero errors and warnings', () => {
    const result = cfnLint(templates);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('the bundled app and a Kitchen with the partition rendered as a reference (arn:<AWS::Partition>:)', () => {
  // The recommended flags render `arn:aws:` in stacks with a known region; the acknowledgements must hold both ways.
  const outdir = tempOutdir('app-partition');
  const context = { kitchen: 'profit-report', '@aws-cdk/core:enablePartitionLiterals': false };
  const built = buildApp(exampleConfig(), { nag: true, outdir, context });
  const { dir, violations } = synthToDir(built.app);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('should have zero unsuppressed cdk-nag findings', () => {
    expect(violations).toStrictEqual([]);
  });

  it('should render the partition of acknowledged ARNs as a reference', () => {
    const kitchen = fs.readFileSync(path.join(dir, 'acme-dev-kitchen-profit-report.template.json'), 'utf8');
    expect(kitchen).toContain('"Ref": "AWS::Partition"');
    // Only the image repositories keep the partition written in their image URIs.
    expect(kitchen.match(/arn:aws:[a-z]+/g)).toStrictEqual(['arn:aws:ecr', 'arn:aws:ecr']);
  });
});

describe('the cdk-nag gate itself', () => {
  it('fails the synth on an unsafe resource and names it', () => {
    const outdir = tempOutdir('nag');
    const built = buildApp(exampleConfig(), { nag: true, outdir, environments: ['dev'] });
    new s3.Bucket(built.environments.dev, 'Unsafe');
    const { violations } = synthToDir(built.app);
    expect(violations).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1 at acme-dev/Unsafe/Resource',
        'AwsSolutions-S10 at acme-dev/Unsafe/Resource',
      ]),
    );
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});

describe('cfn-lint as a gate', () => {
  it('fails on a template with an error', () => {
    const dir = tempOutdir('lint');
    const file = path.join(dir, 'bad.template.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketNam: 'x' } } } }),
    );
    const result = cfnLint([file]);
    expect(result.code & 2).toBe(2);
    expect(result.output).toMatch(/E3002/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
