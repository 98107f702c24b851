/** An S3 client for the test moto server that records every call it makes. */
import { S3Client } from '@aws-sdk/client-s3';

export interface RecordedCall {
  readonly command: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly copySource?: string;
}

export function motoS3(calls: RecordedCall[] = []): S3Client {
  const s3 = new S3Client({
    endpoint: process.env.KITCHENS_TEST_MOTO_ENDPOINT,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; CopySource?: string };
      calls.push({ command: context.commandName!, bucket: input.Bucket, key: input.Key, copySource: input.CopySource });
      return next(args);
    },
    { step: 'initialize', name: 'recordCalls' },
  );
  return s3;
}
