/**
 * Clone benchmark: `npx ts-node --swc bench/clone.ts`. Starts its own PostgreSQL and moto server (never a shared or
 * fixed-port one), then measures
 *   - rows per second for a 1,000,000-row clone on PostgreSQL (200,000 customers with masked personal data, 800,000
 *     orders following them by foreign key): published by the cloner user (server-side COPY TO, the stand-in of
 *     UNLOAD) and seeded into a Kitchen (server-side COPY FROM), and the bytes that crossed the clients' sockets;
 *   - the keyed hash (SHA-256, nested, key from the key table) against the old md5(salt || value), over the same
 *     1,000,000 values in the same run;
 *   - publish+seed against the masked floor: the same guard (deny by default, scan of kept text), sampling and
 *     masking expressions materialized with CREATE TABLE AS in the warehouse (no export, no import), alternated three
 *     times in the same process;
 *   - objects per second for a 5,000-object server-side S3 clone against moto, and the HTTP body bytes the client
 *     sent and received (request/response XML only: no object data passes through the client).
 * `--only=clone` or `--only=floor` loads the source and runs just one publish+seed or one floor, for comparing whole
 * processes.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCatalog } from '../lib/clone/catalog';
import { PostgresExecutor } from '../lib/clone/executor';
import { cloneObjects } from '../lib/clone/objects';
import { parseClonePlan, planTables } from '../lib/clone/planner';
import { publishSnapshot, seedKitchen } from '../lib/clone/snapshot';
import type { TablePlan } from '../lib/clone/planner';
import { keyedHash, maskedSelect, publishStatements, qualified, setupStatements } from '../lib/clone/sql';
import { SHOP_CUSTOMERS_MASK, SHOP_ORDERS_MASK } from '../test/lib/clone/fixtures';
import { startMoto, startPostgres } from '../test/support/services';

const CUSTOMERS = 200_000;
const ORDERS = 800_000;
const OBJECTS = 5_000;
const OBJECT_BYTES = 1024;

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

async function benchPostgres(url: string, only?: 'clone' | 'floor'): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  process.stdout.write(`PostgreSQL: loading ${CUSTOMERS + ORDERS} source rows... `);
  await client.query(`
    CREATE SCHEMA analytics;
    CREATE TABLE analytics.customers (customer_id integer PRIMARY KEY, email varchar(200), full_name varchar(120),
      phone varchar(40), country char(2), birth_date date, created_at timestamp NOT NULL);
    CREATE TABLE analytics.orders (order_id integer PRIMARY KEY, customer_id integer REFERENCES analytics.customers(customer_id),
      customer_email varchar(200), amount numeric(12,2) NOT NULL, status varchar(20) NOT NULL, order_date date NOT NULL);
    INSERT INTO analytics.customers SELECT g, 'user' || g || '@example.com', 'Name ' || g, '+44 20 ' || (7000000 + g),
      (ARRAY['GB','FR','DE','NL'])[1 + g % 4], DATE '1960-01-01' + g % 15000, TIMESTAMP '2023-01-01' + g * INTERVAL '1 minute'
      FROM generate_series(1, ${CUSTOMERS}) g;
    INSERT INTO analytics.orders SELECT g, 1 + (g::bigint * 7919) % ${CUSTOMERS}, 'user' || (1 + (g::bigint * 7919) % ${CUSTOMERS}) || '@example.com',
      (g % 500) + 0.5, (ARRAY['new','paid','shipped'])[1 + g % 3], DATE '2024-01-01' + g % 365
      FROM generate_series(1, ${ORDERS}) g;
    ANALYZE;`);
  process.stdout.write('done\n');
  await client.end();

  const admin = new PostgresExecutor(url);
  const plan = parseClonePlan({
    tables: [
      {
        name: 'customers',
        mask: (({ signup_ip: _ignored, ...rest }) => rest)(SHOP_CUSTOMERS_MASK),
      },
      {
        name: 'orders',
        mask: SHOP_ORDERS_MASK,
      },
    ],
  });
  const tables = planTables(plan, await readCatalog(admin, 'analytics'));
  for (const sql of setupStatements(tables, { dialect: 'postgres', sourceSchema: 'analytics', planAt: 'bench' })) {
    await admin.query(sql);
  }
  await admin.query(
    'CREATE USER kitchens_seeder; GRANT pg_read_server_files TO kitchens_seeder; CREATE SCHEMA k_bench; GRANT ALL ON SCHEMA k_bench TO kitchens_seeder',
  );
  const asUser = (user: string) => {
    const u = new URL(url);
    u.username = user;
    return u.toString();
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-bench-export-'));
  fs.chmodSync(dir, 0o777);
  const location = { kind: 'directory' as const, path: dir };
  const cloner = new PostgresExecutor(asUser('kitchens_cloner'));
  const seeder = new PostgresExecutor(asUser('kitchens_seeder'));
  if (only === 'floor') {
    await admin.query('CREATE SCHEMA k_floor; GRANT ALL ON SCHEMA k_floor TO kitchens_cloner');
    const t = process.hrtime.bigint();
    await cloner.transaction(floorStatements(tables, 'k_floor', 'floor'));
    console.log(`masked CREATE TABLE AS floor: ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)} s`);
  }
  if (only !== undefined) {
    if (only === 'clone') {
      const t = process.hrtime.bigint();
      const p = await publishSnapshot({ executor: cloner, tables, sourceSchema: 'analytics', location, run: 'only' });
      await seedKitchen({ executor: seeder, targetSchema: 'k_bench', location, pointer: p });
      console.log(`publish+seed: ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)} s`);
    }
    await cloner.close();
    await seeder.close();
    await admin.close();
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  const clonerBefore = cloner.traffic;
  const started = process.hrtime.bigint();
  const pointer = await publishSnapshot({
    executor: cloner,
    tables,
    sourceSchema: 'analytics',
    location,
    run: 'bench',
  });
  const published = Number(process.hrtime.bigint() - started) / 1e9;
  const seederBefore = seeder.traffic;
  const results = await seedKitchen({ executor: seeder, targetSchema: 'k_bench', location, pointer });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const clonerAfter = cloner.traffic;
  const seederAfter = seeder.traffic;
  const rows = results.reduce((n, r) => n + r.rows, 0);
  const rerunStarted = process.hrtime.bigint();
  const rerun = await seedKitchen({ executor: seeder, targetSchema: 'k_bench', location, pointer });
  const rerunSeconds = Number(process.hrtime.bigint() - rerunStarted) / 1e9;
  console.log(
    `PostgreSQL clone: ${rows} rows (${results.map((r) => `${r.table} ${r.rows}`).join(', ')}) in ${seconds.toFixed(2)} s ` +
      `(publish ${published.toFixed(2)} s, seed ${(seconds - published).toFixed(2)} s)`,
  );
  console.log(`  rows/s: ${Math.round(rows / seconds)}`);
  console.log(
    `  bytes through the client sockets: publish ${clonerAfter.received - clonerBefore.received} received, ${clonerAfter.sent - clonerBefore.sent} sent; ` +
      `seed ${seederAfter.received - seederBefore.received} received, ${seederAfter.sent - seederBefore.sent} sent ` +
      '(SQL text, command tags and the column list; row data: 0)',
  );
  console.log(
    `  re-run: ${rerun.filter((r) => r.action === 'unchanged').length}/${rerun.length} tables unchanged in ${rerunSeconds.toFixed(3)} s`,
  );

  // The masked floor against publish+seed, alternated three times in this process (median of each).
  const clones: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < 3; i++) {
    await admin.query(
      `DROP SCHEMA IF EXISTS k_floor CASCADE; CREATE SCHEMA k_floor; GRANT ALL ON SCHEMA k_floor TO kitchens_cloner`,
    );
    let t = process.hrtime.bigint();
    await cloner.transaction(floorStatements(tables, 'k_floor', `floor${i}`));
    floors.push(Number(process.hrtime.bigint() - t) / 1e9);
    await admin.query(
      `DROP SCHEMA IF EXISTS k_again CASCADE; CREATE SCHEMA k_again; GRANT ALL ON SCHEMA k_again TO kitchens_seeder`,
    );
    t = process.hrtime.bigint();
    const again = await publishSnapshot({
      executor: cloner,
      tables,
      sourceSchema: 'analytics',
      location,
      run: `again${i}`,
    });
    await seedKitchen({ executor: seeder, targetSchema: 'k_again', location, pointer: again });
    clones.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
  console.log(
    `  publish+seed ${median(clones).toFixed(2)} s against the masked CREATE TABLE AS floor ${median(floors).toFixed(2)} s ` +
      `(same guard, scan of kept text, sampling and masking; median of 3 alternated): ${(median(clones) / median(floors)).toFixed(2)}x`,
  );

  // The masking cost alone, same values, same run: old md5(salt || value) against the keyed hash.
  const timed = async (sql: string): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = process.hrtime.bigint();
      await cloner.query(sql);
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    return times.sort((a, b) => a - b)[1];
  };
  const values =
    'SELECT r.email AS v FROM analytics.customers r UNION ALL SELECT o.customer_email FROM analytics.orders o';
  const baseline = await timed(`SELECT count(DISTINCT x) FROM (SELECT v AS x FROM (${values}) r) t`);
  const oldMask = await timed(
    `SELECT count(DISTINCT x) FROM (SELECT md5('bench-salt-0123456789abcdef' || CAST(r.v AS VARCHAR(65535))) AS x FROM (${values}) r) t`,
  );
  const keyed = await timed(
    `SELECT count(DISTINCT x) FROM (SELECT ${keyedHash('r.v', 'postgres')} AS x FROM (${values}) r ` +
      'CROSS JOIN (SELECT inner_key, outer_key FROM kitchens_clone.hash_key) AS kitchens_key) t',
  );
  console.log(
    `  masking 1000000 values (median of 3): no hash ${baseline.toFixed(2)} s, old md5(salt || value) ${oldMask.toFixed(2)} s, ` +
      `keyed SHA-256 ${keyed.toFixed(2)} s (hash cost: old ${(oldMask - baseline).toFixed(2)} s, keyed ${(keyed - baseline).toFixed(2)} s, ` +
      `${((keyed - baseline) / Math.max(oldMask - baseline, 1e-9)).toFixed(1)}x)`,
  );
  await cloner.close();
  await seeder.close();
  await admin.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The masked floor: what the warehouse must do at least to produce the same masked rows, with the same guard (the
 * deny-by-default check and the scan of kept text), the same sampling (staged parents, the closure) and the same
 * masking expressions, but materialized in place with CREATE TABLE AS: no export, no import, no bookkeeping.
 */
export function floorStatements(tables: readonly TablePlan[], targetSchema: string, run: string): string[] {
  const statements = publishStatements(
    tables,
    'analytics',
    { kind: 'directory', path: '/unused' },
    'postgres',
    run,
  ).filter((sql) => !sql.startsWith('COPY ('));
  const ctx = { sourceSchema: 'analytics', tables, run, dialect: 'postgres' as const };
  return [
    ...statements,
    ...tables.map((t) => `CREATE TABLE ${qualified(targetSchema, t.name)} AS ${maskedSelect(t, ctx, 'postgres')}`),
  ];
}

async function benchS3(endpoint: string): Promise<void> {
  const s3 = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const source = 'bench-production-landing-111111111111';
  const target = 'bench-dev-landing-222222222222';
  for (const bucket of [source, target]) {
    await s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
  }
  process.stdout.write(`moto: putting ${OBJECTS} source objects of ${OBJECT_BYTES} bytes... `);
  const body = Buffer.alloc(OBJECT_BYTES, 'x');
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < OBJECTS) {
        const i = next++;
        await s3.send(
          new PutObjectCommand({
            Bucket: source,
            Key: `landing/orders/${String(i).padStart(5, '0')}.json`,
            Body: body,
          }),
        );
      }
    }),
  );
  process.stdout.write('done\n');

  // A fresh client for the clone, with every request and response body counted.
  const cloneClient = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const traffic = { requestBody: 0, responseBody: 0, objectData: 0, calls: new Map<string, number>() };
  cloneClient.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { body?: unknown };
      if (typeof request.body === 'string' || Buffer.isBuffer(request.body))
        traffic.requestBody += Buffer.byteLength(request.body);
      const result = await next(args);
      const response = result.response as { headers?: Record<string, string> };
      traffic.responseBody += Number(response.headers?.['content-length'] ?? 0);
      const name = context.commandName ?? 'unknown';
      traffic.calls.set(name, (traffic.calls.get(name) ?? 0) + 1);
      if (['GetObjectCommand', 'PutObjectCommand', 'UploadPartCommand'].includes(name)) traffic.objectData += 1;
      return result;
    },
    { step: 'deserialize', name: 'countBytes' },
  );
  const started = process.hrtime.bigint();
  const result = await cloneObjects({
    s3: cloneClient,
    sourceBucket: source,
    sourcePrefix: 'landing/orders/',
    targetBucket: target,
    targetPrefix: 'kitchens/bench/landing/orders/',
    concurrency: 32,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `S3 clone (moto): ${result.copied} objects (${mb(result.bytesCopied)}) copied server-side in ${seconds.toFixed(2)} s`,
  );
  console.log(`  objects/s: ${Math.round(result.copied / seconds)}`);
  console.log(
    `  HTTP body bytes through the client: ${traffic.requestBody} sent, ${traffic.responseBody} received ` +
      `(listing and copy-result XML); object data calls (Get/Put/UploadPart): ${traffic.objectData}`,
  );
  console.log(`  calls: ${[...traffic.calls].map(([k, v]) => `${k.replace('Command', '')} ${v}`).join(', ')}`);
  const rerunStarted = process.hrtime.bigint();
  const rerun = await cloneObjects({
    s3: cloneClient,
    sourceBucket: source,
    sourcePrefix: 'landing/orders/',
    targetBucket: target,
    targetPrefix: 'kitchens/bench/landing/orders/',
    concurrency: 32,
  });
  console.log(
    `  re-run: ${rerun.copied} copied, ${rerun.skipped} skipped in ${(Number(process.hrtime.bigint() - rerunStarted) / 1e9).toFixed(2)} s`,
  );
}

/** `--only=clone` or `--only=floor`: load the source, then run just that once (for whole-process comparisons). */
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (onlyArg !== undefined && onlyArg !== 'clone' && onlyArg !== 'floor') {
  throw new Error(`--only must be clone or floor, got: ${JSON.stringify(onlyArg)}`);
}
const only = onlyArg as 'clone' | 'floor' | undefined;

async function main(): Promise<void> {
  const [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
  try {
    if (only !== undefined) {
      await benchPostgres(pg.url, only);
    } else {
      await benchPostgres(pg.url);
      await benchS3(moto.endpoint);
    }
  } finally {
    pg.stop();
    moto.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
