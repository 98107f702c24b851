/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
/**
 * promote-report --base deployed reads pipelines back from the account: nested stacks through ListStackResources and
 * GetTemplate, stored definitions through S3 (lib/templates.ts readDeployedTemplate, lib/align/base.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cloudFormationReader, deployedSide } from '../../../lib/align/base';
import { buildApp } from '../../../lib/app';
import { readDeployedTemplate, stackTemplate, type DeployedStacks } from '../../../lib/templates';
import { exampleConfig } from '../../support/app';
import { tempOutdir } from '../../support/synth';
import { motoCloudFormation, motoEndpoint } from '../kitchen/moto';

const PLACE = { account: '111111111111', region: 'eu-west-1' };

describe('a deployed environment whose pipeline is a nested stack with a stored definition', () => {
  // The synthesized assembly stands for the account: the stacks' templates as CloudFormation keeps them, the
  // assets as the toolkit uploaded them to the bootstrap bucket.
  const outdir = tempOutdir('deployed');
  const built = buildApp(exampleConfig(), { nag: false, environments: ['production'], outdir });
  const assembly = built.app.synth();
  const artifact = assembly.getStackArtifact(built.environments.production.artifactId);
  const file = (name: string) => fs.readFileSync(path.join(outdir, name), 'utf8');
  const manifest = JSON.parse(file(`${artifact.stackName}.assets.json`)) as {
    files: Record<
      string,
      { source: { path: string }; destinations: Record<string, { bucketName: string; objectKey: string }> }
    >;
  };
  const objects = new Map<string, string>();
  for (const asset of Object.values(manifest.files)) {
    if (fs.statSync(path.join(outdir, asset.source.path)).isDirectory()) continue; // code bundles: not read here
    for (const d of Object.values(asset.destinations)) {
      const bucket = d.bucketName.replace('${AWS::AccountId}', PLACE.account).replace('${AWS::Region}', PLACE.region);
      objects.set(`${bucket}/${d.objectKey}`, file(asset.source.path));
    }
  }
  const nestedId = (logicalId: string) => `arn:aws:cloudformation:eu-west-1:111111111111:stack/${logicalId}/1`;
  const reads: string[] = [];
  const account: DeployedStacks = {
    async getTemplate(stack) {
      reads.push(stack);
      if (stack === artifact.stackName) return JSON.stringify(artifact.template);
      const logicalId = /stack\/([^/]+)\//.exec(stack)?.[1];
      const resource = (artifact.template as { Resources: Record<string, any> }).Resources[logicalId ?? ''];
      const hash = /[a-f0-9]{64}/.exec(JSON.stringify(resource?.Properties?.TemplateURL))?.[0];
      return hash === undefined ? undefined : objects.get([...objects.keys()].find((k) => k.includes(hash))!);
    },
    async nestedStacks(stack) {
      expect(stack).toBe(artifact.stackName);
      const resources = (artifact.template as { Resources: Record<string, { Type: string }> }).Resources;
      return Object.fromEntries(
        Object.entries(resources)
          .filter(([, r]) => r.Type === 'AWS::CloudFormation::Stack')
          .map(([id]) => [id, nestedId(id)]),
      );
    },
    async getObject(bucket, key) {
      return objects.get(`${bucket}/${key}`);
    },
  };

  it('should fold it exactly as the synthesized stack folds, definitions read from the bootstrap bucket', async () => {
    const deployed = await readDeployedTemplate(account, artifact.stackName, PLACE);
    expect(deployed).toStrictEqual(stackTemplate(artifact));
    expect(reads).toStrictEqual([artifact.stackName, nestedId(reads[1].split('/')[1])]);
    expect(JSON.stringify(deployed)).toContain('Load raw orders');
  });

  it('should give promote-report a base with no change against the same code', async () => {
    const side = await deployedSide(account, artifact.stackName, PLACE);
    expect(side.label).toBe('deployed `acme-production`');
    expect(side.template).toStrictEqual(stackTemplate(artifact));
  });

  it('should leave the pipeline as deployed when the account holds neither nested stacks nor objects', async () => {
    const bare = await readDeployedTemplate({ getTemplate: account.getTemplate }, artifact.stackName, PLACE);
    expect(bare).toStrictEqual(artifact.template);
  });
});

describe('the SDK reader against moto: a nested stack and an S3 object', () => {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  const cfn = motoCloudFormation('eu-west-1');
  const s3 = new S3Client({ region: 'eu-west-1', endpoint: motoEndpoint(), forcePathStyle: true });
  const hash = 'c'.repeat(64);
  beforeAll(async () => {
    process.env.AWS_ENDPOINT_URL = motoEndpoint();
    await s3.send(
      new CreateBucketCommand({
        Bucket: 'deployed-assets',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    const nested = {
      Parameters: { Name: { Type: 'String' } },
      Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { Ref: 'Name' } } } },
    };
    await s3.send(
      new PutObjectCommand({ Bucket: 'deployed-assets', Key: `${hash}.json`, Body: JSON.stringify(nested) }),
    );
  });
  afterAll(async () => {
    await cfn.send(new DeleteStackCommand({ StackName: 'deployed-parent' }));
    cfn.destroy();
    s3.destroy();
    if (endpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = endpoint;
  });

  it('should list the nested stack, read its template and fold it in', async () => {
    const parent = {
      Resources: {
        Pipeline: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: {
            TemplateURL: `https://s3.eu-west-1.amazonaws.com/deployed-assets/${hash}.json`,
            Parameters: { Name: 'orders-queue' },
          },
        },
      },
    };
    await cfn.send(new CreateStackCommand({ StackName: 'deployed-parent', TemplateBody: JSON.stringify(parent) }));
    const reader = cloudFormationReader('eu-west-1');
    expect(Object.keys(await reader.nestedStacks!('deployed-parent'))).toStrictEqual(['Pipeline']);
    expect(await reader.getObject!('deployed-assets', `${hash}.json`)).toContain('AWS::SQS::Queue');
    expect(await reader.getObject!('deployed-assets', 'absent.json')).toBeUndefined();
    expect(await readDeployedTemplate(reader, 'deployed-parent', PLACE)).toStrictEqual({
      Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders-queue' } } },
    });
  });
});
