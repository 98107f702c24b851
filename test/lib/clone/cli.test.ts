import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { register } from '../../../lib/cli/commands/clone';
import { buildProgram, runProgram } from '../../../lib/cli/program';
import { freshDatabase, schemaChecksum, SHOP_SCHEMA } from './fixtures';
import { motoS3 } from './s3';

const CLONE_PLAN = `
    clone:
      tables:
        - name: customers
          sample: { fraction: 0.1, key: customer_id }
          mask: { full_name: redact }
        - name: orders
        - name: order_items
        - name: products
      objects:
        - bucket: landing
          prefix: partner/orders/
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
  const env = {
    AWS_ENDPOINT_URL: process.env.KITCHENS_TEST_MOTO_ENDPOINT,
    KITCHENS_CLONE_SALT: 'cli-test-salt-0123456789',
  };
  let url: string;
  let client: Client;
  let config: string;

  beforeAll(async () => {
    url = await freshDatabase('clone_cli_test');
    client = new Client({ connectionString: url });
    await client.connect();
    await client.query(SHOP_SCHEMA);
    const s3 = motoS3();
    for (const bucket of ['clonecli-production-landing-111111111111', 'clonecli-dev-landing-222222222222']) {
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
      );
    }
    for (let i = 0; i < 40; i++) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'clonecli-production-landing-111111111111',
          Key: `partner/orders/o-${i}.json`,
          Body: `{"order":${i}}`,
        }),
      );
    }
    config = writeConfig(dir, CLONE_PLAN);
  });

  afterAll(async () => {
    await client.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should print the plan and write nothing on a dry run', async () => {
    const before = await schemaChecksum(client, 'analytics');
    const { code, stdout } = await run(
      ['--config', config, 'clone', 'profit-report', '--pg-url', url, '--dry-run'],
      env,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('Clone plan: Kitchen profit-report in dev, from environment production');
    expect(stdout).toContain('Tables: analytics -> k_profit_report (CREATE TABLE AS SELECT in one warehouse)');
    expect(stdout).toMatch(/  customers\s+2000\s+200\s+10% by hash of customer_id/);
    expect(stdout).toMatch(/  orders\s+10000\s+\d+\s+customer_id in sampled customers.customer_id/);
    expect(stdout).toContain(
      '  customers: email=hash (personal data), full_name=redact, phone=hash (personal data), birth_date=null (personal data), signup_ip=hash (personal data); keep: customer_id, country, created_at',
    );
    expect(stdout).toMatch(
      /landing\s+s3:\/\/clonecli-production-landing-111111111111\/partner\/orders\/ -> s3:\/\/clonecli-dev-landing-222222222222\/kitchens\/profit-report\/partner\/orders\/\s+\d+ of 40 objects/,
    );
    expect(stdout).toContain(
      'Secrets (new credentials, nothing copied from the parent): clonecli/dev/kitchens/profit-report/warehouse',
    );
    const { rows } = await client.query(
      `SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = 'k_profit_report'`,
    );
    expect(rows[0].n).toBe('0');
    expect(await schemaChecksum(client, 'analytics')).toBe(before);
  });

  it('should clone tables, objects and secrets, then change nothing on a re-run', async () => {
    const first = await run(['--json', '--config', config, 'clone', 'profit-report', '--pg-url', url], env);
    expect({ code: first.code, stderr: first.stderr }).toStrictEqual({ code: 0, stderr: '' });
    const out = JSON.parse(first.stdout);
    expect(out.plan.tables.map((t: { name: string }) => t.name)).toStrictEqual([
      'customers',
      'orders',
      'products',
      'order_items',
    ]);
    expect(out.plan.tables[0].masking).toStrictEqual({
      customer_id: 'keep',
      email: 'hash',
      full_name: 'redact',
      phone: 'hash',
      country: 'keep',
      birth_date: 'null',
      signup_ip: 'hash',
      created_at: 'keep',
    });
    expect(out.result.tables.map((t: { action: string }) => t.action)).toStrictEqual([
      'created',
      'created',
      'created',
      'created',
    ]);
    expect(out.result.objects[0].copied).toBe(out.plan.objects[0].selected);
    expect(out.result.objects[0].copied).toBeGreaterThan(0);
    expect(out.result.secrets).toStrictEqual([
      { role: 'warehouse', name: 'clonecli/dev/kitchens/profit-report/warehouse', action: 'created' },
    ]);

    const again = JSON.parse(
      (await run(['--json', '--config', config, 'clone', 'profit-report', '--pg-url', url], env)).stdout,
    );
    expect(again.result.tables.map((t: { action: string }) => t.action)).toStrictEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(again.result.objects[0]).toMatchObject({ copied: 0, skipped: out.result.objects[0].copied });
    expect(again.result.secrets[0].action).toBe('exists');
  });

  it('should print a human summary', async () => {
    const { code, stdout } = await run(
      ['--config', config, 'clone', 'profit-report', '--pg-url', url, '--no-objects', '--no-secrets'],
      env,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /Kitchen profit-report seeded in [\d.]+ s:\n  tables:  0 built, 4 already up to date, \d+ rows\n  objects: 0 copied \(0 B server-side\), 0 already present\n  secrets: -/,
    );
  });

  it('fails before anything runs on a bad plan', async () => {
    const bad = writeConfig(
      dir,
      CLONE_PLAN.replace('name: order_items', 'name: order_itemz').replace(
        'mask: { full_name: redact }',
        'mask: { customer_id: hash }',
      ),
    );
    const { code, stderr } = await run(['--config', bad, 'clone', 'bad-plan', '--pg-url', url], env);
    const shown = (f: string) =>
      path.relative(process.cwd(), f).startsWith('..') ? f : path.relative(process.cwd(), f);
    const file = shown(bad);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${file}: environments.dev.clone.tables[2].name must name a table of schema "analytics" in the source, got: "order_itemz"; tables are: customers, order_items, orders, products\n` +
        `${file}: environments.dev.clone.tables[0].mask.customer_id must be "keep": customer_id is the sample key of table customers and a masked key cannot choose the same rows in every table; got: "hash"\n` +
        `${file}: environments.dev.clone.tables[0].mask.customer_id must be "keep": customers.customer_id is the key orders.customer_id refers to and children are sampled by their parent's keys; got: "hash"\n`,
    );
    const fraction = writeConfig(dir, CLONE_PLAN.replace('fraction: 0.1', 'fraction: 10'));
    const loaded = await run(['--config', fraction, 'clone', 'bad-plan', '--pg-url', url], env);
    expect(loaded.code).toBe(2);
    expect(loaded.stderr).toBe(
      `error: ${shown(fraction)}: environments.dev.clone.tables[0].sample.fraction must be a number from 0 to 1 (exclusive of 0), such as 0.1, got: 10\n`,
    );
    const { rows } = await client.query(
      `SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = 'k_bad_plan'`,
    );
    expect(rows[0].n).toBe('0');
  });

  it('fails without a masking salt, and on a Kitchen cloned from itself', async () => {
    const noSalt = await run(['--config', config, 'clone', 'salty', '--pg-url', url], {
      ...env,
      KITCHENS_CLONE_SALT: undefined,
    });
    expect(noSalt).toMatchObject({
      code: 2,
      stderr:
        "error: the masking salt is read from $KITCHENS_CLONE_SALT, which is not set; set it to the team's clone salt (16+ characters) or pass --salt-env\n",
    });
    const self = await run(
      ['--config', config, 'clone', 'profit-report', '--from', 'profit-report', '--pg-url', url],
      env,
    );
    expect(self).toMatchObject({
      code: 2,
      stderr: 'error: a Kitchen cannot be cloned from itself, got: --from profit-report\n',
    });
  });

  it('should clone a Kitchen from another Kitchen', async () => {
    const { code, stdout } = await run(
      [
        '--json',
        '--config',
        config,
        'clone',
        'second-look',
        '--from',
        'profit-report',
        '--pg-url',
        url,
        '--no-objects',
        '--no-secrets',
      ],
      env,
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.plan).toMatchObject({
      from: { kind: 'kitchen', name: 'profit-report' },
      sourceSchema: 'k_profit_report',
      targetSchema: 'k_second_look',
    });
    const { rows } = await client.query(
      'SELECT (SELECT count(*) FROM k_second_look.orders) AS a, (SELECT count(*) FROM k_profit_report.orders) AS b',
    );
    expect(Number(rows[0].a)).toBeGreaterThan(0);
    expect(Number(rows[0].a)).toBeLessThanOrEqual(Number(rows[0].b));
  });
});
