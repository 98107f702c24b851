import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  cloneObjects,
  copyManifest,
  listSample,
  MAX_SINGLE_COPY_BYTES,
  ObjectCloneInterrupted,
  SOURCE_ETAG_METADATA,
  writeCopyManifest,
} from '../../../lib/clone/objects';
import { motoS3, RecordedCall } from './s3';

const SOURCE = 'clonetest-production-lake-111111111111';
const TARGET = 'clonetest-dev-lake-222222222222';
const OBJECTS = 60;
const READ_ONLY = new Set(['ListObjectsV2Command', 'HeadObjectCommand']);

async function listing(s3: S3Client, bucket: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out[o.Key!] = `${o.Size}:${o.ETag}`;
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function body(s3: S3Client, bucket: string, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body!.transformToString();
}

describe('object clone against moto', () => {
  const setup = motoS3();
  let sourceBefore: Record<string, string>;

  beforeAll(async () => {
    for (const bucket of [SOURCE, TARGET]) {
      await setup.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
      );
    }
    for (let i = 0; i < OBJECTS; i++) {
      await setup.send(
        new PutObjectCommand({
          Bucket: SOURCE,
          Key: `landing/orders/2024/part-${String(i).padStart(4, '0')}.csv`,
          Body: `order,${i}\n`,
          ContentType: 'text/csv',
        }),
      );
    }
    await setup.send(
      new PutObjectCommand({ Bucket: SOURCE, Key: 'landing/customers/all.csv', Body: 'not in the plan' }),
    );
    // 11 MiB: copied in three parts when the multipart threshold is lowered to 8 MiB.
    await setup.send(
      new PutObjectCommand({ Bucket: SOURCE, Key: 'raw/big/blob.bin', Body: Buffer.alloc(11 * 1024 * 1024, 7) }),
    );
    sourceBefore = await listing(setup, SOURCE);
  });

  describe('a full copy', () => {
    const calls: RecordedCall[] = [];
    const s3 = motoS3(calls);
    const options = {
      s3,
      sourceBucket: SOURCE,
      sourcePrefix: 'landing/orders/',
      targetBucket: TARGET,
      targetPrefix: 'kitchens/full/landing/orders/',
      concurrency: 8,
    };

    it('should copy every object server-side with the expected keys and contents', async () => {
      const result = await cloneObjects(options);
      expect(result).toMatchObject({ listed: OBJECTS, selected: OBJECTS, copied: OBJECTS, skipped: 0, retries: 0 });
      const copiedKeys = Object.keys(await listing(setup, TARGET, 'kitchens/full/')).sort();
      expect(copiedKeys).toStrictEqual(
        Array.from(
          { length: OBJECTS },
          (_, i) => `kitchens/full/landing/orders/2024/part-${String(i).padStart(4, '0')}.csv`,
        ),
      );
      expect(await body(setup, TARGET, 'kitchens/full/landing/orders/2024/part-0042.csv')).toBe('order,42\n');
      const head = await setup.send(
        new HeadObjectCommand({ Bucket: TARGET, Key: 'kitchens/full/landing/orders/2024/part-0007.csv' }),
      );
      expect(head.ContentType).toBe('text/csv');
      // Server-side only: no call carried object data, and the source was only read.
      const commands = new Set(calls.map((c) => c.command));
      expect([...commands].sort()).toStrictEqual(['CopyObjectCommand', 'ListObjectsV2Command']);
      expect(calls.filter((c) => c.bucket === SOURCE).every((c) => READ_ONLY.has(c.command))).toBe(true);
      expect(
        calls
          .filter((c) => c.command === 'CopyObjectCommand')
          .every((c) => c.copySource?.startsWith(`${SOURCE}/landing/orders/`)),
      ).toBe(true);
    });

    it('should copy nothing when re-run', async () => {
      calls.length = 0;
      const result = await cloneObjects(options);
      expect(result).toMatchObject({ selected: OBJECTS, copied: 0, skipped: OBJECTS });
      expect(calls.some((c) => c.command === 'CopyObjectCommand')).toBe(false);
    });
  });

  it('should copy a deterministic sample within a stated tolerance, and respect the limit', async () => {
    const s3 = motoS3();
    const sample = await cloneObjects({
      s3,
      sourceBucket: SOURCE,
      sourcePrefix: 'landing/orders',
      targetBucket: TARGET,
      targetPrefix: 'kitchens/sample/',
      fraction: 0.5,
    });
    // 60 objects at 50%: a binomial standard deviation of 3.9 objects; 15 is almost 4 deviations.
    expect(Math.abs(sample.selected - 30)).toBeLessThanOrEqual(15);
    const again = await cloneObjects({
      s3,
      sourceBucket: SOURCE,
      sourcePrefix: 'landing/orders',
      targetBucket: TARGET,
      targetPrefix: 'kitchens/sample/',
      fraction: 0.5,
    });
    expect(again).toMatchObject({ selected: sample.selected, copied: 0 });
    const limited = await cloneObjects({
      s3,
      sourceBucket: SOURCE,
      sourcePrefix: 'landing/orders',
      targetBucket: TARGET,
      targetPrefix: 'kitchens/limited/',
      fraction: 0.5,
      limit: 5,
    });
    expect(limited).toMatchObject({ selected: 5, copied: 5 });
    const limitedKeys = Object.keys(await listing(setup, TARGET, 'kitchens/limited/')).map((k) =>
      k.replace('kitchens/limited/', ''),
    );
    const sampleKeys = Object.keys(await listing(setup, TARGET, 'kitchens/sample/')).map((k) =>
      k.replace('kitchens/sample/', ''),
    );
    expect(limitedKeys.every((k) => sampleKeys.includes(k))).toBe(true);
  });

  it('should complete on a re-run after an interruption mid-way', async () => {
    const controller = new AbortController();
    const options = {
      s3: motoS3(),
      sourceBucket: SOURCE,
      sourcePrefix: 'landing/orders/',
      targetBucket: TARGET,
      targetPrefix: 'kitchens/resume/',
      concurrency: 4,
    };
    let seen = 0;
    const interrupted = cloneObjects({
      ...options,
      signal: controller.signal,
      onProgress: () => (++seen === 20 ? controller.abort() : undefined),
    });
    await expect(interrupted).rejects.toBeInstanceOf(ObjectCloneInterrupted);
    const partial = Object.keys(await listing(setup, TARGET, 'kitchens/resume/')).length;
    expect(partial).toBeGreaterThanOrEqual(20);
    expect(partial).toBeLessThan(OBJECTS);
    const resumed = await cloneObjects(options);
    expect(resumed).toMatchObject({ selected: OBJECTS, copied: OBJECTS - partial, skipped: partial });
    expect(Object.keys(await listing(setup, TARGET, 'kitchens/resume/'))).toHaveLength(OBJECTS);
  });

  it('should retry a throttled copy with backoff', async () => {
    const calls: RecordedCall[] = [];
    const s3 = motoS3(calls);
    let throttled = 0;
    // Fault injection outside the SDK's own retry loop, so only the cloner's retries can recover.
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CopyObjectCommand' && throttled < 3) {
          throttled += 1;
          throw Object.assign(new Error('Please reduce your request rate.'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectThrottle' },
    );
    const result = await cloneObjects({
      s3,
      sourceBucket: SOURCE,
      sourcePrefix: 'landing/orders/',
      targetBucket: TARGET,
      targetPrefix: 'kitchens/throttled/',
      concurrency: 1,
      baseDelayMs: 5,
    });
    expect(throttled).toBe(3);
    expect(result).toMatchObject({ copied: OBJECTS, retries: 3 });
    expect(Object.keys(await listing(setup, TARGET, 'kitchens/throttled/'))).toHaveLength(OBJECTS);
  });

  it('fails without retrying on an error that is not transient', async () => {
    const s3 = motoS3();
    await expect(
      cloneObjects({
        s3,
        sourceBucket: SOURCE,
        sourcePrefix: 'landing/orders/',
        targetBucket: 'no-such-bucket-kitchens',
        targetPrefix: 'x/',
        baseDelayMs: 5,
      }),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('should copy a large object in parts server-side and skip it on a re-run', async () => {
    const calls: RecordedCall[] = [];
    const s3 = motoS3(calls);
    const options = {
      s3,
      sourceBucket: SOURCE,
      sourcePrefix: 'raw/big/',
      targetBucket: TARGET,
      targetPrefix: 'kitchens/big/',
      multipartThreshold: 8 * 1024 * 1024,
      partSize: 5 * 1024 * 1024,
    };
    const result = await cloneObjects(options);
    expect(result).toMatchObject({ copied: 1, bytesCopied: 11 * 1024 * 1024 });
    expect(calls.filter((c) => c.command === 'UploadPartCopyCommand')).toHaveLength(3);
    const head = await setup.send(new HeadObjectCommand({ Bucket: TARGET, Key: 'kitchens/big/blob.bin' }));
    expect(head.ContentLength).toBe(11 * 1024 * 1024);
    expect(head.Metadata?.[SOURCE_ETAG_METADATA]).toBe(sourceBefore['raw/big/blob.bin'].split(':')[1]);
    const again = await cloneObjects(options);
    expect(again).toMatchObject({ copied: 0, skipped: 1 });
  });

  it('fails when the Kitchen prefix is the source prefix', async () => {
    await expect(
      cloneObjects({
        s3: motoS3(),
        sourceBucket: SOURCE,
        sourcePrefix: 'landing/',
        targetBucket: SOURCE,
        targetPrefix: 'landing',
      }),
    ).rejects.toThrow(`the Kitchen prefix must differ from the source prefix, got: s3://${SOURCE}/landing for both`);
  });

  it('should write the manifest a Distributed Map clone reads, leaving out objects over the CopyObject limit', async () => {
    const s3 = motoS3();
    const { selected } = await listSample({ s3, sourceBucket: SOURCE, sourcePrefix: 'landing/orders/', limit: 3 });
    const huge = { key: 'landing/orders/huge.parquet', size: MAX_SINGLE_COPY_BYTES, etag: '"x"' };
    const { items, tooLarge } = copyManifest([...selected, huge], 'landing/orders', 'kitchens/sfn/landing/orders/');
    expect(tooLarge).toStrictEqual([huge]);
    expect(items).toStrictEqual(
      selected.map((o) => ({
        source: o.key,
        target: o.key.replace('landing/orders/', 'kitchens/sfn/landing/orders/'),
      })),
    );
    await writeCopyManifest(s3, TARGET, 'clone-manifests/sfn.json', items);
    expect(JSON.parse(await body(setup, TARGET, 'clone-manifests/sfn.json'))).toStrictEqual(items);
  });

  it('should leave the source bucket unchanged', async () => {
    expect(await listing(setup, SOURCE)).toStrictEqual(sourceBefore);
  });
});
