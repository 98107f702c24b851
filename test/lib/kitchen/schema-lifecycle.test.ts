import { Client } from 'pg';
import { md5Password, PASSWORD_PLACEHOLDER, schemaLifecycle } from '../../../lib/kitchen/schema-sql';
// The Lambda handler of the Kitchen stack, executed here with its AWS calls bound to a real PostgreSQL.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require('../../../lambda/kitchen-resources/index.js');

const SCHEMA = 'k_lifecycle_test';
const USER = 'k_lifecycle_test_user';
const PASSWORD = 'n0t-a-real-password';

function event(requestType: 'Create' | 'Update' | 'Delete') {
  return {
    RequestType: requestType,
    ResourceType: 'Custom::KitchenSchema',
    ResourceProperties: {
      Schema: SCHEMA,
      User: USER,
      KitchenSecretArn:
        'arn:aws:secretsmanager:eu-west-1:222222222222:secret:acme/dev/kitchens/lifecycle-test/warehouse-AbCdEf',
      Lifecycle: JSON.stringify(schemaLifecycle(SCHEMA, USER)),
    },
  };
}

describe('Kitchen schema lifecycle on PostgreSQL', () => {
  const admin = new Client({ connectionString: process.env.KITCHENS_TEST_PG_URL });
  const executed: string[] = [];
  const deps = (failOn?: string) => ({
    execute: async (sql: string) => {
      if (failOn && sql.startsWith(failOn)) throw new Error(`injected failure on: ${failOn}`);
      executed.push(sql);
      await admin.query(sql);
    },
    query: async (sql: string) => (await admin.query(sql)).rows,
    getSecret: async () => JSON.stringify({ username: USER, password: PASSWORD }),
  });
  const schemaExists = async () =>
    (await admin.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [SCHEMA])).rowCount === 1;
  const userExists = async () => (await admin.query(`SELECT 1 FROM pg_user WHERE usename = $1`, [USER])).rowCount === 1;
  const port = () => new URL(process.env.KITCHENS_TEST_PG_URL!).port;
  const asKitchenUser = () =>
    new Client({ host: '127.0.0.1', port: Number(port()), user: USER, password: PASSWORD, database: 'postgres' });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.query(`DROP USER IF EXISTS ${USER}`);
    await admin.query(`CREATE SCHEMA IF NOT EXISTS lifecycle_other`);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.query(`DROP USER IF EXISTS ${USER}`);
    await admin.query(`DROP SCHEMA IF EXISTS lifecycle_other CASCADE`);
    await admin.end();
  });

  it('should keep the password out of the SQL it carries', () => {
    const text = JSON.stringify(schemaLifecycle(SCHEMA, USER));
    expect(text).toContain(PASSWORD_PLACEHOLDER);
    expect(text).not.toContain(PASSWORD);
  });

  it('should create the schema and a user who owns it, after a failure half-way and a re-run', async () => {
    // GIVEN a first attempt that fails after creating the user
    await expect(handler.run(event('Create'), deps('CREATE SCHEMA'))).rejects.toThrow(
      'injected failure on: CREATE SCHEMA',
    );
    expect(await userExists()).toBe(true);
    expect(await schemaExists()).toBe(false);
    // WHEN CloudFormation runs it again
    expect(await handler.run(event('Create'), deps())).toBe(`kitchen-schema:${SCHEMA}`);
    // THEN the schema exists, and the second run altered the existing user instead of creating it
    expect(await schemaExists()).toBe(true);
    expect(executed.filter((s) => s.startsWith(`ALTER USER ${USER}`))).toHaveLength(1);
    expect(executed.join('\n')).not.toContain(PASSWORD);
    expect(executed.join('\n')).toContain(md5Password(PASSWORD, USER));
    // the stored verifier is exactly md5(password + user): what md5 password authentication checks against
    const stored = await admin.query(`SELECT rolpassword FROM pg_authid WHERE rolname = $1`, [USER]);
    expect(stored.rows[0].rolpassword).toBe(md5Password(PASSWORD, USER));
    // AND a third run changes nothing and does not fail
    await handler.run(event('Update'), deps());
    expect(await schemaExists()).toBe(true);
  });

  it('should let the Kitchen user log in and work in its own schema only', async () => {
    const kitchen = asKitchenUser();
    await kitchen.connect();
    await kitchen.query(`CREATE TABLE ${SCHEMA}.orders (id int)`);
    await kitchen.query(`INSERT INTO ${SCHEMA}.orders VALUES (1)`);
    expect((await kitchen.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.orders`)).rows[0].n).toBe(1);
    await expect(kitchen.query(`CREATE TABLE lifecycle_other.t (id int)`)).rejects.toThrow(
      /permission denied for schema lifecycle_other/,
    );
    await kitchen.end();
  });

  it('should drop the schema with its tables and the user, idempotently', async () => {
    await handler.run(event('Delete'), deps());
    expect(await schemaExists()).toBe(false);
    expect(await userExists()).toBe(false);
    await handler.run(event('Delete'), deps());
  });

  it('fails on a secret that does not belong to the Kitchen user', async () => {
    const wrong = { ...deps(), getSecret: async () => JSON.stringify({ username: 'someone_else', password: 'x' }) };
    await expect(handler.run(event('Create'), wrong)).rejects.toThrow(
      `Kitchen secret must hold {"username": "${USER}", "password": ...}`,
    );
  });

  it('fails on a schema name that is not a plain identifier', () => {
    expect(() => schemaLifecycle('k_x; DROP TABLE users', USER)).toThrow(
      'Schema "k_x; DROP TABLE users" must be a lowercase SQL identifier (letters, digits, "_"), at most 127 characters',
    );
  });
});
