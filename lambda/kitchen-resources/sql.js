'use strict';
/**
 * The SQL of the Kitchen provider and of the warehouse users, built here from names this module derives and
 * checks itself. Nothing in a CloudFormation property is ever executed: properties carry only a Kitchen name and
 * secret ARNs, each re-checked against the patterns below at run time. Statements stay in the subset Redshift and
 * PostgreSQL both accept, except the few marked per dialect.
 */
const crypto = require('crypto');

/** Same rule as lib/naming.ts (KITCHEN_NAME_PATTERN, 3-24 characters); checked again here at run time. */
const KITCHEN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,126}$/;

/** The group every Kitchen user joins; writers' default privileges name it (see warehouseUserSql). */
const KITCHEN_GROUP = 'kitchen_users';
const PROVISIONER_USER = 'kitchens_provisioner';
const PIPELINE_USER = 'kitchens_pipeline';
/** Users that create tables in Kitchen schemas besides the Kitchen user: the cloner seeds them (COPY). */
const SCHEMA_WRITERS = ['kitchens_cloner'];
const TABLE_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE';

function identifier(kind, value) {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new Error(
      `${kind} ${JSON.stringify(value)} must be a lowercase SQL identifier (letters, digits, "_"), at most 127 characters`,
    );
  }
  return value;
}

/** A catalog name as a quoted identifier (names read back from the catalog may hold any character). */
function quoteIdentifier(value) {
  return `"${String(value).replace(/"/g, '""')}"`;
}

function literal(value) {
  return `'${String(value).replace(/'/g, "''")}'`;
}

/** The schema and user of a Kitchen, derived from its name the way lib/naming.ts Names does. */
function kitchenIdentity(kitchen) {
  if (typeof kitchen !== 'string' || kitchen.length < 3 || kitchen.length > 24 || !KITCHEN_NAME.test(kitchen)) {
    throw new Error(
      `Kitchen ${JSON.stringify(kitchen)} must be 3-24 lowercase letters, digits and single hyphens, starting with a letter`,
    );
  }
  const base = `k_${kitchen.replace(/-/g, '_')}`;
  return { kitchen, schema: identifier('Schema', base), user: identifier('Database user', `${base}_user`) };
}

/** The only secret a Kitchen's schema may take its password from: `PROJECT/ENV/kitchens/NAME/warehouse-XXXXXX`. */
function checkKitchenSecretArn(arn, scope, kitchen) {
  const pattern = new RegExp(
    `^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:${scope.project}/${scope.environment}/kitchens/${kitchen}/warehouse-[A-Za-z0-9]{6}$`,
  );
  if (typeof arn !== 'string' || !pattern.test(arn)) {
    throw new Error(
      `KitchenSecretArn ${JSON.stringify(arn)} must be the warehouse secret of Kitchen ${kitchen} (${scope.project}/${scope.environment}/kitchens/${kitchen}/warehouse)`,
    );
  }
  return arn;
}

/** The value Redshift and PostgreSQL accept in place of a clear-text password: `md5` + md5(password + user). */
function md5Password(password, user) {
  return `md5${crypto.createHash('md5').update(`${password}${user}`).digest('hex')}`;
}

function userExistsSql(user) {
  return `SELECT count(*) AS n FROM pg_user WHERE usename = ${literal(identifier('Database user', user))}`;
}

function groupExistsSql(group) {
  return `SELECT count(*) AS n FROM pg_group WHERE groname = ${literal(identifier('Group', group))}`;
}

/** Creates or updates a login user; the password hash is passed apart so it can be kept out of logs. */
function loginUserSql(user, exists) {
  return `${exists ? 'ALTER' : 'CREATE'} USER ${identifier('Database user', user)} PASSWORD '{{password}}'`;
}

/**
 * A Kitchen's schema (owned by the provider, which can drop it with everything in it) and its user, who may use and
 * create in it. Tables the writers create there later are readable and writable by the Kitchen user through the
 * writers' default privileges on the Kitchen group.
 */
function kitchenCreateSql(identity, writers) {
  const { schema, user } = identity;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${schema}`,
    `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${user}`,
    `ALTER GROUP ${KITCHEN_GROUP} ADD USER ${user}`,
    ...writers.map((w) => `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${identifier('Writer', w)}`),
  ];
}

/**
 * Run as the Kitchen user itself (the only user, besides a superuser, that may set its own default privileges): the
 * tables it creates in its schema (its pipelines' runs) are readable by the writers, so the cloner can seed and
 * refresh a child Kitchen from them, and writable, so a refresh can replace their rows (it cannot drop a table it
 * does not own). Without it a grandchild cannot be refreshed from a Kitchen whose pipelines ran.
 */
function kitchenUserDefaultsSql(identity, writers) {
  return writers.map(
    (w) =>
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${identity.schema} GRANT ${TABLE_PRIVILEGES} ON TABLES TO ${identifier('Writer', w)}`,
  );
}

/** Run as the Kitchen user itself, which may always drop what it owns, wherever that is. */
const OWNED_RELATIONS_SQL =
  'SELECT n.nspname AS schema_name, c.relname AS relation, c.relkind AS kind FROM pg_class c ' +
  'JOIN pg_namespace n ON n.oid = c.relnamespace ' +
  "WHERE c.relowner = (SELECT usesysid FROM pg_user WHERE usename = current_user) AND c.relkind IN ('r', 'v', 'm', 'S')";

const DROP_KIND = { r: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE' };

function dropOwnedSql(row) {
  const kind = DROP_KIND[row.kind];
  if (!kind) throw new Error(`cannot drop a relation of kind ${JSON.stringify(row.kind)}`);
  return `DROP ${kind} IF EXISTS ${quoteIdentifier(row.schema_name)}.${quoteIdentifier(row.relation)} CASCADE`;
}

function kitchenDropSql(identity) {
  return [`DROP SCHEMA IF EXISTS ${identity.schema} CASCADE`, `DROP USER IF EXISTS ${identity.user}`];
}

/**
 * What the warehouse admin runs once per environment (a statement given as `{ sql, unless }` is skipped when the
 * `unless` query counts a row) for one managed user (`pipeline` or `provisioner`), after
 * the user exists with its password. Dialect-specific where Redshift and PostgreSQL differ: a Redshift user with
 * CREATEUSER is a superuser, so there the provisioner gets the user-management system permissions through a role.
 */
function warehouseUserSql(kind, options) {
  const database = identifier('Database', options.database);
  if (kind === 'pipeline') {
    const schema = identifier('Schema', options.schema);
    return [
      `CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${PIPELINE_USER}`,
      `ALTER SCHEMA ${schema} OWNER TO ${PIPELINE_USER}`,
      `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${PIPELINE_USER}`,
    ];
  }
  if (kind === 'provisioner') {
    const statements = [`GRANT CREATE ON DATABASE ${database} TO ${PROVISIONER_USER}`];
    if (options.dialect === 'postgresql') {
      statements.push(
        `ALTER USER ${PROVISIONER_USER} NOSUPERUSER CREATEROLE`,
        `GRANT ${KITCHEN_GROUP} TO ${PROVISIONER_USER} WITH ADMIN OPTION`,
      );
    } else if (options.dialect === 'redshift') {
      statements.push(
        {
          sql: 'CREATE ROLE kitchens_provisioning',
          unless: "SELECT count(*) AS n FROM svv_roles WHERE role_name = 'kitchens_provisioning'",
        },
        'GRANT CREATE USER, ALTER USER, DROP USER TO ROLE kitchens_provisioning',
        `GRANT ROLE kitchens_provisioning TO ${PROVISIONER_USER}`,
      );
    } else {
      throw new Error(`dialect must be "redshift" or "postgresql", got: ${JSON.stringify(options.dialect)}`);
    }
    for (const writer of options.writers) {
      statements.push(
        `ALTER DEFAULT PRIVILEGES FOR USER ${identifier('Writer', writer)} GRANT ${TABLE_PRIVILEGES} ON TABLES TO GROUP ${KITCHEN_GROUP}`,
      );
    }
    return statements;
  }
  throw new Error(`unknown warehouse user ${JSON.stringify(kind)}`);
}

module.exports = {
  KITCHEN_GROUP,
  PIPELINE_USER,
  PROVISIONER_USER,
  SCHEMA_WRITERS,
  OWNED_RELATIONS_SQL,
  checkKitchenSecretArn,
  dropOwnedSql,
  groupExistsSql,
  kitchenCreateSql,
  kitchenDropSql,
  kitchenIdentity,
  kitchenUserDefaultsSql,
  loginUserSql,
  md5Password,
  userExistsSql,
  warehouseUserSql,
  quoteIdentifier,
};
