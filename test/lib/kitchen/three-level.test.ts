/**
 * A three-level Kitchen tree (dev <- tree-integration <- tree-feature), through its whole life: created (stacks in
 * moto's CloudFormation with the tags `kitchen create` gives them, schemas and users by the Kitchen provider's Lambda
 * code on PostgreSQL, as the provisioner), seeded (the child from its parent's tables, server-side, as the cloner),
 * worked in (each Kitchen's own user writes tables, as its pipelines do), refreshed, compared (`kitchen align
 * --kitchen CHILD --against PARENT`) and deleted (`kitchen delete --cascade`, then the provider drops the schemas).
 */
import * as path from 'path';
import { Client } from 'pg';
import { refreshFromParent } from '../../../lib/kitchen/refresh';
import { describeKitchenStack } from '../../../lib/kitchen/stacks';
import { kitchen as cli } from '../../cli/support/cli';
import { EXAMPLE_CONFIG, exampleConfig } from '../../support/app';
import { freshDatabase } from '../clone/fixtures';
import { asUser, ensureUser, RecordingExecutor } from '../clone/support';
import { kitchenTags, motoCloudFormation, putStack, useMotoAccount } from './moto';
// The Kitchen provider's Lambda code, run here with its SQL bound to PostgreSQL connections.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require('../../../lambda/kitchen-resources/index.js');

const APP = path.join(__dirname, '..', '..', '..', 'lib', 'app.ts');
const PARENT = 'tree-integration';
const CHILD = 'tree-feature';
const SCHEMA: Record<string, string> = { [PARENT]: 'k_tree_integration', [CHILD]: 'k_tree_feature' };
const USER: Record<string, string> = { [PARENT]: 'k_tree_integration_user', [CHILD]: 'k_tree_feature_user' };
const PROVISIONER_SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:acme/dev/kitchens-provisioner-AbCdEf';
const secretArn = (k: string) =>
  `arn:aws:secretsmanager:eu-west-1:222222222222:secret:acme/dev/kitchens/${k}/warehouse-AbCdEf`;
const USERS: Record<string, string> = {
  [PROVISIONER_SECRET]: 'kitchens_provisioner',
  [secretArn(PARENT)]: USER[PARENT],
  [secretArn(CHILD)]: USER[CHILD],
};
const PASSWORDS: Record<string, string> = {
  [PROVISIONER_SECRET]: 'pr0visioner-pw',
  [secretArn(PARENT)]: 'parent-pw',
  [secretArn(CHILD)]: 'child-pw',
};

describe('a three-level Kitchen tree on moto and PostgreSQL: created, seeded, refreshed, compared, deleted', () => {
  const config = exampleConfig();
  const dev = config.environments.find((e) => e.name === 'dev')!;
  useMotoAccount(dev.account, 'three-level');
  const database = 'kitchen_tree_test';
  let url: string;
  let admin: Client;
  let cloner: RecordingExecutor;
  const sessions: Client[] = [];
  const as = async (user: string) => {
    const client = new Client({ connectionString: asUser(url, user) });
    await client.connect();
    sessions.push(client);
    return client;
  };
  const scalar = async (client: Client, sql: string) => Object.values((await client.query(sql)).rows[0])[0];
  // the provider's dependencies: its own statements as the provisioner, the Kitchen user's as that user
  const providerDeps = (provisioner: Client) => ({
    execute: async (text: string) => {
      await provisioner.query(text);
    },
    query: async (text: string) => (await provisioner.query(text)).rows,
    executeAs: async (secret: string, text: string) => {
      await (await as(USERS[secret])).query(text);
    },
    queryAs: async (secret: string, text: string) => (await (await as(USERS[secret])).query(text)).rows,
    getSecret: async (arn: string) => JSON.stringify({ username: USERS[arn], password: PASSWORDS[arn] }),
  });
  const providerConfig = {
    serves: ['Custom::KitchenSchema'],
    project: 'acme',
    environment: 'dev',
    database,
    secretArn: PROVISIONER_SECRET,
    buckets: [],
    writers: ['kitchens_cloner'],
  };
  const schemaEvent = (requestType: 'Create' | 'Delete', k: string) => ({
    RequestType: requestType,
    ResourceType: 'Custom::KitchenSchema',
    ResourceProperties: { Kitchen: k, KitchenSecretArn: secretArn(k) },
  });
  let provisioner: Client;

  beforeAll(async () => {
    url = await freshDatabase(database);
    admin = new Client({ connectionString: url });
    await admin.connect();
    await ensureUser(admin, 'kitchens_cloner');
    // roles are shared by the test server's databases, and other files change them too: one at a time
    await admin.query('SELECT pg_advisory_lock(90009)');
    try {
      for (const k of [CHILD, PARENT]) {
        await admin.query(`DROP OWNED BY ${USER[k]} CASCADE`).catch(() => undefined);
        await admin.query(`DROP USER IF EXISTS ${USER[k]}`);
      }
      // the environment's warehouse-users function, as the admin: the provisioner, and the writers' defaults
      await handler.run(
        {
          RequestType: 'Create',
          ResourceType: 'Custom::WarehouseUser',
          ResourceProperties: { Kind: 'provisioner', SecretArn: PROVISIONER_SECRET },
        },
        {
          execute: async (text: string) => {
            await admin.query(text);
          },
          query: async (text: string) => (await admin.query(text)).rows,
          getSecret: async (arn: string) => JSON.stringify({ username: USERS[arn], password: PASSWORDS[arn] }),
        },
        {
          serves: ['Custom::WarehouseUser'],
          dialect: 'postgresql',
          database,
          userSecretArn: PROVISIONER_SECRET,
          writers: ['kitchens_cloner'],
        },
      );
    } finally {
      await admin.query('SELECT pg_advisory_unlock(90009)');
    }
    provisioner = await as('kitchens_provisioner');
    cloner = new RecordingExecutor(asUser(url, 'kitchens_cloner'));
  });

  afterAll(async () => {
    await cloner?.close();
    for (const s of sessions) await s.end().catch(() => undefined);
    await admin?.end();
  });

  it('should live through create, seed, work, refresh, compare and delete', async () => {
    const cfn = motoCloudFormation(dev.region);
    const stack = (k: string) => `acme-dev-kitchen-${k}`;
    const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');

    // CREATED: the stacks, tagged as `kitchen create` tags them (the child's expiry within its parent's) ...
    await putStack(cfn, stack(PARENT), kitchenTags(PARENT, { 'kitchens:parent': 'dev', 'kitchens:expires': days(14) }));
    await putStack(cfn, stack(CHILD), kitchenTags(CHILD, { 'kitchens:parent': PARENT, 'kitchens:expires': days(3) }));
    const listed = await cli(['list', '--tree'], EXAMPLE_CONFIG);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split('\n');
    const parentLine = lines.findIndex((l) => / tree-integration {2}/.test(l));
    expect(lines[parentLine + 1]).toMatch(/^[│ ] {3}[└├]── tree-feature {2}/);
    expect(lines[parentLine]).toMatch(/^[└├]── tree-integration {2}/);
    // ... and their schemas and users, by the Kitchen provider as the provisioner
    for (const k of [PARENT, CHILD])
      await handler.run(schemaEvent('Create', k), providerDeps(provisioner), providerConfig);

    // the parent's pipelines run as its own user and write its tables
    const parentUser = await as(USER[PARENT]);
    await parentUser.query(`
      CREATE TABLE ${SCHEMA[PARENT]}.orders (id integer, customer_hash varchar(64), amount numeric(12,2));
      INSERT INTO ${SCHEMA[PARENT]}.orders SELECT g, md5(g::text), g * 0.5 FROM generate_series(1, 1000) g;
      CREATE TABLE ${SCHEMA[PARENT]}.daily_revenue AS SELECT 1 AS day, sum(amount) AS revenue FROM ${SCHEMA[PARENT]}.orders;
    `);
    // what its user creates, the cloner may read (the provider set the Kitchen user's default privileges)
    expect(
      await scalar(admin, `SELECT has_table_privilege('kitchens_cloner', '${SCHEMA[PARENT]}.orders', 'SELECT')`),
    ).toBe(true);

    // SEEDED: the child gets the parent's tables, server-side, as the cloner (what `create --from` runs)
    const seeded = await refreshFromParent(cloner, { parentSchema: SCHEMA[PARENT], childSchema: SCHEMA[CHILD] });
    expect(seeded.tables).toStrictEqual([
      { table: 'daily_revenue', rows: 1, action: 'created' },
      { table: 'orders', rows: 1000, action: 'created' },
    ]);
    const same = async (table: string) =>
      (
        await admin.query(
          `(SELECT * FROM ${SCHEMA[PARENT]}.${table} EXCEPT SELECT * FROM ${SCHEMA[CHILD]}.${table}) UNION ALL ` +
            `(SELECT * FROM ${SCHEMA[CHILD]}.${table} EXCEPT SELECT * FROM ${SCHEMA[PARENT]}.${table})`,
        )
      ).rows;
    expect(await same('orders')).toStrictEqual([]);
    // every row moved inside the warehouse, between the two Kitchens' schemas only (a Kitchen holds masked data)
    const moved = cloner.statements.filter((s) => /^INSERT INTO/.test(s));
    expect(moved).toStrictEqual([
      `INSERT INTO "${SCHEMA[CHILD]}"."daily_revenue__kitchen_refresh" SELECT * FROM "${SCHEMA[PARENT]}"."daily_revenue"`,
      `INSERT INTO "${SCHEMA[CHILD]}"."orders__kitchen_refresh" SELECT * FROM "${SCHEMA[PARENT]}"."orders"`,
    ]);

    // the child's own work: its user reads the seeded copies and writes a table only it has
    const childUser = await as(USER[CHILD]);
    expect(await scalar(childUser, `SELECT count(*)::int FROM ${SCHEMA[CHILD]}.orders`)).toBe(1000);
    await childUser.query(`CREATE TABLE ${SCHEMA[CHILD]}.experiment AS SELECT 'mine' AS note`);
    // and its pipelines build a table the parent's code builds too, once merged (owned by the child's user)
    await childUser.query(`CREATE TABLE ${SCHEMA[CHILD]}.customers (customer_hash varchar(64))`);
    await childUser.query(`INSERT INTO ${SCHEMA[CHILD]}.customers VALUES ('built by the child')`);
    // the child's user cannot touch its parent
    await expect(childUser.query(`SELECT count(*) FROM ${SCHEMA[PARENT]}.orders`)).rejects.toThrow(/permission denied/);

    // the parent moves on: more orders from its pipelines, and a new table
    await parentUser.query(`
      INSERT INTO ${SCHEMA[PARENT]}.orders SELECT g, md5(g::text), g * 0.5 FROM generate_series(1001, 1500) g;
      CREATE TABLE ${SCHEMA[PARENT]}.customers AS SELECT DISTINCT customer_hash FROM ${SCHEMA[PARENT]}.orders;
    `);

    // REFRESHED: the grandchild of dev takes its parent's current tables, keeps its own, and can be refreshed again
    for (const run of [1, 2]) {
      const refreshed = await refreshFromParent(cloner, { parentSchema: SCHEMA[PARENT], childSchema: SCHEMA[CHILD] });
      expect({ run, tables: refreshed.tables, kept: refreshed.kept }).toStrictEqual({
        run,
        tables: [
          { table: 'customers', rows: 1500, action: 'replaced' },
          { table: 'daily_revenue', rows: 1, action: 'replaced' },
          { table: 'orders', rows: 1500, action: 'replaced' },
        ],
        kept: ['experiment'],
      });
    }
    expect(await same('orders')).toStrictEqual([]);
    expect(await same('customers')).toStrictEqual([]);
    expect(await scalar(childUser, `SELECT note FROM ${SCHEMA[CHILD]}.experiment`)).toBe('mine');
    // the child's own customers table could not be dropped by the cloner: its rows were replaced, it stays the child's
    expect(
      await scalar(
        admin,
        `SELECT tableowner FROM pg_tables WHERE schemaname = '${SCHEMA[CHILD]}' AND tablename = 'customers'`,
      ),
    ).toBe(USER[CHILD]);
    expect(cloner.statements.filter((s) => s.startsWith(`DELETE FROM "${SCHEMA[CHILD]}"."customers"`))).toStrictEqual([
      `DELETE FROM "${SCHEMA[CHILD]}"."customers"`,
      `DELETE FROM "${SCHEMA[CHILD]}"."customers"`,
    ]);
    expect(await scalar(childUser, `SELECT count(*)::int FROM ${SCHEMA[CHILD]}.customers`)).toBe(1500);

    // COMPARED: the child as this checkout builds it against its parent as deployed; differences are reported
    const compared = await cli(['align', '--kitchen', CHILD, '--against', PARENT, '--app', APP], EXAMPLE_CONFIG);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(
      new RegExp(
        `^Kitchen ${CHILD} differs from its parent ${PARENT} \\(deployed \`${stack(PARENT)}\`\\): \\d+ template differences`,
      ),
    );

    // DELETED: refused while the child lives, then children first with --cascade
    const refused = await cli(['delete', PARENT, '--yes'], EXAMPLE_CONFIG);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Kitchen ${PARENT} has live child Kitchens: ${CHILD}`);
    const cascade = await cli(['delete', PARENT, '--cascade', '--yes'], EXAMPLE_CONFIG);
    expect({ code: cascade.code, stderr: cascade.code === 0 ? '' : cascade.stderr }).toStrictEqual({
      code: 0,
      stderr: '',
    });
    expect(cascade.stdout).toContain(`Kitchen ${PARENT} deleted (stack ${stack(PARENT)})`);
    expect(await describeKitchenStack(cfn, stack(CHILD))).toBeUndefined();
    expect(await describeKitchenStack(cfn, stack(PARENT))).toBeUndefined();
    // the stacks' Kitchen provider drops each schema and user, the child's first
    for (const k of [CHILD, PARENT])
      await handler.run(schemaEvent('Delete', k), providerDeps(provisioner), providerConfig);
    expect(
      (await admin.query(`SELECT nspname FROM pg_namespace WHERE nspname IN ('${SCHEMA[PARENT]}', '${SCHEMA[CHILD]}')`))
        .rows,
    ).toStrictEqual([]);
    cfn.destroy();
  }, 600_000);
});
