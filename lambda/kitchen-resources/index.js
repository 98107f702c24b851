'use strict';
/**
 * CloudFormation custom resources of a Kitchen stack, run on Lambda (Node.js, AWS SDK v3 from the runtime):
 *
 * Custom::KitchenSchema  creates (and on delete drops) the Kitchen's schema and database user on the development
 *                        warehouse through the Redshift Data API, statement by statement, waiting for each one.
 *                        Every statement is idempotent, so a failed deployment can be re-run.
 * Custom::KitchenPrefix  on delete, removes every object version under the Kitchen's prefix in the data lake
 *                        buckets, so the Kitchen leaves nothing behind.
 *
 * `run(event, deps)` holds the logic and takes its AWS calls as `deps`, so the tests execute it against a real
 * PostgreSQL; `handler` wires the SDK and answers CloudFormation.
 */
const crypto = require('crypto');
const https = require('https');

const PASSWORD_PLACEHOLDER = '{{password_md5}}';

function md5Password(password, user) {
  return (
    'md5' +
    crypto
      .createHash('md5')
      .update(password + user)
      .digest('hex')
  );
}

async function runSchema(requestType, props, deps, log) {
  const lifecycle = JSON.parse(props.Lifecycle);
  if (requestType === 'Delete') {
    for (const step of lifecycle.drop) {
      log(`drop: ${step.sql}`);
      await deps.execute(step.sql);
    }
    return;
  }
  const secret = JSON.parse(await deps.getSecret(props.KitchenSecretArn));
  if (!secret.password || secret.username !== props.User) {
    throw new Error(`Kitchen secret must hold {"username": "${props.User}", "password": ...}`);
  }
  const rows = await deps.query(lifecycle.userExistsSql);
  const exists = Number(rows[0] && rows[0].n) > 0;
  for (const step of lifecycle.create) {
    if (step.when === 'user-missing' && exists) continue;
    if (step.when === 'user-exists' && !exists) continue;
    const sql = step.sql.split(PASSWORD_PLACEHOLDER).join(md5Password(secret.password, props.User));
    log(`create: ${step.sql}`); // logged without the password hash
    await deps.execute(sql);
  }
}

async function runPrefix(requestType, props, deps, log) {
  if (requestType !== 'Delete') return;
  const buckets = JSON.parse(props.Buckets);
  for (const bucket of buckets) {
    const deleted = await deps.emptyPrefix(bucket, props.Prefix);
    log(`emptied s3://${bucket}/${props.Prefix}: ${deleted} object versions deleted`);
  }
}

/**
 * Runs one custom resource request; returns the physical resource id. A renamed schema gets a new id, so
 * CloudFormation deletes the old one afterwards with its old properties.
 */
async function run(event, deps, log = () => {}) {
  const props = event.ResourceProperties;
  const physicalId =
    event.ResourceType === 'Custom::KitchenSchema'
      ? `kitchen-schema:${props.Schema}`
      : `kitchen-prefix:${props.Prefix}`;
  if (event.ResourceType === 'Custom::KitchenSchema') {
    await runSchema(event.RequestType, props, deps, log);
  } else if (event.ResourceType === 'Custom::KitchenPrefix') {
    await runPrefix(event.RequestType, props, deps, log);
  } else {
    throw new Error(`Unknown resource type ${event.ResourceType}`);
  }
  return physicalId;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** AWS implementations of the dependencies, from the SDK bundled with the Lambda runtime. */
function awsDeps(props) {
  const rd = require('@aws-sdk/client-redshift-data');
  const sm = require('@aws-sdk/client-secrets-manager');
  const s3 = require('@aws-sdk/client-s3');
  const data = new rd.RedshiftDataClient({});
  const target = {
    ClusterIdentifier: props.ClusterIdentifier,
    Database: props.Database,
    SecretArn: props.AdminSecretArn,
  };
  async function statement(sql) {
    const { Id } = await data.send(new rd.ExecuteStatementCommand({ ...target, Sql: sql }));
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      await sleep(delay);
      const d = await data.send(new rd.DescribeStatementCommand({ Id }));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'FAILED' || d.Status === 'ABORTED') {
        throw new Error(`statement ${d.Status}: ${d.Error}`);
      }
    }
  }
  return {
    execute: async (sql) => {
      await statement(sql);
    },
    query: async (sql) => {
      const d = await statement(sql);
      if (!d.HasResultSet) return [];
      const r = await data.send(new rd.GetStatementResultCommand({ Id: d.Id }));
      const names = r.ColumnMetadata.map((c) => c.name);
      return r.Records.map((rec) => Object.fromEntries(rec.map((f, i) => [names[i], Object.values(f)[0]])));
    },
    getSecret: async (arn) => {
      const r = await new sm.SecretsManagerClient({}).send(new sm.GetSecretValueCommand({ SecretId: arn }));
      return r.SecretString;
    },
    emptyPrefix: async (bucket, prefix) => {
      const client = new s3.S3Client({});
      let deleted = 0;
      let KeyMarker;
      let VersionIdMarker;
      for (;;) {
        const page = await client.send(
          new s3.ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker }),
        );
        const objects = [...(page.Versions || []), ...(page.DeleteMarkers || [])].map((v) => ({
          Key: v.Key,
          VersionId: v.VersionId,
        }));
        for (let i = 0; i < objects.length; i += 1000) {
          await client.send(
            new s3.DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: objects.slice(i, i + 1000), Quiet: true },
            }),
          );
        }
        deleted += objects.length;
        if (!page.IsTruncated) return deleted;
        KeyMarker = page.NextKeyMarker;
        VersionIdMarker = page.NextVersionIdMarker;
      }
    },
  };
}

function respond(event, status, physicalId, reason) {
  const body = JSON.stringify({
    Status: status,
    Reason: reason ? String(reason).slice(0, 3000) : undefined,
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const url = new URL(event.ResponseURL);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        hostname: url.hostname,
        path: url.pathname + url.search,
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

exports.handler = async (event) => {
  const fallbackId = event.PhysicalResourceId || `${event.ResourceType}:${event.LogicalResourceId}`;
  try {
    const id = await run(event, awsDeps(event.ResourceProperties), (m) => console.log(m));
    await respond(event, 'SUCCESS', id);
  } catch (e) {
    console.error(e);
    await respond(event, 'FAILED', fallbackId, e && e.message);
  }
};
exports.run = run;
exports.md5Password = md5Password;
