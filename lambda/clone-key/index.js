'use strict';
/**
 * Draws the clone's hash key outside the warehouse and Step Functions, for the setup state machine of the production
 * clone job (run on Lambda, Node.js, AWS SDK v3 from the runtime).
 *
 * Redshift has no cryptographic random source in SQL, and a Data API parameter stays in the statement's record, so
 * the key is drawn here, with Secrets Manager's random generator (GetRandomPassword: two values of 64 letters and
 * digits, about 380 bits each), and written as one CSV line `inner,outer` to the key-drop bucket of the production
 * account under its own KMS key (environment KEY_BUCKET, KEY_ID). The setup loads it into the warehouse with COPY
 * and deletes the object; the bucket expires what is left after a day.
 *
 * The event names the object key ({"key": "hash-key/NAME.csv"}); the result names only where the object is
 * ({"bucket", "key"}). Neither the event, the result nor a log line holds the key.
 *
 * `handlers(clients, sdk, env)` holds the logic and takes the SDK clients, so tests run it against a local Secrets
 * Manager and S3 (moto); `handler` wires the SDK of the Lambda runtime.
 */

const KEY_PATTERN = /^hash-key\/[A-Za-z0-9_-]{1,80}\.csv$/;
const KEY_LENGTH = 64;

function handlers(clients, sdk, env) {
  async function draw() {
    const { RandomPassword } = await clients.secrets.send(
      new sdk.GetRandomPasswordCommand({
        PasswordLength: KEY_LENGTH,
        ExcludePunctuation: true,
        IncludeSpace: false,
        RequireEachIncludedType: true,
      }),
    );
    if (typeof RandomPassword !== 'string' || !/^[A-Za-z0-9]{64}$/.test(RandomPassword)) {
      throw new Error('Secrets Manager returned no random value of 64 letters and digits');
    }
    return RandomPassword;
  }

  async function handler(event) {
    const key = event && event.key;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new Error(
        `event.key must be hash-key/NAME.csv (NAME: 1 to 80 letters, digits, "-" or "_"), got: ${JSON.stringify(key)}`,
      );
    }
    if (!env.KEY_BUCKET || !env.KEY_ID) {
      throw new Error('KEY_BUCKET and KEY_ID must be set in the environment of the key function');
    }
    const inner = await draw();
    const outer = await draw();
    await clients.s3.send(
      new sdk.PutObjectCommand({
        Bucket: env.KEY_BUCKET,
        Key: key,
        Body: `${inner},${outer}\n`,
        ContentType: 'text/csv',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: env.KEY_ID,
      }),
    );
    return { bucket: env.KEY_BUCKET, key };
  }

  return { handler };
}

let runtime;
exports.handler = (event) => {
  if (runtime === undefined) {
    const secrets = require('@aws-sdk/client-secrets-manager');
    const s3 = require('@aws-sdk/client-s3');
    runtime = handlers(
      { secrets: new secrets.SecretsManagerClient({}), s3: new s3.S3Client({}) },
      { GetRandomPasswordCommand: secrets.GetRandomPasswordCommand, PutObjectCommand: s3.PutObjectCommand },
      process.env,
    );
  }
  return runtime.handler(event);
};
exports.handlers = handlers;
