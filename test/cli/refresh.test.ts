import { Client } from 'pg';
import { freshDatabase } from '../lib/clone/fixtures';
import { kitchen } from './support/cli';

/** kitchen refresh through the CLI, on the bundled config (project acme, Kitchens in dev) and a private PostgreSQL. */
describe('kitchen refresh', () => {
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    url = await freshDatabase('kitchen_refresh_cli');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`
      CREATE SCHEMA analytics;
      CREATE TABLE analytics.customers (id integer, email text);
      INSERT INTO analytics.customers VALUES (1, 'real.person@example.com');
      CREATE SCHEMA k_integration;
      CREATE TABLE k_integration.customers (id integer, email_hash varchar(64));
      INSERT INTO k_integration.customers SELECT g, md5(g::text) FROM generate_series(1, 300) g;
      CREATE SCHEMA k_feature;
      CREATE TABLE k_feature.scratch (x integer);
    `);
  });

  afterAll(async () => {
    await admin.end();
  });

  it("should copy the parent Kitchen's tables into the child and report each one", async () => {
    const run = await kitchen(['refresh', 'feature', '--from', 'integration', '--pg-url', url]);
    expect(run.stderr).toBe('refreshing k_feature.customers from k_integration (1/1)\nrefreshed 1 tables\n');
    expect(run.stdout).toBe(
      'Kitchen feature refreshed from Kitchen integration:\n  customers: created, 300 rows\n  kept (only feature has them): scratch\n',
    );
    expect(run.code).toBe(0);
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM k_feature.customers');
    expect(rows).toStrictEqual([{ n: 300 }]);
  });

  it('should print the plan and change nothing with --dry-run, without AWS', async () => {
    const run = await kitchen(['--json', 'refresh', 'feature', '--from', 'integration', '--dry-run']);
    expect(JSON.parse(run.stdout)).toStrictEqual({
      child: 'feature',
      parent: 'integration',
      childSchema: 'k_feature',
      parentSchema: 'k_integration',
      dryRun: true,
    });
    expect(run.code).toBe(0);
  });

  it.each([
    [['refresh', 'feature', '--pg-url', 'postgres://x'], '--pg-url needs --from PARENT'],
    [
      ['refresh', 'feature', '--from', 'production', '--pg-url', 'postgres://x'],
      "Kitchen feature's parent is the environment production, not a Kitchen",
    ],
    [['refresh', 'feature', '--from', 'dev', '--dry-run'], "Kitchen feature's parent is the environment dev"],
    [['refresh', 'feature', '--from', 'feature', '--dry-run'], '--from'],
    [['refresh', 'Not_A_Name', '--from', 'integration', '--dry-run'], 'Not_A_Name'],
  ])('fails with exit 2 on %j', async (args, message) => {
    const run = await kitchen(args);
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(2);
  });

  it("fails with exit 1 when the parent's schema does not exist, and copies nothing from the environment's own schemas", async () => {
    const run = await kitchen(['refresh', 'feature', '--from', 'nobody', '--pg-url', url]);
    expect(run.stderr).toBe(
      "error: kitchen refresh feature: the parent Kitchen's schema k_nobody does not exist in the warehouse: create the Kitchen first\n",
    );
    expect(run.code).toBe(1);
    const { rows } = await admin.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'k_feature' ORDER BY 1",
    );
    expect(rows.map((r) => r.table_name)).toStrictEqual(['customers', 'scratch']);
  });
});
