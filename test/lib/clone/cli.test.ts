import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { register } from '../../../lib/cli/commands/clone';
import { buildProgram, runProgram } from '../../../lib/cli/program';
import YAML from 'yaml';
import { readCatalog } from '../../../lib/clone/catalog';
import { PostgresExecutor } from '../../../lib/clone/executor';
import { parseClonePlan, planTables } from '../../../lib/clone/planner';
import { publishSnapshot } from '../../../lib/clone/snapshot';
import { freshDatabase, SHOP_SCHEMA } from './fixtures';
import { motoS3 } from './s3';
import { asUser, ensureUser, exportDirectory, setupProduction } from './support';

const CLONE_PLAN = `
    clone:
      tables:
        - name: customers
          sample: { fraction: 0.1, key: customer_id }
          mask: { customer_id: keep, email: hash, full_name: redact, phone: hash, country: keep, birth_date: "null", signup_ip: "null", created_at: keep }
        - name: orders
          references: [{ column: customer_id, table: customers, key: customer_id }]
          mask: { order_id: keep, customer_id: keep, customer_email: hash, amount: keep, status: keep, order_date: keep }
        - name: order_items
          references: [{ column: order_id, table: orders, key: order_id }, { column: sku, table: products, key: sku }]
          mask: { item_id: keep, order_id: keep, sku: keep, quantity: keep }
        - name: products
          mask: { sku: keep, title: keep, price: keep }
      nonPersonal:
        - { bucket: curated, prefix: reference/, reason: currency and country code lists only }
      objects:
        - bucket: curated
          prefix: reference/
          fraction: 0.5
      secrets: [warehouse]
`;

/** A self-contained config (the bundled one references files relative to the repository). */
const BASE_CONFIG = `project: clonecli
environments:
  production:
    stage: production
    account: "111111111111"
    region: eu-west-1
    availabilityZones: [eu-west-1a, eu-west-1b]
    cidr: 10.10.0.0/16
    warehouse: { nodeType: ra3.xlplus, nodes: 2, database: analytics, schema: analytics }
    retention: { logDays: 365, landingDays: 90, noncurrentVersionDays: 90, snapshotDays: 35 }
    schedules: true
    slack: { workspaceId: T07ACME0001, channelId: C07PRODALRT }
  dev:
    stage: development
    account: "222222222222"
    region: eu-west-1
    availabilityZones: [eu-west-1a, eu-west-1b]
    cidr: 10.20.0.0/16
    warehouse: { nodeType: ra3.large, nodes: 1, database: analytics, schema: analytics }
    retention: { logDays: 30, landingDays: 14, noncurrentVersionDays: 7, snapshotDays: 1 }
    schedules: false
    slack: { workspaceId: T07ACME0001, channelId: C07DEVALERT }
    kitchens:
      defaultTtlHours: 72
`;
const DIVERGENCE = `alignment:
  divergence: [warehouse.nodeType, warehouse.nodes, retention.logDays, retention.landingDays, retention.noncurrentVersionDays, retention.snapshotDays, schedules]
`;

function writeConfig(dir: string, plan: string): string {
  const file = path.join(dir, `kitchens-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, `${BASE_CONFIG}${plan.replace(/^\n/, '')}${DIVERGENCE}`);
  return file;
}

async function run(
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  let stdout = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  let stderr = '';
  const err = { write: (chunk: string) => ((stderr += chunk), true) } as unknown as typeof process.stderr;
  try {
    const code = await runProgram(buildProgram([register]), argv, err);
    return { code, stdout, stderr };
  } finally {
    write.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('kitchen clone', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-clone-cli-'));
  const env = { AWS_ENDPOINT_URL: process.env.KITCHENS_TEST_MOTO_ENDPOINT };
  const exportBucket = 'clonecli-dev-export-222222222222';
  let url: string;
  let seederUrl: string;
  let client: Client;
  let config: string;
  let snapshots: string;
  let run1: string;

  beforeAll(async () => {
    url = await freshDatabase('clone_cli_test');
    client = new Client({ connectionString: url });
    await client.connect();
    await client.query(SHOP_SCHEMA);
    config = writeConfig(dir, CLONE_PLAN);
    // Production: setup, then one publication into a server directory (the job's local stand-in).
    const reader = new PostgresExecutor(url);
    const raw = YAML.parse(fs.readFileSync(config, 'utf8')).environments.dev.clone;
    const tables = planTables(parseClonePlan(raw), await readCatalog(reader, 'analytics'));
    await reader.close();
    await setupProduction(client, tables);
    snapshots = exportDirectory('kitchens-cli-export');
    const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
    run1 = (
      await publishSnapshot({
        executor: cloner,
        tables,
        sourceSchema: 'analytics',
        location: { kind: 'directory', path: snapshots },
        run: 'run-1',
      })
    ).run;
    await cloner.close();
    // Development: the seeder user and the Kitchen schema (created with the Kitchen).
    await ensureUser(client, 'kitchens_seeder', 'pg_read_server_files');
    await client.query('CREATE SCHEMA k_profit_report; GRANT ALL ON SCHEMA k_profit_report TO kitchens_seeder');
    seederUrl = asUser(url, 'kitchens_seeder');
    // The files production published for the run, in the development export bucket.
    const s3 = motoS3();
    for (const bucket of [exportBucket, 'clonecli-dev-curated-222222222222']) {
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
      );
    }
    for (let i = 0; i < 40; i++) {
      await s3.send(
        new PutObjectCommand({
          Bucket: exportBucket,
          Key: `snapshots/production/run-1/objects/curated/reference/codes-${i}.csv`,
          Body: `code,${i}`,
        }),
      );
    }
  });

  afterAll(async () => {
    await client.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should print the plan, with the non-personal declaration, and write nothing on a dry run', async () => {
    const { code, stdout } = await run(['--config', config, 'clone', 'profit-report', '--dry-run'], env);
    expect(code).toBe(0);
    expect(stdout).toContain('Clone plan: Kitchen profit-report in dev, seeded from the snapshot production publishes');
    expect(stdout).toContain(
      'Snapshot: s3://clonecli-dev-export-222222222222/snapshots/production/ (newest complete run)',
    );
    expect(stdout).toContain('Tables: analytics (masked inside production) -> k_profit_report (COPY, server-side)');
    expect(stdout).toMatch(/  customers\s+10% by hash of customer_id/);
    expect(stdout).toContain(
      '  customers: email=hash, full_name=redact, phone=hash, birth_date=null, signup_ip=null; keep: customer_id, country, created_at',
    );
    expect(stdout).toContain(
      'Declared non-personal (the only production files published):\n  curated:reference/ - currency and country code lists only',
    );
    expect(stdout).toContain(
      'Secrets (new credentials, nothing copied from production): clonecli/dev/kitchens/profit-report/warehouse',
    );
    const { rows } = await client.query(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'k_profit_report'`,
    );
    expect(rows[0].n).toBe('0');
  });

  it('should seed tables, objects and secrets from the newest snapshot, then change nothing on a re-run', async () => {
    const args = [
      '--json',
      '--config',
      config,
      'clone',
      'profit-report',
      '--pg-url',
      seederUrl,
      '--snapshot-dir',
      snapshots,
    ];
    const first = await run(args, env);
    expect({ code: first.code, stderr: first.stderr }).toStrictEqual({ code: 0, stderr: '' });
    const out = JSON.parse(first.stdout);
    expect(out.result.snapshot.run).toBe(run1);
    expect(out.result.tables.map((t: { table: string; action: string }) => `${t.table}:${t.action}`)).toStrictEqual([
      'customers:created',
      'orders:created',
      'products:created',
      'order_items:created',
    ]);
    expect(out.result.objects[0].copied).toBeGreaterThan(5);
    expect(out.result.objects[0].copied).toBeLessThan(40);
    expect(out.result.objects[0].targetBucket).toBe('clonecli-dev-curated-222222222222');
    expect(out.result.secrets).toStrictEqual([
      { role: 'warehouse', name: 'clonecli/dev/kitchens/profit-report/warehouse', action: 'created' },
    ]);
    const again = JSON.parse((await run(args, env)).stdout);
    expect(again.result.tables.map((t: { action: string }) => t.action)).toStrictEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(again.result.objects[0]).toMatchObject({ copied: 0, skipped: out.result.objects[0].copied });
    expect(again.result.secrets[0].action).toBe('exists');
  });

  it('should tell where nothing was published yet, and refuse the removed production-side options', async () => {
    const missing = await run(['--config', config, 'clone', 'profit-report', '--no-objects', '--no-secrets'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'no snapshot has been published to s3://clonecli-dev-export-222222222222/snapshots/production/latest.json yet; a production operator runs the clone job (clonecli-production-clone-publish)',
    );
    const salt = await run(['--config', config, 'clone', 'profit-report', '--salt-env', 'X'], env);
    expect(salt.stderr).toContain(
      '--salt-env is no longer accepted: the masking key exists only inside production and never leaves it; masking happens in the production clone job',
    );
  });

  it('fails before anything runs on production objects outside the allow-list', async () => {
    const bad = writeConfig(
      dir,
      CLONE_PLAN.replace(
        '        - bucket: curated\n          prefix: reference/\n          fraction: 0.5',
        '        - bucket: landing\n          prefix: partner/orders/',
      ),
    );
    const { code, stderr } = await run(['--config', bad, 'clone', 'profit-report', '--dry-run'], env);
    expect(code).not.toBe(0);
    expect(stderr).toContain(
      'environments.dev.clone.objects[0] must lie below a prefix declared in environments.dev.clone.nonPersonal (files from production are published only where a reviewer declared them free of personal data), got: landing:partner/orders/; declared non-personal: curated:reference/',
    );
  });

  it('should write a starter plan from the catalog that declares every column and passes the planner', async () => {
    const file = path.join(dir, 'starter.yaml');
    const { code, stdout } = await run(
      ['--config', config, 'clone', 'plan', '--init', '--pg-url', url, '--out', file],
      env,
    );
    expect({ code, stdout }).toStrictEqual({ code: 0, stdout: expect.stringContaining('review every strategy') });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('        email:       hash   # varchar(200); looks like an email address');
    expect(text).toContain('        - { column: customer_id, table: customers, key: customer_id }');
    const plan = parseClonePlan(YAML.parse(text).clone);
    const reader = new PostgresExecutor(url);
    const tables = planTables(plan, await readCatalog(reader, 'analytics'));
    await reader.close();
    expect(tables.map((t) => t.name)).toStrictEqual(['customers', 'orders', 'products', 'order_items']);
    const again = await run(['--config', config, 'clone', 'plan', '--init', '--pg-url', url, '--out', file], env);
    expect(again.stderr).toContain(
      `--out must name a new file (a plan under review is never overwritten), got: ${file}`,
    );
  });
});
