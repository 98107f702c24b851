import { createHash } from 'crypto';
import { Client } from 'pg';
import { readCatalog } from '../../../lib/clone/catalog';
import { PostgresExecutor } from '../../../lib/clone/executor';
import { parseClonePlan, planTables, TablePlan } from '../../../lib/clone/planner';
import {
  publishSnapshot,
  readDirectoryPointer,
  seedKitchen,
  SeedResult,
  SnapshotPointer,
} from '../../../lib/clone/snapshot';
import { freshDatabase, schemaChecksum, SHOP_CUSTOMERS_MASK, SHOP_ORDERS_MASK, SHOP_SCHEMA } from './fixtures';
import { asUser, ensureUser, exportDirectory, PLAN_AT, RecordingExecutor, setupProduction } from './support';

const FRACTION = 0.2;
const LOCATION = { file: 'kitchens.config.yaml', at: 'environments.dev.clone' };

const PLAN = {
  tables: [
    {
      name: 'order_items',
      mask: { item_id: 'keep', order_id: 'keep', sku: 'keep', quantity: 'keep' },
    },
    {
      name: 'orders',
      sample: {
        where: {
          or: [
            { column: 'status', op: '<>', value: 'new' },
            { column: 'amount', op: '>', value: 400 },
          ],
        },
      },
      mask: SHOP_ORDERS_MASK,
    },
    {
      name: 'customers',
      sample: { fraction: FRACTION, key: 'customer_id' },
      mask: SHOP_CUSTOMERS_MASK,
    },
    { name: 'products', mask: { sku: 'keep', title: 'keep', price: 'keep' } },
  ],
};

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('publish in production, seed in development (PostgreSQL)', () => {
  let url: string;
  let admin: Client;
  let tables: TablePlan[];
  let cloner: RecordingExecutor;
  let seeder: PostgresExecutor;
  let location: { kind: 'directory'; path: string };
  let pointer: SnapshotPointer;
  let seeded: SeedResult[];
  let sourceBefore: string;

  beforeAll(async () => {
    url = await freshDatabase('clone_publish_test');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(SHOP_SCHEMA);
    await admin.query(
      "CREATE TABLE analytics.payroll (employee text, salary integer); INSERT INTO analytics.payroll VALUES ('ceo', 1)",
    );
    sourceBefore = await schemaChecksum(admin, 'analytics');
    const catalogReader = new PostgresExecutor(url);
    tables = planTables(parseClonePlan(PLAN, LOCATION), await readCatalog(catalogReader, 'analytics'), LOCATION);
    await catalogReader.close();
    await setupProduction(admin, tables);
    // The development side: a seeder user that may read server files (the stand-in of the COPY role chain), a
    // Kitchen schema owned by the administrator and a Kitchen user given read/write by default privileges.
    await ensureUser(admin, 'kitchens_seeder', 'pg_read_server_files');
    await ensureUser(admin, 'k_profit_report');
    await admin.query(`
      CREATE SCHEMA k_profit_report; GRANT ALL ON SCHEMA k_profit_report TO kitchens_seeder;
      GRANT USAGE ON SCHEMA k_profit_report TO k_profit_report;
      ALTER DEFAULT PRIVILEGES FOR ROLE kitchens_seeder IN SCHEMA k_profit_report
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO k_profit_report;`);
    location = { kind: 'directory', path: exportDirectory('kitchens-export') };
    cloner = new RecordingExecutor(asUser(url, 'kitchens_cloner'));
    pointer = await publishSnapshot({ executor: cloner, tables, sourceSchema: 'analytics', location, run: 'run-1' });
    seeder = new PostgresExecutor(asUser(url, 'kitchens_seeder'));
    seeded = await seedKitchen({
      executor: seeder,
      targetSchema: 'k_profit_report',
      location,
      pointer: readDirectoryPointer(location),
    });
  });

  afterAll(async () => {
    await cloner.close();
    await seeder.close();
    await admin.end();
  });

  it('should publish parents before children and point latest at the complete run', () => {
    expect(pointer.tables).toStrictEqual(['customers', 'orders', 'products', 'order_items']);
    expect(readDirectoryPointer(location)).toStrictEqual(pointer);
    expect(seeded.map((r) => `${r.table}:${r.action}`)).toStrictEqual([
      'customers:created',
      'orders:created',
      'products:created',
      'order_items:created',
    ]);
  });

  it('should never change the source', async () => {
    expect(await schemaChecksum(admin, 'analytics')).toBe(sourceBefore);
  });

  it('should sample a fraction of the customers by hash of the key', () => {
    const customers = seeded.find((r) => r.table === 'customers')!.rows;
    expect(Math.abs(customers / 2000 - FRACTION)).toBeLessThan(0.03);
  });

  it('should keep every foreign key of the Kitchen resolvable', async () => {
    const { rows } = await admin.query(`
      SELECT (SELECT count(*) FROM k_profit_report.orders o WHERE o.customer_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM k_profit_report.customers c WHERE c.customer_id = o.customer_id)) AS orphan_orders,
             (SELECT count(*) FROM k_profit_report.order_items i
                WHERE NOT EXISTS (SELECT 1 FROM k_profit_report.orders o WHERE o.order_id = i.order_id)) AS orphan_items,
             (SELECT count(*) FROM k_profit_report.order_items i
                WHERE NOT EXISTS (SELECT 1 FROM k_profit_report.products p WHERE p.sku = i.sku)) AS orphan_skus,
             (SELECT count(*) FROM k_profit_report.orders) AS orders,
             (SELECT count(*) FROM k_profit_report.order_items) AS items`);
    expect([rows[0].orphan_orders, rows[0].orphan_items, rows[0].orphan_skus].map(Number)).toStrictEqual([0, 0, 0]);
    expect(Number(rows[0].orders)).toBeGreaterThan(0);
    expect(Number(rows[0].items)).toBeGreaterThan(0);
  });

  it('should apply the structured filter', async () => {
    const { rows } = await admin.query(
      `SELECT count(*) AS bad FROM k_profit_report.orders WHERE status = 'new' AND amount <= 400`,
    );
    expect(Number(rows[0].bad)).toBe(0);
  });

  it('should hash with the production key as H(outer || H(inner || value)), deterministic across tables', async () => {
    const key = (await admin.query('SELECT inner_key, outer_key FROM kitchens_clone.hash_key')).rows[0];
    const { rows } = await admin.query(`
      SELECT s.email AS source, k.email AS masked FROM k_profit_report.customers k JOIN analytics.customers s USING (customer_id)
      ORDER BY customer_id LIMIT 20`);
    expect(rows.length).toBe(20);
    for (const r of rows) {
      expect(r.masked).toBe(sha(key.outer_key + sha(key.inner_key + r.source)));
    }
    const joined = await admin.query(`
      SELECT count(*) AS n, count(*) FILTER (WHERE o.customer_email = c.email) AS same
      FROM k_profit_report.orders o JOIN k_profit_report.customers c USING (customer_id)`);
    expect(Number(joined.rows[0].n)).toBeGreaterThan(0);
    expect(Number(joined.rows[0].same)).toBe(Number(joined.rows[0].n));
  });

  it('should never put the key in a statement the cloner sends', async () => {
    const key = (await admin.query('SELECT inner_key, outer_key FROM kitchens_clone.hash_key')).rows[0];
    expect(cloner.statements.length).toBeGreaterThan(3);
    const leaks = cloner.statements.filter((s) => s.includes(key.inner_key) || s.includes(key.outer_key));
    expect(leaks).toStrictEqual([]);
  });

  it('should leave no source value of a hash, redact or null column in the Kitchen', async () => {
    const masked: Record<string, string[]> = {
      customers: ['email', 'full_name', 'phone', 'birth_date', 'signup_ip'],
      orders: ['customer_email'],
    };
    for (const [table, columns] of Object.entries(masked)) {
      for (const column of columns) {
        // Value by value: every distinct source value against every column of every Kitchen row, as text.
        const { rows } = await admin.query(
          `SELECT count(*) AS leaks FROM (SELECT DISTINCT CAST(${column} AS text) AS v FROM analytics.${table} WHERE ${column} IS NOT NULL) s
           JOIN (SELECT DISTINCT j.value AS v FROM k_profit_report.${table} kk, jsonb_each_text(to_jsonb(kk)) j) t ON t.v = s.v`,
        );
        expect(`${table}.${column}: ${Number(rows[0].leaks)}`).toBe(`${table}.${column}: 0`);
      }
    }
    const { rows } = await admin.query(`
      SELECT count(*) FILTER (WHERE full_name IS DISTINCT FROM 'REDACTED') AS not_redacted,
             count(*) FILTER (WHERE birth_date IS NOT NULL OR signup_ip IS NOT NULL) AS not_null
      FROM k_profit_report.customers`);
    expect([rows[0].not_redacted, rows[0].not_null].map(Number)).toStrictEqual([0, 0]);
  });

  it('should let the Kitchen user read and write what the seed created (schema default privileges)', async () => {
    const kitchenUser = new Client({ connectionString: asUser(url, 'k_profit_report') });
    await kitchenUser.connect();
    try {
      const { rows } = await kitchenUser.query('SELECT count(*) AS n FROM k_profit_report.products');
      expect(Number(rows[0].n)).toBe(200);
      await kitchenUser.query(`INSERT INTO k_profit_report.products VALUES ('SKU-NEW', 'new', 1)`);
      await kitchenUser.query(`DELETE FROM k_profit_report.products WHERE sku = 'SKU-NEW'`);
    } finally {
      await kitchenUser.end();
    }
  });

  it('should give the cloner user SELECT on the plan tables only', async () => {
    const c = new Client({ connectionString: asUser(url, 'kitchens_cloner') });
    await c.connect();
    try {
      await expect(c.query('SELECT * FROM analytics.payroll')).rejects.toThrow('permission denied for table payroll');
      await expect(c.query(`UPDATE analytics.customers SET email = 'x'`)).rejects.toThrow(
        'permission denied for table customers',
      );
      await expect(c.query('CREATE TABLE analytics.stolen (x int)')).rejects.toThrow(
        'permission denied for schema analytics',
      );
    } finally {
      await c.end();
    }
  });

  it('should not rebuild what a re-run finds already seeded from the same snapshot', async () => {
    const again = await seedKitchen({ executor: seeder, targetSchema: 'k_profit_report', location, pointer });
    expect(again.map((r) => r.action)).toStrictEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(again.map((r) => r.rows)).toStrictEqual(seeded.map((r) => r.rows));
  });

  it('should publish the same masked values on the next run (joins across runs keep working)', async () => {
    const next = await publishSnapshot({ executor: cloner, tables, sourceSchema: 'analytics', location, run: 'run-2' });
    await seedKitchen({ executor: seeder, targetSchema: 'k_profit_report', location, pointer: next });
    const { rows } = await admin.query(`SELECT count(*) AS n FROM k_profit_report.customers`);
    expect(Number(rows[0].n)).toBe(seeded.find((r) => r.table === 'customers')!.rows);
    const state = await admin.query(
      'SELECT count(DISTINCT fingerprint) AS n FROM k_profit_report.kitchens_clone_state',
    );
    expect(Number(state.rows[0].n)).toBe(4);
  });

  it('fails the job with the column list when production gains a column the plan does not declare', async () => {
    await admin.query('ALTER TABLE analytics.customers ADD COLUMN phonenumber varchar(40)');
    try {
      await expect(
        publishSnapshot({ executor: cloner, tables, sourceSchema: 'analytics', location, run: 'run-3' }),
      ).rejects.toThrow(`clone plan refused: columns without a declared strategy in ${PLAN_AT}: customers.phonenumber`);
      expect(readDirectoryPointer(location).run).toBe('run-2');
    } finally {
      await admin.query('ALTER TABLE analytics.customers DROP COLUMN phonenumber');
    }
  });

  it('fails the job when the key table does not hold exactly one key', async () => {
    await admin.query('INSERT INTO kitchens_clone.hash_key SELECT inner_key, outer_key FROM kitchens_clone.hash_key');
    try {
      await expect(
        publishSnapshot({ executor: cloner, tables, sourceSchema: 'analytics', location, run: 'run-4' }),
      ).rejects.toThrow('clone plan refused: kitchens_clone.hash_key must hold exactly one key, holds 2');
    } finally {
      await admin.query(
        'DELETE FROM kitchens_clone.hash_key WHERE ctid <> (SELECT min(ctid) FROM kitchens_clone.hash_key)',
      );
    }
  });

  it('should render a hostile filter value as a literal: no extra rows, no clear email', async () => {
    const hostile =
      "x') UNION ALL SELECT c.customer_id, c.email, 0, 'paid', DATE '2024-01-01' FROM analytics.customers c WHERE ('1'='1";
    const plan = parseClonePlan(
      { tables: [{ ...PLAN.tables[1], sample: { where: { column: 'status', op: '=', value: hostile } } }] },
      LOCATION,
    );
    const catalogReader = new PostgresExecutor(url);
    const hostileTables = planTables(plan, await readCatalog(catalogReader, 'analytics'), LOCATION).filter(
      (t) => t.name === 'orders',
    );
    await catalogReader.close();
    await admin.query('CREATE SCHEMA k_hostile; GRANT ALL ON SCHEMA k_hostile TO kitchens_seeder');
    const run = await publishSnapshot({
      executor: cloner,
      tables: hostileTables,
      sourceSchema: 'analytics',
      location,
      run: 'hostile',
    });
    await seedKitchen({ executor: seeder, targetSchema: 'k_hostile', location, pointer: run });
    const { rows } = await admin.query(`SELECT count(*) AS n FROM k_hostile.orders`);
    expect(Number(rows[0].n)).toBe(0);
  });
});
