'use strict';
/**
 * CloudFormation custom resources of cdk-kitchens, run on Lambda (Node.js, AWS SDK v3 from the runtime). One code
 * package, deployed as two functions with different rights:
 *
 * The Kitchen provider (one per environment that hosts Kitchens; runs as the warehouse provisioner, never as admin):
 *   Custom::KitchenSchema  creates (and on delete drops) a Kitchen's schema and database user. Its properties carry
 *                          only the Kitchen name and the ARN of the Kitchen's secret; the SQL is built in sql.js from
 *                          names derived from the Kitchen name and re-checked here. Delete first drops, as the
 *                          Kitchen user, everything that user owns anywhere, so DROP USER cannot fail on it.
 *   Custom::KitchenPrefix  on delete, removes every object version under the Kitchen's prefix in the environment's
 *                          buckets (named by the function's configuration, not by the request).
 * The warehouse users function (runs as the warehouse admin, in the environment's own stacks):
 *   Custom::WarehouseUser  creates or updates one managed user (pipeline, provisioner) with the password of its
 *                          secret and the rights sql.js gives that kind of user.
 *
 * Every step is idempotent: a request that failed half-way is run again. `run(event, deps, config)` holds the logic
 * and takes its AWS calls as `deps`, so the tests execute it against a real PostgreSQL; `handler` wires the SDK.
 */
const https = require('https');
const sql = require('./sql');

const PASSWORD = "'{{password}}'";

async function password(deps, secretArn, user) {
  const secret = JSON.parse(await deps.getSecret(secretArn));
  if (!secret.password || secret.username !== user) {
    throw new Error(`secret ${secretArn} must hold {"username": "${user}", "password": ...}`);
  }
  return { hash: sql.md5Password(secret.password, user), secret };
}

async function count(deps, query) {
  const rows = await deps.query(query);
  return Number(rows[0] && rows[0].n);
}

/** Creates or updates a login user; logs the statement without its password hash. */
async function loginUser(deps, user, secretArn, log) {
  const { hash } = await password(deps, secretArn, user);
  const exists = (await count(deps, sql.userExistsSql(user))) > 0;
  const statement = sql.loginUserSql(user, exists);
  log(statement);
  await deps.execute(statement.replace(PASSWORD, `'${hash}'`));
}

async function runAll(deps, statements, log) {
  for (const statement of statements) {
    if (typeof statement === 'object') {
      if ((await count(deps, statement.unless)) > 0) continue;
      log(statement.sql);
      await deps.execute(statement.sql);
    } else {
      log(statement);
      await deps.execute(statement);
    }
  }
}

async function runKitchenSchema(requestType, props, deps, config, log) {
  const identity = sql.kitchenIdentity(props.Kitchen);
  const secretArn = sql.checkKitchenSecretArn(props.KitchenSecretArn, config, identity.kitchen);
  if (requestType === 'Delete') {
    if ((await count(deps, sql.userExistsSql(identity.user))) > 0) {
      // as the Kitchen user: drop what it owns anywhere (tables it created in public, views, sequences)
      const owned = await deps.queryAs(secretArn, sql.OWNED_RELATIONS_SQL);
      for (const row of owned) {
        const statement = sql.dropOwnedSql(row);
        log(`as ${identity.user}: ${statement}`);
        await deps.executeAs(secretArn, statement);
      }
    }
    await runAll(deps, sql.kitchenDropSql(identity), log);
    return;
  }
  await loginUser(deps, identity.user, secretArn, log);
  const writers = [];
  for (const writer of config.writers) {
    if ((await count(deps, sql.userExistsSql(writer))) > 0) writers.push(writer);
  }
  await runAll(deps, sql.kitchenCreateSql(identity, writers), log);
  // as the Kitchen user: what its pipelines create in its schema stays readable by the writers (seeding children)
  for (const statement of sql.kitchenUserDefaultsSql(identity, writers)) {
    log(`as ${identity.user}: ${statement}`);
    await deps.executeAs(secretArn, statement);
  }
}

async function runKitchenPrefix(requestType, props, deps, config, log) {
  const { kitchen } = sql.kitchenIdentity(props.Kitchen);
  if (requestType !== 'Delete') return;
  const prefix = `kitchens/${kitchen}/`;
  for (const bucket of config.buckets) {
    const deleted = await deps.emptyPrefix(bucket, prefix);
    log(`emptied s3://${bucket}/${prefix}: ${deleted} object versions deleted`);
  }
}

const WAREHOUSE_USERS = { pipeline: sql.PIPELINE_USER, provisioner: sql.PROVISIONER_USER };

async function runWarehouseUser(requestType, props, deps, config, log) {
  const kind = props.Kind;
  const user = WAREHOUSE_USERS[kind];
  if (!user)
    throw new Error(`Kind must be one of ${Object.keys(WAREHOUSE_USERS).join(', ')}, got: ${JSON.stringify(kind)}`);
  // Users are kept on delete: they may own data (the pipeline schema) that outlives a stack.
  if (requestType === 'Delete') return;
  if (kind === 'provisioner' && (await count(deps, sql.groupExistsSql(sql.KITCHEN_GROUP))) === 0) {
    log(`CREATE GROUP ${sql.KITCHEN_GROUP}`);
    await deps.execute(`CREATE GROUP ${sql.KITCHEN_GROUP}`);
  }
  // the password comes from the secret the function is configured with; the property only triggers updates
  if (props.SecretArn !== config.userSecretArn) {
    throw new Error(`SecretArn ${JSON.stringify(props.SecretArn)} is not the secret of this function's ${kind} user`);
  }
  await loginUser(deps, user, config.userSecretArn, log);
  const writers = [];
  for (const writer of config.writers) {
    if ((await count(deps, sql.userExistsSql(writer))) > 0) writers.push(writer);
  }
  await runAll(
    deps,
    sql.warehouseUserSql(kind, { database: config.database, schema: config.schema, dialect: config.dialect, writers }),
    log,
  );
}

const RESOURCES = {
  'Custom::KitchenSchema': { run: runKitchenSchema, id: (p) => `kitchen-schema:${p.Kitchen}` },
  'Custom::KitchenPrefix': { run: runKitchenPrefix, id: (p) => `kitchen-prefix:${p.Kitchen}` },
  'Custom::WarehouseUser': { run: runWarehouseUser, id: (p) => `warehouse-user:${p.Kind}` },
};

/**
 * Runs one custom resource request; returns the physical resource id. `config` is the function's own
 * configuration (its environment variables), which says which resource types it serves.
 */
async function run(event, deps, config, log = () => {}) {
  const resource = RESOURCES[event.ResourceType];
  if (!resource || !config.serves.includes(event.ResourceType)) {
    throw new Error(`This function does not serve ${event.ResourceType}; it serves ${config.serves.join(', ')}`);
  }
  const props = event.ResourceProperties;
  await resource.run(event.RequestType, props, deps, config, log);
  return resource.id(props);
}

/** The function's configuration, from its environment variables (set by the construct that deploys it). */
function configFromEnvironment(env) {
  return {
    serves: (env.SERVES || '').split(',').filter(Boolean),
    project: env.PROJECT,
    environment: env.ENVIRONMENT,
    dialect: env.DIALECT || 'redshift',
    clusterIdentifier: env.CLUSTER_IDENTIFIER,
    database: env.DATABASE,
    secretArn: env.SECRET_ARN,
    userSecretArn: env.USER_SECRET_ARN,
    schema: env.SCHEMA,
    buckets: JSON.parse(env.BUCKETS || '[]'),
    writers: (env.WRITERS || '').split(',').filter(Boolean),
  };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** AWS implementations of the dependencies, from the SDK bundled with the Lambda runtime. */
function awsDeps(config) {
  const rd = require('@aws-sdk/client-redshift-data');
  const sm = require('@aws-sdk/client-secrets-manager');
  const s3 = require('@aws-sdk/client-s3');
  const data = new rd.RedshiftDataClient({});
  async function statement(secretArn, text) {
    const { Id } = await data.send(
      new rd.ExecuteStatementCommand({
        ClusterIdentifier: config.clusterIdentifier,
        Database: config.database,
        SecretArn: secretArn,
        Sql: text,
      }),
    );
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      await sleep(delay);
      const d = await data.send(new rd.DescribeStatementCommand({ Id }));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'FAILED' || d.Status === 'ABORTED') {
        throw new Error(`statement ${d.Status}: ${d.Error}`);
      }
    }
  }
  async function rows(secretArn, text) {
    const d = await statement(secretArn, text);
    if (!d.HasResultSet) return [];
    const r = await data.send(new rd.GetStatementResultCommand({ Id: d.Id }));
    const names = r.ColumnMetadata.map((c) => c.name);
    return r.Records.map((rec) => Object.fromEntries(rec.map((f, i) => [names[i], Object.values(f)[0]])));
  }
  return {
    execute: async (text) => {
      await statement(config.secretArn, text);
    },
    query: (text) => rows(config.secretArn, text),
    executeAs: async (secretArn, text) => {
      await statement(secretArn, text);
    },
    queryAs: (secretArn, text) => rows(secretArn, text),
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
    const config = configFromEnvironment(process.env);
    const id = await run(event, awsDeps(config), config, (m) => console.log(m));
    await respond(event, 'SUCCESS', id);
  } catch (e) {
    console.error(e);
    await respond(event, 'FAILED', fallbackId, e && e.message);
  }
};
exports.run = run;
exports.configFromEnvironment = configFromEnvironment;
