import { Client } from 'pg';
import { STATE_TABLE } from '../../../lib/clone/sql';
import {
  kitchenSchemas,
  REFRESH_SUFFIX,
  RefreshError,
  refreshFromParent,
  type RefreshProgress,
} from '../../../lib/kitchen/refresh';
import { freshDatabase } from '../clone/fixtures';
import { asUser, ensureUser, RecordingExecutor } from '../clone/support';
import { exampleConfigNoCdk } from './config';

/**
 * A development warehouse with three Kitchen schemas of a tree (staging <- feature, and an unrelated one), written by
 * the cloner user as `kitchen clone` leaves them, and a refresh run as that user.
 */
describe('refreshing a child Kitchen from its parent, on PostgreSQL', () => {
  let url: string;
  let admin: Client;
  let cloner: RecordingExecutor;

  const rows = async (sql: string) => (await admin.query(sql)).rows;

  beforeAll(async () => {
    url = await freshDatabase('kitchen_refresh_test');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await ensureUser(admin, 'kitchens_cloner');
    for (const schema of ['k_staging', 'k_feature', 'k_other']) {
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA ${schema} TO kitchens_cloner`);
    }
    const asCloner = new Client({ connectionString: asUser(url, 'kitchens_cloner') });
    await asCloner.connect();
    await asCloner.query(`
      CREATE TABLE k_staging.customers (id integer PRIMARY KEY, email_hash varchar(64), country char(2));
      INSERT INTO k_staging.customers SELECT g, md5(g::text), 'NL' FROM generate_series(1, 500) g;
      CREATE TABLE k_staging.orders (id integer, customer_id integer, amount numeric(12,2), placed_at timestamp);
      INSERT INTO k_staging.orders SELECT g, 1 + g % 500, g * 1.25, timestamp '2026-01-01' + g * interval '1 hour'
        FROM generate_series(1, 2000) g;
      CREATE TABLE k_staging.${STATE_TABLE} (table_name varchar(127) NOT NULL, fingerprint varchar(64) NOT NULL, row_count bigint NOT NULL);
      INSERT INTO k_staging.${STATE_TABLE} VALUES ('customers', 'f1', 500), ('orders', 'f2', 2000);
      CREATE TABLE k_feature.customers (id integer PRIMARY KEY, email_hash varchar(64), country char(2));
      INSERT INTO k_feature.customers VALUES (1, 'old', 'BE');
      CREATE TABLE k_feature.my_experiment (note text);
      INSERT INTO k_feature.my_experiment VALUES ('only the child has me');
      CREATE TABLE k_feature.${STATE_TABLE} (table_name varchar(127) NOT NULL, fingerprint varchar(64) NOT NULL, row_count bigint NOT NULL);
      INSERT INTO k_feature.${STATE_TABLE} VALUES ('customers', 'f0', 1), ('my_experiment', 'f9', 1);
      CREATE TABLE k_other.secret_stuff (x integer);
      INSERT INTO k_other.secret_stuff VALUES (42);
    `);
    await asCloner.end();
    cloner = new RecordingExecutor(asUser(url, 'kitchens_cloner'));
  });

  afterAll(async () => {
    await cloner.close();
    await admin.end();
  });

  it("should replace the child's copies of the parent's tables, create the missing ones, and keep the child's own", async () => {
    // GIVEN the progress a CLI would draw
    const events: RefreshProgress[] = [];

    // WHEN the feature Kitchen refreshes from staging
    const result = await refreshFromParent(cloner, {
      parentSchema: 'k_staging',
      childSchema: 'k_feature',
      progress: (e) => events.push(e),
    });

    // THEN the parent's tables arrived whole, the child's own table stayed, the bookkeeping was not copied
    expect(result.tables).toStrictEqual([
      { table: 'customers', rows: 500, action: 'replaced' },
      { table: 'orders', rows: 2000, action: 'created' },
    ]);
    expect(result.kept).toStrictEqual(['my_experiment']);
    expect(await rows('SELECT count(*)::int AS n, sum(amount)::text AS s FROM k_feature.orders')).toStrictEqual([
      { n: 2000, s: '2501250.00' },
    ]);
    const diff = await rows(
      '(SELECT * FROM k_staging.customers EXCEPT SELECT * FROM k_feature.customers) UNION ALL ' +
        '(SELECT * FROM k_feature.customers EXCEPT SELECT * FROM k_staging.customers)',
    );
    expect(diff).toStrictEqual([]);
    expect(await rows('SELECT note FROM k_feature.my_experiment')).toStrictEqual([{ note: 'only the child has me' }]);
    // the child's snapshot record of a replaced table is gone (a later `kitchen clone` seeds it again); others stay
    expect(await rows(`SELECT table_name FROM k_feature.${STATE_TABLE} ORDER BY 1`)).toStrictEqual([
      { table_name: 'my_experiment' },
    ]);
    // the copy kept the columns' types (LIKE), and no staged copy was left behind
    expect(
      await rows(
        "SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = 'k_feature' AND table_name = 'orders' ORDER BY ordinal_position",
      ),
    ).toStrictEqual([
      { column_name: 'id', data_type: 'integer', numeric_precision: 32, numeric_scale: 0 },
      { column_name: 'customer_id', data_type: 'integer', numeric_precision: 32, numeric_scale: 0 },
      { column_name: 'amount', data_type: 'numeric', numeric_precision: 12, numeric_scale: 2 },
      {
        column_name: 'placed_at',
        data_type: 'timestamp without time zone',
        numeric_precision: null,
        numeric_scale: null,
      },
    ]);
    expect(
      await rows(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%${REFRESH_SUFFIX}'`),
    ).toStrictEqual([]);
    expect(events).toStrictEqual([
      { table: 'customers', done: 0, total: 2 },
      { table: 'orders', done: 1, total: 2 },
      { done: 2, total: 2 },
    ]);
  });

  it('should move rows server-side only, reading no schema but the two Kitchens', () => {
    const moving = cloner.statements.filter((s) => /^INSERT INTO/.test(s));
    expect(moving).toStrictEqual([
      `INSERT INTO "k_feature"."customers${REFRESH_SUFFIX}" SELECT * FROM "k_staging"."customers"`,
      `INSERT INTO "k_feature"."orders${REFRESH_SUFFIX}" SELECT * FROM "k_staging"."orders"`,
    ]);
    const schemas = new Set(cloner.statements.flatMap((s) => [...s.matchAll(/"(k_[a-z_]+)"\./g)].map((m) => m[1])));
    expect([...schemas].sort()).toStrictEqual(['k_feature', 'k_staging']);
  });

  it('should give the same result when run again (idempotent)', async () => {
    const again = await refreshFromParent(cloner, { parentSchema: 'k_staging', childSchema: 'k_feature' });
    expect(again.tables).toStrictEqual([
      { table: 'customers', rows: 500, action: 'replaced' },
      { table: 'orders', rows: 2000, action: 'replaced' },
    ]);
    expect(await rows('SELECT count(*)::int AS n FROM k_feature.orders')).toStrictEqual([{ n: 2000 }]);
  });

  it('fails on one table and leaves it as it was, with the tables before it refreshed', async () => {
    // GIVEN new parent data, and a view of the child on its orders table (DROP TABLE refuses while it exists)
    await admin.query("INSERT INTO k_staging.customers VALUES (501, NULL, 'DE')");
    await admin.query('DELETE FROM k_staging.orders WHERE id > 1000');
    await admin.query('GRANT SELECT ON k_feature.orders TO kitchens_cloner');
    await admin.query('CREATE VIEW k_feature.big_orders AS SELECT * FROM k_feature.orders WHERE amount > 100');

    // WHEN the refresh runs
    const failed = refreshFromParent(cloner, { parentSchema: 'k_staging', childSchema: 'k_feature' });

    // THEN it stops at orders, which is as it was; customers (before it) is refreshed
    await expect(failed).rejects.toThrow(RefreshError);
    await expect(failed).rejects.toThrow(
      /^refreshing k_feature\.orders from k_staging\.orders failed, so it is as it was \(1 of 2 tables refreshed before it; run again after fixing\): /,
    );
    expect(await rows('SELECT count(*)::int AS n FROM k_feature.orders')).toStrictEqual([{ n: 2000 }]);
    expect(await rows('SELECT count(*)::int AS n FROM k_feature.customers')).toStrictEqual([{ n: 501 }]);

    // AND after the fix a re-run completes
    await admin.query('DROP VIEW k_feature.big_orders');
    await refreshFromParent(cloner, { parentSchema: 'k_staging', childSchema: 'k_feature' });
    expect(await rows('SELECT count(*)::int AS n FROM k_feature.orders')).toStrictEqual([{ n: 1000 }]);
  });

  it('fails before changing anything when a parent table cannot be read, naming it', async () => {
    await admin.query('CREATE TABLE k_staging.private_notes (x integer)');
    try {
      await expect(refreshFromParent(cloner, { parentSchema: 'k_staging', childSchema: 'k_feature' })).rejects.toThrow(
        'the warehouse user of the refresh cannot read k_staging.private_notes: grant it SELECT on them',
      );
      expect(
        await rows(
          "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'k_feature' AND table_name = 'private_notes'",
        ),
      ).toStrictEqual([{ n: 0 }]);
    } finally {
      await admin.query('DROP TABLE k_staging.private_notes');
    }
  });

  it.each([
    ['k_staging', 'k_staging', 'a Kitchen cannot be refreshed from itself (schema k_staging)'],
    [
      'k_gone',
      'k_feature',
      "the parent Kitchen's schema k_gone does not exist in the warehouse: create the Kitchen first",
    ],
    [
      'k_staging',
      'k_gone',
      "the child Kitchen's schema k_gone does not exist in the warehouse: create the Kitchen first",
    ],
  ])('fails on parent %s and child %s', async (parentSchema, childSchema, message) => {
    await expect(refreshFromParent(cloner, { parentSchema, childSchema })).rejects.toThrow(message);
  });

  it('should seed a new child Kitchen (kitchen create --from) in the schemas its Kitchen names give', async () => {
    // GIVEN the schemas of Kitchens seed-parent and seed-child of the example config, as their stacks create them
    const config = exampleConfigNoCdk();
    const dev = config.environments.find((e) => e.name === 'dev')!;
    const schemas = kitchenSchemas(config, dev, 'seed-child', 'seed-parent');
    expect(schemas).toStrictEqual({ parentSchema: 'k_seed_parent', childSchema: 'k_seed_child' });
    for (const schema of [schemas.parentSchema, schemas.childSchema]) {
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA ${schema} TO kitchens_cloner`);
    }
    const asCloner = new Client({ connectionString: asUser(url, 'kitchens_cloner') });
    await asCloner.connect();
    await asCloner.query(`CREATE TABLE k_seed_parent.accounts (id integer, plan varchar(10));
      INSERT INTO k_seed_parent.accounts SELECT g, 'basic' FROM generate_series(1, 50) g;`);
    await asCloner.end();

    // WHEN the new, empty child is seeded
    const result = await refreshFromParent(cloner, schemas);

    // THEN it holds the parent's table
    expect(result.tables).toStrictEqual([{ table: 'accounts', rows: 50, action: 'created' }]);
    expect(await rows('SELECT count(*)::int AS n FROM k_seed_child.accounts')).toStrictEqual([{ n: 50 }]);
  });
});
