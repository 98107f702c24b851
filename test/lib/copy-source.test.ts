/**
 * CopySource at the boundary: the value a compiled copy step's JSONata expression evaluates to (taken from the
 * compiled definition, evaluated by the jsonata library) and the CLI's value both copy objects with awkward names
 * through S3's CopyObject on the test moto server; the unencoded `bucket/key` the copy step used before does not.
 */
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { copySource } from '../../lib/copy-source';
import { evaluateTemplate } from '../../lib/local/jsonata';
import { PipelineBuilder } from '../../lib/pipeline/builder';
import { compileTestPipeline, TEST_APPS } from '../support/pipeline-target';
import { motoS3 } from './clone/s3';

const KEYS = [
  'landed/plain.csv',
  'landed/a b.csv',
  'landed/orders+returns.csv',
  'landed/100%.csv',
  'landed/x?y#z.csv',
  'landed/Müller/ä.csv',
  'landed/a//double.csv',
  'landed/rate%41.csv',
  'landed/rateA.csv',
];

/** The copy state of a compiled copy step: its JSONata Arguments and the bucket it reads. */
function compiledCopyState(): { arguments: Record<string, unknown>; sourceBucket: string; targetBucket: string } {
  const definition = new PipelineBuilder('copysource')
    .copy('land', { from: { bucket: 'landing', prefix: 'landed/' }, to: { bucket: 'raw' } })
    .build({ apps: [...TEST_APPS] });
  const { asl } = compileTestPipeline(definition);
  const map = asl.States.Land;
  const state = map.ItemProcessor.States['Copy object: Land'];
  expect(state.QueryLanguage).toBe('JSONata');
  return {
    arguments: state.Arguments,
    sourceBucket: asl.States['List: Land'].Parameters.Bucket,
    targetBucket: state.Arguments.Bucket,
  };
}

describe('CopySource of the copy steps and the CLI', () => {
  const s3 = motoS3();
  const copy = compiledCopyState();
  const body = (key: string) => `object at ${key}`;

  beforeAll(async () => {
    for (const bucket of [copy.sourceBucket, copy.targetBucket, 'cli-target']) {
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
      );
    }
    for (const key of KEYS)
      await s3.send(new PutObjectCommand({ Bucket: copy.sourceBucket, Key: key, Body: body(key) }));
  });

  const read = async (bucket: string, key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

  it('should copy every key with the arguments the compiled copy state evaluates to', async () => {
    for (const key of KEYS) {
      const args = (await evaluateTemplate(copy.arguments, { input: { key } })) as Record<string, string>;
      expect(args.Key).toBe(key);
      expect(args.CopySource).toBe(copySource(copy.sourceBucket, key));
      await s3.send(new CopyObjectCommand({ Bucket: args.Bucket, Key: args.Key, CopySource: args.CopySource }));
      expect([key, await read(copy.targetBucket, key)]).toStrictEqual([key, body(key)]);
    }
  });

  it("should copy every key with the CLI's CopySource", async () => {
    for (const key of KEYS) {
      await s3.send(
        new CopyObjectCommand({ Bucket: 'cli-target', Key: key, CopySource: copySource(copy.sourceBucket, key) }),
      );
      expect([key, await read('cli-target', key)]).toStrictEqual([key, body(key)]);
    }
  });

  it('fails on the unencoded bucket/key: ? and # cut the key short, and %41 copies the object named A', async () => {
    const failed: string[] = [];
    for (const key of KEYS) {
      try {
        await s3.send(
          new CopyObjectCommand({
            Bucket: 'cli-target',
            Key: `unencoded/${key}`,
            CopySource: `${copy.sourceBucket}/${key}`,
          }),
        );
      } catch {
        failed.push(key);
      }
    }
    expect(failed).toStrictEqual(['landed/x?y#z.csv']);
    expect(await read('cli-target', 'unencoded/landed/rate%41.csv')).toBe(body('landed/rateA.csv'));
  });
});
