/**
 * What a deploy re-runs after a failed setup: the whole setup again (the deploy-time run starts the setup state
 * machine from its first statement). On PostgreSQL, with the same statements the setup state machine sends to
 * Redshift in its PostgreSQL rendering: a setup that fails half-way (a grant on a table that does not exist yet)
 * succeeds once the cause is fixed, and keeps the key the failed run already created.
 */
import { Client } from 'pg';
import { parseClonePlan, planDeclared } from '../../../lib/clone/planner';
import { freshDatabase } from './fixtures';
import { setupProduction } from './support';

describe('the clone setup, run again after it failed half-way (PostgreSQL)', () => {
  let admin: Client;
  const tables = planDeclared(
    parseClonePlan({
      schema: 'analytics',
      tables: [
        { name: 'customers', mask: { customer_id: 'keep', email: 'hash' } },
        { name: 'orders', mask: { order_id: 'keep', customer_id: 'keep' } },
      ],
    }),
  );
  const keys = async () => (await admin.query('SELECT inner_key, outer_key FROM kitchens_clone.hash_key')).rows;

  beforeAll(async () => {
    admin = new Client({ connectionString: await freshDatabase('clone_setup_rerun_test') });
    await admin.connect();
    await admin.query('CREATE SCHEMA analytics; CREATE TABLE analytics.customers (customer_id integer, email text)');
  });
  afterAll(() => admin.end());

  it('fails on the grant of a missing table, and succeeds on the re-run after the table exists, keeping its key', async () => {
    // GIVEN a plan naming a table production does not have yet: the setup fails at its grant
    await expect(setupProduction(admin, tables)).rejects.toThrow('relation "analytics.orders" does not exist');
    const drawn = await keys();
    expect(drawn).toHaveLength(1);
    expect(drawn[0].inner_key).toMatch(/^[0-9a-f]{64}$/);

    // WHEN the cause is fixed and the whole setup runs again, twice
    await admin.query('CREATE TABLE analytics.orders (order_id integer, customer_id integer)');
    await setupProduction(admin, tables);
    await setupProduction(admin, tables);

    // THEN the same key, once, and the cloner may read both tables
    expect(await keys()).toStrictEqual(drawn);
    const { rows } = await admin.query(
      "SELECT has_table_privilege('kitchens_cloner', 'analytics.customers', 'SELECT') AS customers, has_table_privilege('kitchens_cloner', 'analytics.orders', 'SELECT') AS orders",
    );
    expect(rows).toStrictEqual([{ customers: true, orders: true }]);
  });
});
