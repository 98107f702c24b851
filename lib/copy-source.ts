/**
 * The `CopySource` of an S3 CopyObject or UploadPartCopy: `bucket/key` with each segment of the key URL-encoded, as
 * S3 requires (it decodes the value; an unencoded `+`, `%` or non-ASCII character names another key or breaks the
 * request signature). Used by the CLI's copies and, as a JSONata expression, by the state machines that copy.
 * Pure: no aws-cdk-lib import.
 */

/** The CopySource of `key` in `bucket`. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The same value as a Step Functions JSONata expression (`{% ... %}`), for the key that `keyExpression` (JSONata,
 * such as `$states.input.key`) evaluates to. JSONata's `$encodeUrlComponent` encodes as `encodeURIComponent` does.
 * `bucket` may be a CDK token (it renders into the definition string).
 */
export function copySourceExpression(bucket: string, keyExpression: string): string {
  return (
    `{% '${bucket}/' & $join($map($split(${keyExpression}, '/'), function($segment) ` +
    `{ $encodeUrlComponent($segment) }), '/') %}`
  );
}
