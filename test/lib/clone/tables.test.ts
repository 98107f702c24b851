import { Client } from 'pg';
import { parseClonePlan, planTables } from '../../../lib/clone/planner';
import { readCatalog } from '../../../lib/clone/catalog';
import { PostgresExecutor, SqlExecutor } from '../../../lib/clone/executor';
import { maskedSelect } from '../../../lib/clone/sql';
import { cloneTables, preflightTables, TableCloneResult } from '../../../lib/clone/tables';
import { freshDatabase, schemaChecksum, SHOP_SCHEMA } from './fixtures';

const SALT = 'test-salt-0123456789abcdef';
const FRACTION = 0.2;
/** 2,000 customers: a binomial sample of 20% has a standard deviation of 0.9%; 3 points is over 3 deviations. */
const TOLERANCE = 0.03;

const PLAN = {
  tables: [
    { name: 'order_items' },
    { name: 'orders', sample: { where: "status <> 'new'" } },
    { name: 'customers', sample: { fraction: FRACTION, key: 'customer_id' }, mask: { full_name: 'redact' } },
    { name: 'products' },
  ],
};

describe('table clone against PostgreSQL', () => {
  let url: string;
  let client: Client;
  let executor: PostgresExecutor;
  let sourceBefore: string;
  let first: TableCloneResult[];

  beforeAll(async () => {
    url = await freshDatabase('clone_tables_test');
    client = new Client({ connectionString: url });
    await client.connect();
    await client.query(SHOP_SCHEMA);
    sourceBefore = await schemaChecksum(client, 'analytics');
    executor = new PostgresExecutor(url);
    const tables = planTables(parseClonePlan(PLAN), await readCatalog(executor, 'analytics'));
    first = await cloneTables(tables, {
      source: executor,
      sourceSchema: 'analytics',
      targetSchema: 'k_profit_report',
      salt: SALT,
    });
  });

  afterAll(async () => {
    await executor.close();
    await client.end();
  });

  it('should clone parents before children', () => {
    expect(first.map((r) => r.table)).toStrictEqual(['customers', 'orders', 'products', 'order_items']);
    expect(first.every((r) => r.action === 'created')).toBe(true);
  });

  it('should never leave a masked column equal to its source value', async () => {
    const { rows } = await client.query(`
      SELECT count(*) FILTER (WHERE k.email = s.email) AS email,
             count(*) FILTER (WHERE k.full_name = s.full_name OR k.full_name <> 'REDACTED') AS full_name,
             count(*) FILTER (WHERE k.phone = s.phone) AS phone,
             count(*) FILTER (WHERE s.phone IS NOT NULL AND k.phone IS NULL) AS phone_lost,
             count(*) FILTER (WHERE k.signup_ip = s.signup_ip) AS ip,
             count(*) FILTER (WHERE k.birth_date IS NOT NULL) AS birth,
             count(*) FILTER (WHERE k.country = s.country) AS country_kept,
             count(*) AS n
      FROM k_profit_report.customers k JOIN analytics.customers s USING (customer_id)`);
    const r = rows[0];
    expect(Number(r.n)).toBeGreaterThan(0);
    expect([r.email, r.full_name, r.phone, r.phone_lost, r.ip, r.birth].map(Number)).toStrictEqual([0, 0, 0, 0, 0, 0]);
    expect(Number(r.country_kept)).toBe(Number(r.n));
    const orders = await client.query(`
      SELECT count(*) AS same FROM k_profit_report.orders k JOIN analytics.orders s USING (order_id)
      WHERE k.customer_email = s.customer_email`);
    expect(Number(orders.rows[0].same)).toBe(0);
  });

  it('should mask the same source value to the same output in every table', async () => {
    const { rows } = await client.query(`
      SELECT count(*) AS n, count(*) FILTER (WHERE o.customer_email = c.email) AS same
      FROM k_profit_report.orders o JOIN k_profit_report.customers c USING (customer_id)`);
    expect(Number(rows[0].n)).toBeGreaterThan(100);
    expect(Number(rows[0].same)).toBe(Number(rows[0].n));
  });

  it('should keep every foreign key of the Kitchen resolvable', async () => {
    const { rows } = await client.query(`
      SELECT
        (SELECT count(*) FROM k_profit_report.orders o WHERE o.customer_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM k_profit_report.customers c WHERE c.customer_id = o.customer_id)) AS orphan_orders,
        (SELECT count(*) FROM k_profit_report.order_items i
           WHERE NOT EXISTS (SELECT 1 FROM k_profit_report.orders o WHERE o.order_id = i.order_id)) AS orphan_items,
        (SELECT count(*) FROM k_profit_report.order_items i
           WHERE NOT EXISTS (SELECT 1 FROM k_profit_report.products p WHERE p.sku = i.sku)) AS orphan_skus,
        (SELECT count(*) FROM k_profit_report.order_items) AS items,
        (SELECT count(*) FROM k_profit_report.orders WHERE status = 'new') AS filtered_out`);
    expect(rows[0]).toStrictEqual({
      orphan_orders: '0',
      orphan_items: '0',
      orphan_skus: '0',
      items: expect.any(String),
      filtered_out: '0',
    });
    expect(Number(rows[0].items)).toBeGreaterThan(0);
  });

  it(`should sample ${FRACTION * 100}% of customers within ${TOLERANCE * 100} percentage points`, async () => {
    const { rows } = await client.query('SELECT count(*) AS n FROM k_profit_report.customers');
    const share = Number(rows[0].n) / 2000;
    expect(Math.abs(share - FRACTION)).toBeLessThanOrEqual(TOLERANCE);
    // Children follow: every sampled order belongs to a sampled customer or to none.
    expect(first.find((r) => r.table === 'customers')!.rows).toBe(Number(rows[0].n));
  });

  it('should change nothing when re-run', async () => {
    const before = await schemaChecksum(client, 'k_profit_report');
    const tables = planTables(parseClonePlan(PLAN), await readCatalog(executor, 'analytics'));
    const again = await cloneTables(tables, {
      source: executor,
      sourceSchema: 'analytics',
      targetSchema: 'k_profit_report',
      salt: SALT,
    });
    expect(again.map((r) => r.action)).toStrictEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(again.map((r) => r.rows)).toStrictEqual(first.map((r) => r.rows));
    expect(await schemaChecksum(client, 'k_profit_report')).toBe(before);
  });

  it('should produce the same Kitchen when rebuilt from scratch (deterministic sample and masking)', async () => {
    const before = await schemaChecksum(client, 'k_profit_report');
    const tables = planTables(parseClonePlan(PLAN), await readCatalog(executor, 'analytics'));
    await cloneTables(tables, { source: executor, sourceSchema: 'analytics', targetSchema: 'k_twin', salt: SALT });
    // Catalog lines carry oids; the state table carries fingerprints that include the schema name.
    const strip = (s: string) =>
      s
        .split('\n')
        .slice(2)
        .filter((l) => !l.startsWith('kitchens_clone_state:'))
        .join('\n');
    expect(strip(await schemaChecksum(client, 'k_twin'))).toBe(strip(before));
  });

  it('should resume after an interruption and rebuild only what is missing', async () => {
    const tables = planTables(parseClonePlan(PLAN), await readCatalog(executor, 'analytics'));
    let transactions = 0;
    const failing: SqlExecutor = {
      dialect: 'postgres',
      query: (sql) => executor.query(sql),
      estimateRows: (s) => executor.estimateRows(s),
      close: async () => undefined,
      transaction: async (statements) => {
        transactions += 1;
        if (transactions === 3) throw new Error('connection lost');
        return executor.transaction(statements);
      },
    };
    await expect(
      cloneTables(tables, { source: failing, sourceSchema: 'analytics', targetSchema: 'k_resume', salt: SALT }),
    ).rejects.toThrow('connection lost');
    const resumed = await cloneTables(tables, {
      source: executor,
      sourceSchema: 'analytics',
      targetSchema: 'k_resume',
      salt: SALT,
    });
    expect(resumed.map((r) => `${r.table}:${r.action}`)).toStrictEqual([
      'customers:unchanged',
      'orders:unchanged',
      'products:created',
      'order_items:created',
    ]);
    expect(resumed.map((r) => r.rows)).toStrictEqual(first.map((r) => r.rows));
  });

  it('should rebuild a table and its children when the salt changes', async () => {
    const tables = planTables(parseClonePlan(PLAN), await readCatalog(executor, 'analytics'));
    const other = await cloneTables(tables, {
      source: executor,
      sourceSchema: 'analytics',
      targetSchema: 'k_resume',
      salt: 'another-salt-0123456789',
    });
    // products has no masked column, so the salt does not change it; order_items follows the rebuilt orders.
    expect(other.map((r) => `${r.table}:${r.action}`)).toStrictEqual([
      'customers:created',
      'orders:created',
      'products:unchanged',
      'order_items:created',
    ]);
    const { rows } = await client.query(`
      SELECT count(*) AS same FROM k_resume.customers a JOIN k_profit_report.customers b USING (customer_id) WHERE a.email = b.email`);
    expect(rows[0].same).toBe('0');
  });

  it('should select the same rows with the self-contained query the cross-environment UNLOAD runs', async () => {
    const tables = planTables(parseClonePlan(PLAN), await readCatalog(executor, 'analytics'));
    for (const table of tables) {
      const query = maskedSelect(table, { sourceSchema: 'analytics', tables, parentKeys: { from: 'source' } }, SALT);
      const { rows } = await client.query(`
        SELECT (SELECT count(*) FROM (${query}) q) AS n,
               (SELECT count(*) FROM (SELECT * FROM (${query}) a EXCEPT SELECT * FROM k_profit_report.${table.name}) d) AS extra`);
      expect({ table: table.name, n: Number(rows[0].n), extra: rows[0].extra }).toStrictEqual({
        table: table.name,
        n: first.find((r) => r.table === table.name)!.rows,
        extra: '0',
      });
    }
  });

  it('should leave the source schema byte-for-byte unchanged', async () => {
    expect(await schemaChecksum(client, 'analytics')).toBe(sourceBefore);
  });

  it('fails when the Kitchen schema is the source schema', async () => {
    await expect(
      cloneTables([], { source: executor, sourceSchema: 'analytics', targetSchema: 'analytics', salt: SALT }),
    ).rejects.toThrow(
      'the Kitchen schema must differ from the source schema, got: "analytics" for both (the cloner never writes to its parent)',
    );
  });

  it('fails before anything runs when a where filter names an unknown column', async () => {
    const plan = parseClonePlan({ tables: [{ name: 'orders', sample: { where: 'shipped_on > 1' } }] });
    const tables = planTables(plan, await readCatalog(executor, 'analytics'));
    const problems = await preflightTables(tables, {
      source: executor,
      sourceSchema: 'analytics',
      targetSchema: 'k_bad',
      salt: SALT,
    });
    expect(problems).toStrictEqual([
      'table orders: sample.where is not valid for the source table: column "shipped_on" does not exist, got: "shipped_on > 1"',
    ]);
    const { rows } = await client.query(
      `SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = 'k_bad'`,
    );
    expect(rows[0].n).toBe('0');
  });
});
