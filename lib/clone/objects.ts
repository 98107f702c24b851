/**
 * Object clone: a deterministic sample of a data lake prefix copied server-side (CopyObject, or UploadPartCopy
 * multipart above 5 GiB) into the Kitchen's prefix. Object data never passes through the client. Bounded
 * concurrency, retries with backoff on throttling and 5xx, idempotent (an object already copied with the same size
 * and ETag is skipped) and resumable (a re-run skips what is done and continues unfinished multipart copies).
 */
import { createHash } from 'crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { copySource } from '../copy-source';

/** Largest object a single CopyObject can copy. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
/** Metadata key recording the source ETag on multipart copies (whose own ETag differs from the source's). */
export const SOURCE_ETAG_METADATA = 'kitchens-source-etag';

export interface ObjectCloneOptions {
  readonly s3: S3Client;
  readonly sourceBucket: string;
  readonly sourcePrefix: string;
  readonly targetBucket: string;
  readonly targetPrefix: string;
  /** Share of objects, chosen by a hash of the key relative to the prefix. @default 1 */
  readonly fraction?: number;
  /** At most this many objects (the first by hash). @default - no limit */
  readonly limit?: number;
  /** Copies in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Objects at least this large are copied in parts. @default 5 GiB (the CopyObject limit) */
  readonly multipartThreshold?: number;
  /** Part size of multipart copies. @default 512 MiB */
  readonly partSize?: number;
  /** Attempts per call on throttling, 5xx and network errors. @default 8 */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles each attempt with full jitter, capped at 20 s. @default 100 ms */
  readonly baseDelayMs?: number;
  /** Stops starting new copies; in-flight copies finish. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ObjectProgress) => void;
}

export interface SourceObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

export interface ObjectProgress {
  readonly key: string;
  readonly action: 'copied' | 'skipped';
  readonly done: number;
  readonly total: number;
  readonly bytes: number;
}

export interface ObjectCloneResult {
  readonly sourceBucket: string;
  readonly targetBucket: string;
  readonly listed: number;
  readonly selected: number;
  readonly copied: number;
  readonly skipped: number;
  /** Bytes copied server-side (none of them passed through the client). */
  readonly bytesCopied: number;
  readonly retries: number;
  readonly seconds: number;
}

export class ObjectCloneInterrupted extends Error {
  constructor(
    public readonly done: number,
    public readonly total: number,
  ) {
    super(`object clone interrupted after ${done} of ${total} objects; run it again to resume`);
    this.name = 'ObjectCloneInterrupted';
  }
}

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return (
    RETRYABLE_NAMES.has(e?.name ?? '') ||
    RETRYABLE_CODES.has(e?.code ?? '') ||
    status === 429 ||
    status >= 500 ||
    e?.$retryable !== undefined
  );
}

/** Runs `call` until it succeeds or fails with a non-retryable error; counts retries. */
export async function withRetries<T>(
  call: () => Promise<T>,
  options: {
    readonly maxAttempts?: number;
    readonly baseDelayMs?: number;
    readonly onRetry?: () => void;
    /** @default isRetryable (throttling, 5xx, network errors) */
    readonly retryable?: (error: unknown) => boolean;
  } = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (attempt >= maxAttempts || !(options.retryable ?? isRetryable)(e)) throw e;
      options.onRetry?.();
      const delay = Math.random() * Math.min(20000, base * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Position of a key in the deterministic sample order: [0, 1). */
export function keyRank(relativeKey: string): number {
  return createHash('md5').update(relativeKey).digest().readUInt32BE(0) / 2 ** 32;
}

async function listAll(
  s3: S3Client,
  bucket: string,
  prefix: string,
  retry: Parameters<typeof withRetries>[1],
): Promise<SourceObject[]> {
  const all: SourceObject[] = [];
  let token: string | undefined;
  do {
    const page = await withRetries(
      () => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
      retry,
    );
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined && !o.Key.endsWith('/')) {
        all.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '' });
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return all;
}

/** Lists the source prefix and chooses the sample (same objects on every run). */
export async function listSample(
  options: Pick<
    ObjectCloneOptions,
    's3' | 'sourceBucket' | 'sourcePrefix' | 'fraction' | 'limit' | 'maxAttempts' | 'baseDelayMs'
  >,
): Promise<{ listed: number; selected: SourceObject[] }> {
  const prefix = withSlash(options.sourcePrefix);
  const all = await listAll(options.s3, options.sourceBucket, prefix, options);
  const fraction = options.fraction ?? 1;
  const ranked = all
    .map((o) => ({ o, rank: keyRank(o.key.slice(prefix.length)) }))
    .filter((x) => x.rank < fraction)
    .sort((a, b) => a.rank - b.rank || (a.o.key < b.o.key ? -1 : 1));
  const selected = (options.limit !== undefined ? ranked.slice(0, options.limit) : ranked).map((x) => x.o);
  return { listed: all.length, selected };
}

async function headTarget(
  s3: S3Client,
  bucket: string,
  key: string,
  retry: Parameters<typeof withRetries>[1],
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await withRetries(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), retry);
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (
      status === 404 ||
      (e as { name?: string }).name === 'NotFound' ||
      (e as { name?: string }).name === 'NoSuchKey'
    ) {
      return undefined;
    }
    throw e;
  }
}

/** Whether the target already holds this exact source object (same size, and same ETag or recorded source ETag). */
export function alreadyCopied(source: SourceObject, target: HeadObjectCommandOutput | undefined): boolean {
  if (target === undefined || target.ContentLength !== source.size) return false;
  return target.ETag === source.etag || target.Metadata?.[SOURCE_ETAG_METADATA] === source.etag;
}

async function multipartCopy(
  options: ObjectCloneOptions,
  source: SourceObject,
  targetKey: string,
  retry: Parameters<typeof withRetries>[1],
): Promise<void> {
  const { s3, targetBucket } = options;
  const partSize = options.partSize ?? 512 * 1024 ** 2;
  const partCount = Math.ceil(source.size / partSize);
  // Resume an unfinished copy of this key, if one was started with the same source ETag.
  const uploads = await withRetries(
    () => s3.send(new ListMultipartUploadsCommand({ Bucket: targetBucket, Prefix: targetKey })),
    retry,
  );
  let uploadId: string | undefined;
  const done = new Map<number, string>();
  for (const u of uploads.Uploads ?? []) {
    if (u.Key !== targetKey || u.UploadId === undefined) continue;
    const parts = await withRetries(
      () => s3.send(new ListPartsCommand({ Bucket: targetBucket, Key: targetKey, UploadId: u.UploadId })),
      retry,
    );
    const sizesMatch = (parts.Parts ?? []).every(
      (p) => p.Size === Math.min(partSize, source.size - ((p.PartNumber ?? 1) - 1) * partSize),
    );
    if (uploadId === undefined && sizesMatch) {
      uploadId = u.UploadId;
      for (const p of parts.Parts ?? []) done.set(p.PartNumber!, p.ETag!);
    } else {
      await withRetries(
        () => s3.send(new AbortMultipartUploadCommand({ Bucket: targetBucket, Key: targetKey, UploadId: u.UploadId })),
        retry,
      );
    }
  }
  if (uploadId === undefined) {
    const head = await withRetries(
      () => s3.send(new HeadObjectCommand({ Bucket: options.sourceBucket, Key: source.key })),
      retry,
    );
    const created = await withRetries(
      () =>
        s3.send(
          new CreateMultipartUploadCommand({
            Bucket: targetBucket,
            Key: targetKey,
            ContentType: head.ContentType,
            Metadata: { ...(head.Metadata ?? {}), [SOURCE_ETAG_METADATA]: source.etag },
          }),
        ),
      retry,
    );
    uploadId = created.UploadId!;
  }
  for (let part = 1; part <= partCount; part++) {
    if (done.has(part)) continue;
    const start = (part - 1) * partSize;
    const end = Math.min(source.size, start + partSize) - 1;
    const copied = await withRetries(
      () =>
        s3.send(
          new UploadPartCopyCommand({
            Bucket: targetBucket,
            Key: targetKey,
            UploadId: uploadId,
            PartNumber: part,
            CopySource: copySource(options.sourceBucket, source.key),
            CopySourceRange: `bytes=${start}-${end}`,
            CopySourceIfMatch: source.etag,
          }),
        ),
      retry,
    );
    done.set(part, copied.CopyPartResult!.ETag!);
  }
  await withRetries(
    () =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: targetBucket,
          Key: targetKey,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [...done.entries()].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag })),
          },
        }),
      ),
    retry,
  );
}

/** Copies the sampled objects; throws ObjectCloneInterrupted when the signal aborts it. */
export async function cloneObjects(options: ObjectCloneOptions): Promise<ObjectCloneResult> {
  const started = Date.now();
  if (
    options.sourceBucket === options.targetBucket &&
    withSlash(options.sourcePrefix) === withSlash(options.targetPrefix)
  ) {
    throw new Error(
      `the Kitchen prefix must differ from the source prefix, got: s3://${options.targetBucket}/${options.targetPrefix} for both`,
    );
  }
  let retries = 0;
  const retry = { maxAttempts: options.maxAttempts, baseDelayMs: options.baseDelayMs, onRetry: () => (retries += 1) };
  const { listed, selected } = await listSample({ ...options, ...retry });
  const sourcePrefix = withSlash(options.sourcePrefix);
  const targetPrefix = withSlash(options.targetPrefix);
  const threshold = options.multipartThreshold ?? MAX_SINGLE_COPY_BYTES;
  // One listing of the Kitchen's prefix tells what is already there; a HEAD is needed only for multipart copies,
  // whose ETag differs from the source's and which record the source ETag in their metadata.
  const present = new Map(
    (await listAll(options.s3, options.targetBucket, targetPrefix, retry)).map((o) => [o.key, o]),
  );
  let next = 0;
  let done = 0;
  let copied = 0;
  let skipped = 0;
  let bytesCopied = 0;
  const copyOne = async (source: SourceObject) => {
    const targetKey = targetPrefix + source.key.slice(sourcePrefix.length);
    const listed = present.get(targetKey);
    let copiedBefore = listed !== undefined && listed.size === source.size && listed.etag === source.etag;
    if (!copiedBefore && listed !== undefined && listed.size === source.size && source.size >= threshold) {
      copiedBefore = alreadyCopied(source, await headTarget(options.s3, options.targetBucket, targetKey, retry));
    }
    let action: 'copied' | 'skipped' = 'skipped';
    if (!copiedBefore) {
      if (source.size >= threshold) {
        await multipartCopy(options, source, targetKey, retry);
      } else {
        await withRetries(
          () =>
            options.s3.send(
              new CopyObjectCommand({
                Bucket: options.targetBucket,
                Key: targetKey,
                CopySource: copySource(options.sourceBucket, source.key),
                CopySourceIfMatch: source.etag,
                MetadataDirective: 'COPY',
              }),
            ),
          retry,
        );
      }
      action = 'copied';
      copied += 1;
      bytesCopied += source.size;
    } else {
      skipped += 1;
    }
    done += 1;
    options.onProgress?.({ key: source.key, action, done, total: selected.length, bytes: source.size });
  };
  let failure: { readonly error: unknown } | undefined;
  const worker = async () => {
    while (next < selected.length && options.signal?.aborted !== true && failure === undefined) {
      const source = selected[next++];
      try {
        await copyOne(source);
      } catch (error) {
        failure = failure ?? { error };
      }
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 16, selected.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== undefined) {
    throw failure.error;
  }
  if (options.signal?.aborted === true && done < selected.length) {
    throw new ObjectCloneInterrupted(done, selected.length);
  }
  return {
    sourceBucket: options.sourceBucket,
    targetBucket: options.targetBucket,
    listed,
    selected: selected.length,
    copied,
    skipped,
    bytesCopied,
    retries,
    seconds: (Date.now() - started) / 1000,
  };
}

/** One item of the manifest the ObjectClone state machine (constructs/clone/object-clone.ts) iterates over. */
export interface CopyManifestItem {
  readonly source: string;
  readonly target: string;
}

/**
 * The manifest for a Distributed Map clone: the sampled keys and where each goes. Objects over the CopyObject limit
 * are left out (returned as `tooLarge`) for cloneObjects to copy in parts.
 */
export function copyManifest(
  selected: readonly SourceObject[],
  sourcePrefix: string,
  targetPrefix: string,
): { readonly items: CopyManifestItem[]; readonly tooLarge: SourceObject[] } {
  const from = withSlash(sourcePrefix);
  const to = withSlash(targetPrefix);
  const items: CopyManifestItem[] = [];
  const tooLarge: SourceObject[] = [];
  for (const o of selected) {
    if (o.size >= MAX_SINGLE_COPY_BYTES) tooLarge.push(o);
    else items.push({ source: o.key, target: to + o.key.slice(from.length) });
  }
  return { items, tooLarge };
}

/** Writes a manifest as the JSON array the state machine's S3JsonItemReader reads (keys only, no object data). */
export async function writeCopyManifest(
  s3: S3Client,
  bucket: string,
  key: string,
  items: readonly CopyManifestItem[],
): Promise<void> {
  await withRetries(() =>
    s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(items), ContentType: 'application/json' }),
    ),
  );
}
