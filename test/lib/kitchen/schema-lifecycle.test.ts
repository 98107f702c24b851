/**
 * The Kitchen provider's warehouse lifecycle on a real PostgreSQL, run the way it runs on AWS: the environment's
 * warehouse-users function (as the admin) sets up the provisioner, which is not a superuser; the Kitchen provider
 * then works only as that provisioner, and as the Kitchen user itself to drop what that user owns.
 */
import { Client } from 'pg';
// The Lambda code, executed here with its AWS calls bound to PostgreSQL connections.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require('../../../lambda/kitchen-resources/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sql = require('../../../lambda/kitchen-resources/sql.js');

const SCOPE = { project: 'acme', environment: 'dev' };
const secretArn = (kitchen: string) =>
  `arn:aws:secretsmanager:eu-west-1:222222222222:secret:acme/dev/kitchens/${kitchen}/warehouse-AbCdEf`;
const PROVISIONER_SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:acme/dev/kitchens-provisioner-AbCdEf';
const PASSWORDS: Record<string, string> = { [PROVISIONER_SECRET]: 'pr0visioner-pw' };
const USERS: Record<string, string> = { [PROVISIONER_SECRET]: 'kitchens_provisioner' };
for (const k of ['lifecycle-test', 'lifecycle-other']) {
  PASSWORDS[secretArn(k)] = `${k}-pw`;
  USERS[secretArn(k)] = `k_${k.replace(/-/g, '_')}_user`;
}
const KITCHEN = sql.kitchenIdentity('lifecycle-test');
const OTHER = sql.kitchenIdentity('lifecycle-other');

const url = () => new URL(process.env.KITCHENS_TEST_PG_URL!);
async function connectAs(user: string): Promise<Client> {
  const client = new Client({ host: '127.0.0.1', port: Number(url().port), user, password: 'x', database: 'postgres' });
  await client.connect();
  return client;
}

const providerConfig = {
  serves: ['Custom::KitchenSchema', 'Custom::KitchenPrefix'],
  ...SCOPE,
  database: 'postgres',
  secretArn: PROVISIONER_SECRET,
  buckets: [],
  writers: ['kitchens_cloner'],
};

function kitchenEvent(requestType: 'Create' | 'Update' | 'Delete', kitchen = 'lifecycle-test') {
  return {
    RequestType: requestType,
    ResourceType: 'Custom::KitchenSchema',
    ResourceProperties: { Kitchen: kitchen, KitchenSecretArn: secretArn(kitchen) },
  };
}

describe('the Kitchen warehouse lifecycle on PostgreSQL, as a provisioner that is not a superuser', () => {
  let admin: Client;
  let provisioner: Client;
  const sessions: Client[] = [];
  const executed: string[] = [];
  const as = async (secret: string) => {
    const client = await connectAs(USERS[secret]);
    sessions.push(client);
    return client;
  };
  const providerDeps = (failOn?: string) => ({
    execute: async (text: string) => {
      if (failOn && text.startsWith(failOn)) throw new Error(`injected failure on: ${failOn}`);
      executed.push(text);
      await provisioner.query(text);
    },
    query: async (text: string) => (await provisioner.query(text)).rows,
    executeAs: async (secret: string, text: string) => {
      const client = await as(secret);
      await client.query(text);
      await client.end();
    },
    queryAs: async (secret: string, text: string) => {
      const client = await as(secret);
      const rows = (await client.query(text)).rows;
      await client.end();
      return rows;
    },
    getSecret: async (arn: string) => JSON.stringify({ username: USERS[arn], password: PASSWORDS[arn] }),
  });
  const exists = async (catalog: string, column: string, value: string) =>
    (await admin.query(`SELECT 1 FROM ${catalog} WHERE ${column} = $1`, [value])).rowCount === 1;

  beforeAll(async () => {
    admin = new Client({ connectionString: process.env.KITCHENS_TEST_PG_URL });
    await admin.connect();
    for (const k of [KITCHEN, OTHER]) {
      await admin.query(`DROP SCHEMA IF EXISTS ${k.schema} CASCADE`);
      await admin.query(`DROP OWNED BY ${k.user} CASCADE`).catch(() => undefined);
      await admin.query(`DROP USER IF EXISTS ${k.user}`);
    }
    await admin.query('CREATE SCHEMA IF NOT EXISTS lifecycle_other');
    // Redshift lets every user create in public; PostgreSQL 15 does not by default
    await admin.query('GRANT CREATE ON SCHEMA public TO PUBLIC');
    // the cloner's user exists before the environment's users are set up (the clone stacks create it)
    await admin.query('DO $$ BEGIN CREATE USER kitchens_cloner; EXCEPTION WHEN duplicate_object THEN NULL; END $$');
    // WHEN the environment's warehouse-users function runs as the admin
    const adminDeps = {
      execute: async (text: string) => {
        await admin.query(text);
      },
      query: async (text: string) => (await admin.query(text)).rows,
      getSecret: providerDeps().getSecret,
    };
    await handler.run(
      {
        RequestType: 'Create',
        ResourceType: 'Custom::WarehouseUser',
        ResourceProperties: { Kind: 'provisioner', SecretArn: PROVISIONER_SECRET },
      },
      adminDeps,
      {
        serves: ['Custom::WarehouseUser'],
        dialect: 'postgresql',
        database: 'postgres',
        userSecretArn: PROVISIONER_SECRET,
        writers: ['kitchens_cloner'],
      },
    );
    provisioner = await connectAs('kitchens_provisioner');
  });
  afterAll(async () => {
    for (const s of sessions) await s.end().catch(() => undefined);
    await provisioner.end();
    await admin.query('DROP SCHEMA IF EXISTS lifecycle_other CASCADE');
    await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await admin.end();
  });

  it('should set up a provisioner that can create users but is not a superuser', async () => {
    const role = await admin.query(
      "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'kitchens_provisioner'",
    );
    expect(role.rows).toStrictEqual([{ rolsuper: false, rolcreaterole: true, rolcreatedb: false }]);
    await expect(provisioner.query('CREATE TABLE pg_catalog.nope (id int)')).rejects.toThrow(/permission denied/);
  });

  it('should create the schema and user after a failure half-way and a re-run, without the password in its SQL', async () => {
    // GIVEN a first attempt that fails after creating the user
    await expect(handler.run(kitchenEvent('Create'), providerDeps('CREATE SCHEMA'), providerConfig)).rejects.toThrow(
      'injected failure on: CREATE SCHEMA',
    );
    expect(await exists('pg_user', 'usename', KITCHEN.user)).toBe(true);
    expect(await exists('pg_namespace', 'nspname', KITCHEN.schema)).toBe(false);
    // WHEN CloudFormation runs it again, THEN it completes
    expect(await handler.run(kitchenEvent('Create'), providerDeps(), providerConfig)).toBe(
      'kitchen-schema:lifecycle-test',
    );
    expect(await exists('pg_namespace', 'nspname', KITCHEN.schema)).toBe(true);
    expect(executed.filter((s) => s.startsWith(`ALTER USER ${KITCHEN.user} PASSWORD`))).toHaveLength(1);
    const stored = await admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [KITCHEN.user]);
    expect(stored.rows[0].rolpassword).toBe(sql.md5Password(PASSWORDS[secretArn('lifecycle-test')], KITCHEN.user));
    expect(executed.join('\n')).not.toContain(PASSWORDS[secretArn('lifecycle-test')]);
    // AND an update changes nothing and does not fail
    await handler.run(kitchenEvent('Update'), providerDeps(), providerConfig);
    await handler.run(kitchenEvent('Create', 'lifecycle-other'), providerDeps(), providerConfig);
  });

  it('should let the Kitchen user work in its own schema only', async () => {
    const kitchen = await as(secretArn('lifecycle-test'));
    await kitchen.query(`CREATE TABLE ${KITCHEN.schema}.orders (id int)`);
    await kitchen.query(`INSERT INTO ${KITCHEN.schema}.orders VALUES (1)`);
    expect((await kitchen.query(`SELECT count(*)::int AS n FROM ${KITCHEN.schema}.orders`)).rows[0].n).toBe(1);
    await expect(kitchen.query('CREATE TABLE lifecycle_other.t (id int)')).rejects.toThrow(
      /permission denied for schema lifecycle_other/,
    );
    await expect(kitchen.query(`SELECT * FROM ${OTHER.schema}.x`)).rejects.toThrow(/permission denied for schema/);
  });

  it('should let the Kitchen user read and write tables the cloner creates in its schema later, and no other Kitchen', async () => {
    const cloner = await connectAs('kitchens_cloner');
    sessions.push(cloner);
    await cloner.query(`CREATE TABLE ${KITCHEN.schema}.customers (id int, name text)`);
    await cloner.query(`INSERT INTO ${KITCHEN.schema}.customers VALUES (1, 'masked')`);
    const kitchen = await as(secretArn('lifecycle-test'));
    expect((await kitchen.query(`SELECT name FROM ${KITCHEN.schema}.customers`)).rows).toStrictEqual([
      { name: 'masked' },
    ]);
    await kitchen.query(`INSERT INTO ${KITCHEN.schema}.customers VALUES (2, 'mine')`);
    await kitchen.query(`UPDATE ${KITCHEN.schema}.customers SET name = 'changed' WHERE id = 2`);
    const other = await as(secretArn('lifecycle-other'));
    await expect(other.query(`SELECT * FROM ${KITCHEN.schema}.customers`)).rejects.toThrow(
      /permission denied for schema k_lifecycle_test/,
    );
  });

  it('should delete the Kitchen after its user came to own objects outside its schema, even after a failure half-way', async () => {
    const kitchen = await as(secretArn('lifecycle-test'));
    await kitchen.query('CREATE TABLE public.k_lifecycle_test_scratch (id serial, v text)');
    await kitchen.query('CREATE VIEW public.k_lifecycle_test_view AS SELECT v FROM public.k_lifecycle_test_scratch');
    await kitchen.end();
    // a plain DROP USER fails on those objects: what the old custom resource ran into
    await expect(provisioner.query(`DROP USER ${KITCHEN.user}`)).rejects.toThrow(/cannot be dropped/);
    // GIVEN a delete that fails half-way
    await expect(handler.run(kitchenEvent('Delete'), providerDeps('DROP USER'), providerConfig)).rejects.toThrow(
      'injected failure on: DROP USER',
    );
    // WHEN CloudFormation retries it, THEN everything is gone
    await handler.run(kitchenEvent('Delete'), providerDeps(), providerConfig);
    expect(await exists('pg_namespace', 'nspname', KITCHEN.schema)).toBe(false);
    expect(await exists('pg_user', 'usename', KITCHEN.user)).toBe(false);
    expect(await exists('pg_class', 'relname', 'k_lifecycle_test_scratch')).toBe(false);
    expect(await exists('pg_class', 'relname', 'k_lifecycle_test_view')).toBe(false);
    // AND deleting again is a no-op
    await handler.run(kitchenEvent('Delete'), providerDeps(), providerConfig);
    await handler.run(kitchenEvent('Delete', 'lifecycle-other'), providerDeps(), providerConfig);
  });

  it('should set up the pipeline user as the owner of the pipeline schema and nothing more', async () => {
    const PIPELINE_SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:acme/dev/warehouse/pipeline-AbCdEf';
    const deps = {
      execute: async (text: string) => {
        await admin.query(text);
      },
      query: async (text: string) => (await admin.query(text)).rows,
      getSecret: async () => JSON.stringify({ username: 'kitchens_pipeline', password: 'pipeline-pw' }),
    };
    const event = {
      RequestType: 'Create',
      ResourceType: 'Custom::WarehouseUser',
      ResourceProperties: { Kind: 'pipeline', SecretArn: PIPELINE_SECRET, Schema: 'lifecycle_pipeline' },
    };
    const config = {
      serves: ['Custom::WarehouseUser'],
      dialect: 'postgresql',
      database: 'postgres',
      schema: 'lifecycle_pipeline',
      userSecretArn: PIPELINE_SECRET,
      writers: [],
    };
    await handler.run(event, deps, config);
    await handler.run({ ...event, RequestType: 'Update' }, deps, config); // re-runnable
    const role = await admin.query("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = 'kitchens_pipeline'");
    expect(role.rows).toStrictEqual([{ rolsuper: false, rolcreaterole: false }]);
    const pipeline = await connectAs('kitchens_pipeline');
    sessions.push(pipeline);
    await pipeline.query('CREATE TABLE lifecycle_pipeline.orders (id int)');
    await expect(pipeline.query('CREATE TABLE lifecycle_other.orders (id int)')).rejects.toThrow(/permission denied/);
    await expect(pipeline.query('CREATE USER someone')).rejects.toThrow(/permission denied/);
    await admin.query('DROP SCHEMA lifecycle_pipeline CASCADE');
  });

  it('fails on a Kitchen name that is not one, before running anything', async () => {
    const event = kitchenEvent('Create');
    event.ResourceProperties.Kitchen = 'x; DROP TABLE users';
    await expect(handler.run(event, providerDeps(), providerConfig)).rejects.toThrow(
      'Kitchen "x; DROP TABLE users" must be 3-24 lowercase letters, digits and single hyphens, starting with a letter',
    );
  });

  it("fails on a secret that is not the Kitchen's own", async () => {
    const event = kitchenEvent('Create');
    event.ResourceProperties.KitchenSecretArn = PROVISIONER_SECRET;
    await expect(handler.run(event, providerDeps(), providerConfig)).rejects.toThrow(
      `KitchenSecretArn "${PROVISIONER_SECRET}" must be the warehouse secret of Kitchen lifecycle-test (acme/dev/kitchens/lifecycle-test/warehouse)`,
    );
  });

  it('fails on a resource type the function does not serve', async () => {
    const event = { ...kitchenEvent('Create'), ResourceType: 'Custom::WarehouseUser' };
    await expect(handler.run(event, providerDeps(), providerConfig)).rejects.toThrow(
      'This function does not serve Custom::WarehouseUser; it serves Custom::KitchenSchema, Custom::KitchenPrefix',
    );
  });
});
